#!/usr/bin/env python3
"""Turns JMH JSON results of the cmk benchmarks into markdown tables of cmk vs raw JDK AES-GCM.

Usage: results-table.py RESULT.json[,MORE.json] ...   (one argument per JDK; files joined by
commas are one JDK's results from several runs)

Each row puts a cmk benchmark (impl=cmk) next to the baseline (impl=gcm) of the same size or
segment size from the same JMH invocation and gives two ratios, cmk / baseline (higher is better;
1.00x means cmk runs at the raw JDK's speed):
  - "mean": ratio of JMH's mean scores (the scores shown, with their 99.9% confidence intervals);
  - "best": ratio of the best measurement iteration of each side. On a machine shared with other
    work, other processes only ever slow an iteration down, so the fastest iteration is the least
    disturbed estimate of what the code can do; the target verdicts use this ratio and the mean
    ratio is shown next to it.
"""
import json
import sys

MIB = 1 << 20
STREAM_BYTES = 64 * MIB


def load(path):
    runs = []
    for part in path.split(","):  # several result files of one JDK, e.g. a later extra run
        with open(part) as f:
            runs.extend(json.load(f))
    results = {}
    jdk = None
    for r in runs:
        name = r["benchmark"].rsplit(".", 2)
        key = (name[-2], name[-1], tuple(sorted(r.get("params", {}).items())))
        sm = r.get("secondaryMetrics", {})
        alloc = sm.get("gc.alloc.rate.norm", sm.get("\u00b7gc.alloc.rate.norm"))
        pm = r["primaryMetric"]
        best = max(x for fork in pm["rawData"] for x in fork)
        results[key] = (pm["score"], pm["scoreError"], alloc["score"] if alloc else None, best)
        jdk = "%s %s" % (r.get("vmName", "?"), r.get("jdkVersion", "?"))
    return jdk, results


def num(x):
    if x != x:  # NaN (single iteration)
        return "n/a"
    if x >= 100:
        return "{:,.0f}".format(x)
    if x >= 10:
        return "{:,.1f}".format(x)
    return "{:,.2f}".format(x)


def score(s, scale=1.0):
    return "%s ± %s" % (num(s[0] * scale), num(s[1] * scale))


def alloc(a):
    if a is None:
        return "–"
    if a >= MIB:
        return "%.1f MiB" % (a / MIB)
    if a >= 1024:
        return "%.1f KiB" % (a / 1024)
    return "%.0f B" % a


def ratios(c, g, target):
    mean = c[0] / g[0]
    best = c[3] / g[3]
    cell = "%.2f×" % best
    if target is not None:
        cell = "**%.2f×** %s" % (best, "✅" if best >= target else "❌ (target ≥ %.1f×)" % target)
    return "%s | %.2f×" % (cell, mean)


def table(path):
    jdk, res = load(path)
    out = ["#### %s" % jdk, ""]
    out.append("| one-shot | size | cmk ops/s | raw GCM ops/s | cmk / raw (best) | cmk / raw (mean) "
               "| cmk alloc/op | raw alloc/op |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for size, label in (("1024", "1 KiB"), ("1048576", "1 MiB")):
        for op in ("encrypt", "decrypt", "roundTrip"):
            c = res.get(("OneShotBenchmark", op, (("impl", "cmk"), ("size", size))))
            g = res.get(("OneShotBenchmark", op, (("impl", "gcm"), ("size", size))))
            if not c or not g:
                continue
            target = 0.4 if (op == "roundTrip" and size == "1024") else None
            out.append("| %s | %s | %s | %s | %s | %s | %s |" % (
                op, label, score(c), score(g), ratios(c, g, target), alloc(c[2]), alloc(g[2])))
    out.append("")
    out.append("| streaming 64 MiB | segment | cmk MB/s | raw GCM MB/s | cmk / raw (best) "
               "| cmk / raw (mean) | cmk alloc/op | raw alloc/op |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    mb = STREAM_BYTES / 1e6
    for seg, label in (("65536", "64 KiB"), ("1048576", "1 MiB")):
        for op, name in (("encrypt", "encrypt"), ("decrypt", "decrypt"),
                         ("decryptSegmentReads", "decrypt, whole-segment reads")):
            c = res.get(("StreamingBenchmark", op, (("impl", "cmk"), ("segmentSize", seg))))
            g = res.get(("StreamingBenchmark", op, (("impl", "gcm"), ("segmentSize", seg))))
            if not c or not g:
                continue
            out.append("| %s | %s | %s | %s | %s | %s | %s |" % (
                name, label, score(c, mb), score(g, mb), ratios(c, g, 0.9), alloc(c[2]),
                alloc(g[2])))
    out.append("")
    return "\n".join(out)


def main(paths):
    print("\n".join(table(p) for p in paths))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
