#!/usr/bin/env bash
# Runs the peers suite (dev.cmk.benchmarks.peers: cmk vs Google Tink, the AWS Encryption SDK for
# Java and raw JDK AES-GCM) on JDK 17 and on Temurin 25. Each comparison is one JMH invocation, so
# the libraries in it are measured in the same conditions. Results go to cmk-benchmarks/results-peers/:
#   <jdk>-<phase>.json   JMH results
#   environment.txt      date, CPU, JDKs, JMH options, load average before and after each phase
#                        (appended to: a re-run of some phases adds its own dated section)
#   table.md             ratio tables (results-peers-table.py)
#
# Usage: cmk-benchmarks/run-peers.sh [phase ...]   (default: all phases, in priority order)
#   phases: roundtrip1k streaming coldcache range threads oneshot
# Environment: JAVA17 / JAVA25 (java executables), JDKS (default "jdk17 jdk25"), JMH_OPTS, JVM_OPTS (for the JMH launcher, e.g.
# -Djmh.ignoreLock=true when another JMH run holds /tmp/jmh.lock), JAR (a prebuilt benchmarks.jar;
# default: build cmk-benchmarks and use its shaded jar).
set -euo pipefail

cd "$(dirname "$0")/.."
JAVA17=${JAVA17:-java}
JAVA25=${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
JMH_OPTS=${JMH_OPTS:--f 1 -wi 3 -i 5 -w 1s -r 1s}
OUT=cmk-benchmarks/results-peers
if [[ -z "${JAR:-}" ]]; then
  mvn -B -q -pl cmk-benchmarks -am package -DskipTests -Djacoco.skip=true
  # A copy, so a rebuild of the module during the run cannot change the classes under test.
  JAR=$(mktemp -d)/benchmarks.jar
  cp cmk-benchmarks/target/benchmarks.jar "$JAR"
fi
PHASES=("$@")
[[ ${#PHASES[@]} -gt 0 ]] || PHASES=(roundtrip1k streaming coldcache range threads oneshot)
mkdir -p "$OUT"

P=dev.cmk.benchmarks.peers
args_for() {
  case $1 in
    roundtrip1k) echo "$P.PeerOneShotBenchmark.*RoundTrip -p size=1024 $JMH_OPTS" ;;
    streaming) echo "$P.PeerStreamingBenchmark $JMH_OPTS" ;;
    # Single-shot batches of 10,000 decryptions (Tink's take ~10 s each): fewer iterations.
    coldcache) echo "$P.PeerColdCacheBenchmark -f 1 -wi 1 -i 3" ;;
    range) echo "$P.PeerRangeReadBenchmark $JMH_OPTS" ;;
    threads) echo "$P.PeerThreadsBenchmark $JMH_OPTS" ;;
    oneshot) echo "$P.PeerOneShotBenchmark.*(Encrypt|Decrypt)$ $JMH_OPTS" ;;
    *) echo "unknown phase $1" >&2; exit 2 ;;
  esac
}

{
  echo
  echo "run of phases ${PHASES[*]}"
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "cpu: $(lscpu | sed -n 's/^Model name: *//p') ($(nproc) cores)"
  echo "jmh options: $JMH_OPTS (coldcache: -f 1 -wi 1 -i 3, single shot)"
} >> "$OUT/environment.txt"

for label in ${JDKS:-jdk17 jdk25}; do
  java=$JAVA17
  [[ $label == jdk25 ]] && java=$JAVA25
  echo "$label: $("$java" -version 2>&1 | sed -n 2p)" >> "$OUT/environment.txt"
  for phase in "${PHASES[@]}"; do
    echo "$label $phase load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/environment.txt"
    # shellcheck disable=SC2046 # the phase's arguments are a list
    # shellcheck disable=SC2086 # JVM_OPTS is a list of options
    "$java" ${JVM_OPTS:-} -jar "$JAR" $(args_for "$phase") -rf json -rff "$OUT/$label-$phase.json" \
      2>&1 | tee "$OUT/$label-$phase.log" | grep -E '^(Peer|Benchmark)|Error|Exception' || true
    echo "$label $phase load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/environment.txt"
  done
done

python3 cmk-benchmarks/results-peers-table.py "$OUT" > "$OUT/table.md"
cat "$OUT/environment.txt" "$OUT/table.md"
