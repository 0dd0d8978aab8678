#!/usr/bin/env python3
"""Markdown tables of the peers suite (run-peers.sh): ratios of cmk to each peer, per JDK.

Usage: results-peers-table.py <results-peers dir>
"""
import os
import sys

from jmh_json import result_files

MIB = 1 << 20
STREAM_BYTES = 256 * MIB
RANGE_BYTES = 64 * 1024


def load(directory):
    """{jdk label: {(class, method, size): (score, error, unit, secondary)}} and the VM names."""
    data, vms = {}, {}
    for path, runs in result_files(directory):
        label = os.path.basename(path).split("-", 1)[0]
        for r in runs:
            cls, method = r["benchmark"].rsplit(".", 2)[-2:]
            size = r.get("params", {}).get("size")
            pm = r["primaryMetric"]
            data.setdefault(label, {})[(cls, method, size)] = (
                pm["score"], pm["scoreError"], pm["scoreUnit"], r.get("secondaryMetrics", {}))
            vms[label] = f'{r["vmName"]} {r["vmVersion"]}'
    return data, vms


def fmt(v):
    if v != v:  # NaN
        return "–"
    return f"{v:,.0f}" if v >= 100 else f"{v:,.2f}"


def ratio(a, b):
    return a / b if a and b else float("nan")


def verdict(r, target):
    if r != r:
        return "–"
    return f"**{r:.2f}×** {'✅' if r >= target else '❌'} (target ≥ {target}×)"


def main():
    data, vms = load(sys.argv[1])
    out = []
    for label in sorted(data):
        d = data[label]
        get = lambda cls, m, size=None: d.get((cls, m, size), (float("nan"), float("nan"), "", {}))
        out.append(f"#### {label}: {vms[label]}\n")

        one = "PeerOneShotBenchmark"
        if any(k[0] == one and k[1].endswith("RoundTrip") for k in d):
            out.append("| 1 KiB envelope round trip (warm cache) | ops/s | vs raw JDK GCM | cmk / this |")
            out.append("|---|---:|---:|---:|")
            cmk = get(one, "cmkRoundTrip", "1024")[0]
            jdk = get(one, "jdkRoundTrip", "1024")[0]
            for m, name in [("cmkRoundTrip", "cmk"), ("jdkRoundTrip", "raw JDK AES-GCM (ceiling)"),
                            ("tinkKeysetRoundTrip", "Tink AES256_GCM keyset (no envelope)"),
                            ("tinkEnvelopeRoundTrip", "Tink KmsEnvelopeAead + RSA-OAEP KEK"),
                            ("awsCachingRoundTrip", "AWS ESDK, caching CMM"),
                            ("awsDefaultRoundTrip", "AWS ESDK, default CMM")]:
                s, e, _, _ = get(one, m, "1024")
                out.append(f"| {name} | {fmt(s)} ± {fmt(e)} | {ratio(s, jdk):.2f}× | {ratio(cmk, s):.2f}× |")
            out.append("")
            out.append(f"- cmk / raw JDK GCM: {verdict(ratio(cmk, jdk), 0.4)}")
            out.append(f"- cmk / AWS ESDK caching CMM: {verdict(ratio(cmk, get(one, 'awsCachingRoundTrip', '1024')[0]), 100)}")
            out.append("")

        if any(k[0] == one and not k[1].endswith("RoundTrip") for k in d):
            out.append("| one-shot | size | cmk ops/s | raw JDK | Tink keyset | Tink envelope | ESDK caching | ESDK default | cmk/raw | cmk/Tink env. | cmk/ESDK caching |")
            out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
            for op in ("Encrypt", "Decrypt"):
                for size in ("1024", "65536", "1048576"):
                    vals = [get(one, p + op, size)[0] for p in ("cmk", "jdk", "tinkKeyset", "tinkEnvelope", "awsCaching", "awsDefault")]
                    if all(v != v for v in vals):
                        continue
                    kib = int(size) // 1024
                    out.append(f"| {op.lower()} | {kib} KiB | " + " | ".join(fmt(v) for v in vals)
                               + f" | {ratio(vals[0], vals[1]):.2f}× | {ratio(vals[0], vals[3]):.1f}× | {ratio(vals[0], vals[4]):.1f}× |")
            out.append("")

        st = "PeerStreamingBenchmark"
        if any(k[0] == st for k in d):
            out.append("| streaming 256 MiB | cmk MB/s | raw JDK GCM | Tink StreamingAead 1MB | AWS ESDK framed | cmk / raw | cmk / Tink | cmk / AWS |")
            out.append("|---|---:|---:|---:|---:|---:|---:|---:|")
            for op in ("Encrypt", "Decrypt"):
                mbs = [get(st, p + "Stream" + op)[0] * STREAM_BYTES / 1e6 for p in ("cmk", "jdk", "tink", "aws")]
                out.append(f"| {op.lower()} | " + " | ".join(fmt(v) for v in mbs)
                           + f" | {verdict(ratio(mbs[0], mbs[1]), 0.9)} | {verdict(ratio(mbs[0], mbs[2]), 1.4)} | {verdict(ratio(mbs[0], mbs[3]), 10)} |")
            out.append("")

        cc = "PeerColdCacheBenchmark"
        if any(k[0] == cc for k in d):
            out.append("| cold cache: decrypt 10,000 × 1 KiB sharing 10 data keys | ms per batch | KEK unwraps per batch | this / cmk (time) |")
            out.append("|---|---:|---:|---:|")
            cmk = get(cc, "cmkColdDecrypt")[0]
            for m, name in [("cmkColdDecrypt", "cmk (new EnvelopeCrypto)"),
                            ("awsCachingColdDecrypt", "AWS ESDK, new caching CMM"),
                            ("tinkEnvelopeColdDecrypt", "Tink KmsEnvelopeAead (no data-key reuse)")]:
                s, e, _, sec = get(cc, m)
                # The counter sums over an iteration; single-shot has one operation per iteration.
                per_op = sorted({v for fork in sec.get("unwraps", {}).get("rawData", []) for v in fork})
                unw = " / ".join(f"{v:,.0f}" for v in per_op) or "–"
                out.append(f"| {name} | {fmt(s)} ± {fmt(e)} | {unw} | {ratio(s, cmk):.1f}× |")
            out.append("")

        rr = "PeerRangeReadBenchmark"
        if any(k[0] == rr for k in d):
            c, t = get(rr, "cmkRangeRead")[0], get(rr, "tinkRangeRead")[0]
            out.append("| random 64 KiB range read, 1 GiB object | reads/s | MB/s | cmk / this |")
            out.append("|---|---:|---:|---:|")
            out.append(f"| cmk rangeReader | {fmt(c)} | {fmt(c * RANGE_BYTES / 1e6)} | 1.00× |")
            out.append(f"| Tink newSeekableDecryptingChannel | {fmt(t)} | {fmt(t * RANGE_BYTES / 1e6)} | {ratio(c, t):.2f}× |")
            out.append("")

        th = "PeerThreadsBenchmark"
        if any(k[0] == th for k in d):
            cmk = get(th, "cmkRoundTrip")[0]
            out.append("| 2 threads, 1 KiB round trip, shared instance | ops/s (both threads) | cmk / this |")
            out.append("|---|---:|---:|")
            for m, name in [("cmkRoundTrip", "cmk"), ("jdkRoundTrip", "raw JDK AES-GCM (one Cipher per thread)"),
                            ("tinkKeysetRoundTrip", "Tink AES256_GCM keyset"),
                            ("awsCachingRoundTrip", "AWS ESDK, caching CMM")]:
                s, e, _, _ = get(th, m)
                out.append(f"| {name} | {fmt(s)} ± {fmt(e)} | {ratio(cmk, s):.2f}× |")
            out.append("")
    print("\n".join(out))


if __name__ == "__main__":
    main()
