#!/usr/bin/env python3
"""Summarises an async-profiler collapsed-stacks profile read from stdin.

Each input line is `[thread];frame;...;leaf count` (profiled with `threads=true`). Only stacks of
the JMH worker thread count, so the harness's and the JVM's own threads do not dilute the picture;
the thread is known even for stacks async-profiler could not walk (`[unknown_Java]`, e.g. inside a
JIT stub), which a filter on a Java frame would silently attribute to "other threads".
Prints how many samples other threads took (garbage collection shows up there), the share of samples by component of the leaf frame and the hottest leaf frames. Used by
profile-peers.sh.
"""
import re
import sys
from collections import Counter

# First match wins. JIT stubs (ghash_processBlocks, counterMode_AESCrypt, sha512_implCompress...)
# are named by HotSpot; Java frames by class and method.
COMPONENTS = [
    ("JDK AES-GCM (AES-CTR + GHASH)",
     r"^(ghash_processBlocks|counterMode_AESCrypt|aescrypt_|galoisCounterMode_AESCrypt"
     r"|com\.sun\.crypto\.provider\.(GHASH|GCTR|CounterMode|AESCrypt|GaloisCounterMode|AESCipher))"),
    ("JDK SHA-384/512 (ECDSA signature digest)",
     r"^(sha512_implCompress|sun\.security\.provider\.(SHA5|DigestBase))"),
    ("JDK SHA-256 / HMAC / HKDF",
     r"^(sha256_implCompress|sun\.security\.provider\.SHA2|com\.sun\.crypto\.provider\.(HmacCore|HKDF))"),
    ("JDK ECDSA / EC arithmetic", r"^sun\.security\.(ec|util\.math)"),
    ("JDK other crypto", r"^(com\.sun\.crypto|sun\.security|javax\.crypto)"),
    ("memory copy / fill",
     r"^(.*arraycopy.*|.*_fill.*|java\.lang\.System\.arraycopy|java\.util\.Arrays\.(copyOf|fill)"
     r"|jdk\.internal\.misc\.Unsafe\.(copy|set)Memory|java\.io\.ByteArray(Input|Output)Stream|__memmove.*|__memset.*)"),
    ("JDK ByteBuffer / NIO", r"^(java\.nio|jdk\.internal\.misc\.ScopedMemoryAccess)"),
    ("BouncyCastle", r"^org\.bouncycastle"),
    ("AWS ESDK", r"^com\.amazonaws"),
    ("Tink", r"^com\.google\.crypto\.tink"),
    ("cmk", r"^dev\.cmk\.(core|api)"),
    ("benchmark harness", r"^(dev\.cmk\.benchmarks|org\.openjdk\.jmh)"),
    ("other JDK (Java)", r"^(java|jdk|sun)\."),
]


def component(frame):
    for name, pattern in COMPONENTS:
        if re.match(pattern, frame):
            return name
    return "JVM runtime / native"


def parse(lines):
    """Returns (leaf frame -> samples on the benchmark thread, samples on all other threads)."""
    leaves = Counter()
    others = 0
    for line in lines:
        line = line.rstrip("\n")
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        if "jmh-worker" not in stack.split(";", 1)[0]:
            others += int(count)
            continue
        leaf = stack.split(";")[-1].replace("/", ".")
        leaf = re.sub(r"_\[[a-z0-9]\]$", "", leaf)  # async-profiler's frame-type suffixes
        leaves[leaf] += int(count)
    return leaves, others


def main():
    leaves, others = parse(sys.stdin)
    total = sum(leaves.values())
    if total == 0:
        print("no samples on the benchmark thread")
        return
    by_component = Counter()
    for frame, count in leaves.items():
        by_component[component(frame)] += count
    print(f"{total} samples on the benchmark thread; {others} on other threads (GC, JIT compiler,"
          f" JMH), {100.0 * others / (total + others):.1f}% of the process's CPU samples")
    print()
    print("| component of the leaf frame | share |")
    print("|---|---|")
    for name, count in by_component.most_common():
        print(f"| {name} | {100.0 * count / total:.1f}% |")
    print()
    print("| hottest leaf frames | share |")
    print("|---|---|")
    for frame, count in leaves.most_common(8):
        print(f"| `{frame}` | {100.0 * count / total:.1f}% |")


if __name__ == "__main__":
    main()
