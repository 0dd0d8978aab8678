#!/usr/bin/env bash
# Profiles the streaming comparison of the peers suite with async-profiler (JMH's async profiler,
# itimer sampling every 2 ms of CPU, so no perf_events permission is needed), one benchmark at a
# time, and prints where each side spends its CPU: the share of samples by the component of the
# leaf frame (JDK AES-GCM stubs, SHA-384, memory copies, the library's own code, ...) and the
# hottest leaf frames. This is the evidence behind "what bounds the missed targets" in
# README-peers.md. async-profiler samples inside the JIT's crypto stubs (ghash_processBlocks,
# counterMode_AESCrypt), which JFR cannot walk and silently drops. The native library comes from
# Maven Central (tools.profiler:async-profiler, linux-x64). Raw profiles stay in a temporary
# directory; the summaries go to cmk-benchmarks/results-peers/profile-<jdk>.md.
#
# Usage: cmk-benchmarks/profile-peers.sh [benchmark-regex ...]
#   default: cmk, raw JDK, Tink and AWS ESDK streaming encrypt and decrypt
# Environment: JAVA (java executable, default: java on PATH), LABEL (default jdk<feature version>),
# JAR (a prebuilt benchmarks.jar; default: build cmk-benchmarks and use its shaded jar).
set -euo pipefail

cd "$(dirname "$0")/.."
JAVA=${JAVA:-java}
FEATURE=$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
LABEL=${LABEL:-jdk$FEATURE}
OUT=cmk-benchmarks/results-peers/profile-$LABEL.md
AP_VERSION=4.1
AP_JAR=$HOME/.m2/repository/tools/profiler/async-profiler/$AP_VERSION/async-profiler-$AP_VERSION-linux-x64.jar
[[ -f $AP_JAR ]] || mvn -B -q dependency:get -Dartifact=tools.profiler:async-profiler:$AP_VERSION:jar:linux-x64
if [[ -z "${JAR:-}" ]]; then
  mvn -B -q -pl cmk-benchmarks -am package -DskipTests -Djacoco.skip=true
  JAR=$(mktemp -d)/benchmarks.jar
  cp cmk-benchmarks/target/benchmarks.jar "$JAR"
fi
BENCHMARKS=("$@")
if [[ ${#BENCHMARKS[@]} -eq 0 ]]; then
  for side in cmk jdk tink aws; do
    BENCHMARKS+=("PeerStreamingBenchmark.${side}StreamEncrypt" "PeerStreamingBenchmark.${side}StreamDecrypt")
  done
fi
WORK=$(mktemp -d)
unzip -q -o "$AP_JAR" 'linux-x64/*' -d "$WORK"
AP_LIB=$WORK/linux-x64/libasyncProfiler.so

{
  echo "# CPU profile of the streaming comparison (async-profiler $AP_VERSION, itimer)"
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "cpu: $(lscpu | sed -n 's/^Model name: *//p') ($(nproc) cores)"
  echo "jdk: $("$JAVA" -version 2>&1 | sed -n 2p)"
  echo "jmh: -f 1 -wi 3 -i 5 -w 1s -r 1s; samples from the measurement iterations, benchmark thread only"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$OUT"

for bench in "${BENCHMARKS[@]}"; do
  dir="$WORK/${bench##*.}"
  mkdir -p "$dir"
  # shellcheck disable=SC2086 # JMH options are a list
  "$JAVA" -jar "$JAR" "dev.cmk.benchmarks.peers.$bench\$" -f 1 -wi 3 -i 5 -w 1s -r 1s \
    -prof "async:libPath=$AP_LIB;event=itimer;interval=2000000;threads=true;output=collapsed;dir=$dir" \
    > "$dir/jmh.log" 2>&1
  score=$(grep -E "^Peer.*thrpt" "$dir/jmh.log" | grep -v ':' | awk '{print $(NF-3), "±", $(NF-1), $NF}' | head -1)
  collapsed=$(find "$dir" -name 'collapsed-*.csv' -o -name 'collapsed-*.txt' | head -1)
  {
    echo
    echo "## $bench ($score, messages of 256 MiB)"
    echo
    python3 cmk-benchmarks/profile-summary.py < "$collapsed"
  } >> "$OUT"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT"
cat "$OUT"
