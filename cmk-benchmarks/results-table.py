#!/usr/bin/env python3
"""Turns JMH JSON results of the cmk benchmarks into markdown tables of cmk vs raw JDK AES-GCM.

Usage: results-table.py RESULT.json [RESULT.json ...]   (one file per JDK, all from one run)

Each row puts a cmk benchmark (impl=cmk) next to the baseline (impl=gcm) of the same size or
segment size from the same JMH invocation and gives their ratio (cmk score / baseline score, higher is better; 1.0
means cmk runs at the raw JDK's speed). Error margins are JMH's 99.9% confidence intervals.
"""
import json
import sys

MIB = 1 << 20
STREAM_BYTES = 64 * MIB


def load(path):
    with open(path) as f:
        runs = json.load(f)
    results = {}
    jdk = None
    for r in runs:
        name = r["benchmark"].rsplit(".", 2)
        key = (name[-2], name[-1], tuple(sorted(r.get("params", {}).items())))
        sm = r.get("secondaryMetrics", {})
        alloc = sm.get("gc.alloc.rate.norm", sm.get("\u00b7gc.alloc.rate.norm"))
        results[key] = (
            r["primaryMetric"]["score"],
            r["primaryMetric"]["scoreError"],
            alloc["score"] if alloc else None,
        )
        jdk = "%s %s" % (r.get("vmName", "?"), r.get("jdkVersion", "?"))
    return jdk, results


def fmt_ops(score, err):
    return "%s ± %s" % (group(score), group(err))


def group(x):
    if x != x:  # NaN (single iteration)
        return "n/a"
    if x >= 100:
        return "{:,.0f}".format(x)
    if x >= 10:
        return "{:,.1f}".format(x)
    return "{:,.2f}".format(x)


def fmt_alloc(a):
    if a is None:
        return "–"
    if a >= MIB:
        return "%.1f MiB" % (a / MIB)
    if a >= 1024:
        return "%.1f KiB" % (a / 1024)
    return "%.0f B" % a


def verdict(ratio, target):
    return "**%.2f×** %s" % (ratio, "✅" if ratio >= target else "❌ (target ≥ %.1f×)" % target)


def table(path):
    jdk, res = load(path)
    out = ["#### %s" % jdk, ""]
    out.append("| one-shot | size | cmk ops/s | raw GCM ops/s | cmk / raw | cmk alloc/op | raw alloc/op |")
    out.append("|---|---:|---:|---:|---:|---:|---:|")
    for size, label in (("1024", "1 KiB"), ("1048576", "1 MiB")):
        for op in ("encrypt", "decrypt", "roundTrip"):
            c = res.get(("OneShotBenchmark", op, (("impl", "cmk"), ("size", size))))
            g = res.get(("OneShotBenchmark", op, (("impl", "gcm"), ("size", size))))
            if not c or not g:
                continue
            ratio = c[0] / g[0]
            cell = verdict(ratio, 0.4) if (op == "roundTrip" and size == "1024") else "%.2f×" % ratio
            out.append("| %s | %s | %s | %s | %s | %s | %s |" % (
                op, label, fmt_ops(c[0], c[1]), fmt_ops(g[0], g[1]),
                cell, fmt_alloc(c[2]), fmt_alloc(g[2])))
    out.append("")
    out.append("| streaming 64 MiB | segment | cmk MB/s | raw GCM MB/s | cmk / raw | cmk alloc/op | raw alloc/op |")
    out.append("|---|---:|---:|---:|---:|---:|---:|")
    for seg, label in (("65536", "64 KiB"), ("1048576", "1 MiB")):
        for op in ("encrypt", "decrypt"):
            c = res.get(("StreamingBenchmark", op, (("impl", "cmk"), ("segmentSize", seg))))
            g = res.get(("StreamingBenchmark", op, (("impl", "gcm"), ("segmentSize", seg))))
            if not c or not g:
                continue
            mb = STREAM_BYTES / 1e6
            out.append("| %s | %s | %s | %s | %s | %s | %s |" % (
                op, label, fmt_ops(c[0] * mb, c[1] * mb), fmt_ops(g[0] * mb, g[1] * mb),
                verdict(c[0] / g[0], 0.9), fmt_alloc(c[2]), fmt_alloc(g[2])))
    out.append("")
    return "\n".join(out)


def main(paths):
    print("\n".join(table(p) for p in paths))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
