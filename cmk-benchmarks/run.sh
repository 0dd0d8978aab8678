#!/usr/bin/env bash
# Builds cmk-benchmarks and runs the whole suite once on JDK 17 and once on Temurin 25, one JMH
# invocation per JDK (so every cmk/baseline pair is measured in the same run), then writes the
# tables of cmk-vs-raw-GCM ratios. Results go to cmk-benchmarks/results/:
#   jdk17.json, jdk25.json   JMH results (with -prof gc allocation figures)
#   environment.txt          date, CPU, JDKs, load average before and after each run
#   table.md                 the markdown tables (results-table.py)
#
# Usage: cmk-benchmarks/run.sh [JMH arguments, e.g. a benchmark regex such as OneShot]
# Without arguments it runs this suite (dev.cmk.benchmarks.*Benchmark), not the peers suite
# (dev.cmk.benchmarks.peers, see run-peers.sh).
# Environment: JAVA17 / JAVA25 (java executables), JMH_OPTS (default below).
set -euo pipefail

cd "$(dirname "$0")/.."
JAVA17=${JAVA17:-java}
JAVA25=${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
JMH_OPTS=${JMH_OPTS:--f 1 -wi 5 -w 2s -i 20 -r 500ms -prof gc}
OUT=cmk-benchmarks/results
JAR=cmk-benchmarks/target/benchmarks.jar

if [ $# -eq 0 ]; then
  set -- '^dev\.cmk\.benchmarks\.[A-Za-z]+Benchmark\.'
fi

mvn -B -q -pl cmk-benchmarks -am package -DskipTests
mkdir -p "$OUT"

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "cpu: $(lscpu | sed -n 's/^Model name: *//p') ($(nproc) cores)"
  echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- cmk-api cmk-core cmk-testkit \
    || echo ' + uncommitted changes in cmk-api/cmk-core/cmk-testkit')"
  echo "jmh options: $JMH_OPTS $*"
} > "$OUT/environment.txt"

run() {
  local label=$1 java=$2
  shift 2
  {
    echo "$label: $("$java" -version 2>&1 | sed -n 2p)"
    echo "$label load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  } >> "$OUT/environment.txt"
  # shellcheck disable=SC2086 # JMH_OPTS is a list of options
  "$java" -jar "$JAR" $JMH_OPTS -rf json -rff "$OUT/$label.json" "$@" 2>&1 | tee "$OUT/$label.log"
  echo "$label load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/environment.txt"
}

run jdk17 "$JAVA17" "$@"
run jdk25 "$JAVA25" "$@"

python3 cmk-benchmarks/results-table.py "$OUT/jdk17.json" "$OUT/jdk25.json" > "$OUT/table.md"
cat "$OUT/environment.txt" "$OUT/table.md"
