#!/usr/bin/env python3
"""Markdown table of the PKCS#11 unwrap benchmark (run-pkcs11.sh): ops/s per key size and thread
count, per JDK, with the 2-thread/1-thread ratio and the unwrap path from the set-up lines.

Usage: results-pkcs11-table.py <results-pkcs11 dir>
"""
import os
import re
import sys

from jmh_json import result_files

METHODS = {"unwrap_1thread": 1, "unwrap_2threads": 2}


def load(directory):
    """{label: {(keySize, fallback, threads): (score, error)}}, VM names, set-up lines per label."""
    data, vms, setups = {}, {}, {}
    for path, runs in result_files(directory):
        label = os.path.splitext(os.path.basename(path))[0]
        for r in runs:
            method = r["benchmark"].rsplit(".", 1)[-1]
            if method not in METHODS:
                continue
            params = r.get("params", {})
            key = (int(params["keySize"]), params.get("oaepFallback", ""), METHODS[method])
            pm = r["primaryMetric"]
            data.setdefault(label, {})[key] = (pm["score"], pm["scoreError"])
            vms[label] = f'{r["vmName"]} {r["vmVersion"]}'
        log = os.path.join(directory, label + ".log")
        if os.path.exists(log):
            with open(log) as f:
                lines = [re.sub(r"RSA-\d+, ", "", l.strip()) for l in f if l.startswith("pkcs11 set-up:")]
            setups[label] = sorted(set(lines))
    return data, vms, setups


def fmt(v):
    return "–" if v != v else f"{v:,.0f}"


def main():
    data, vms, setups = load(sys.argv[1])
    nan = (float("nan"), float("nan"))
    out = []
    for label in sorted(data):
        d = data[label]
        out.append(f"#### {label}: {vms[label]}\n")
        out.append("| RSA | fallback | 1 thread ops/s | µs per unwrap | 2 threads ops/s (sum) | 2 threads / 1 thread |")
        out.append("|---:|---|---:|---:|---:|---:|")
        for size, fallback in sorted({(k[0], k[1]) for k in d}):
            s1, e1 = d.get((size, fallback, 1), nan)
            s2, e2 = d.get((size, fallback, 2), nan)
            ratio = s2 / s1 if s1 == s1 and s2 == s2 and s1 else float("nan")
            out.append(f"| {size} | {fallback} | {fmt(s1)} ± {fmt(e1)} | {fmt(1e6 / s1)} | "
                       f"{fmt(s2)} ± {fmt(e2)} | {'–' if ratio != ratio else f'{ratio:.2f}×'} |")
        out.append("")
        for line in setups.get(label, []):
            out.append(f"- {line}")
        out.append("")
    print("\n".join(out))


if __name__ == "__main__":
    main()
