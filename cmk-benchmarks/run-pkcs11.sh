#!/usr/bin/env bash
# Runs dev.cmk.benchmarks.pkcs11 (Pkcs11KeyProvider.unwrap on a throw-away SoftHSM2 token, RSA 2048
# and 3072, 1 and 2 threads) on JDK 17 and on Temurin 25. Results go to cmk-benchmarks/results-pkcs11/
# (replaced by every run):
#   <jdk>.json        JMH results
#   <jdk>.log         JMH output, with the set-up line naming the unwrap path the token takes
#   environment.txt   date, CPU, JDKs, SoftHSM2, JMH options, load average before and after each JDK
#   table.md          ops/s ± error per key size and thread count, 2-thread/1-thread ratio
#                     (results-pkcs11-table.py)
#
# Usage: cmk-benchmarks/run-pkcs11.sh
# Environment: JAVA17 / JAVA25 (java executables), JDKS (default "jdk17 jdk25"),
#   JMH_OPTS (default "-f 1 -wi 3 -w 2s -i 5 -r 2s"; do not pass -t, the benchmark methods fix their
#   thread counts), JVM_OPTS (for the JMH launcher, e.g. -Djmh.ignoreLock=true when another JMH run
#   holds /tmp/jmh.lock), JAR (a prebuilt benchmarks.jar; default: build cmk-benchmarks and use its
#   shaded jar).
# SoftHSM2 reads SOFTHSM2_CONF from the environment when the library is initialized, so this script
# exports it (a file in a scratch directory, deleted at exit) before starting JMH; the forked
# benchmark JVMs inherit it and write the configuration and their token there.
set -euo pipefail

cd "$(dirname "$0")/.."
JAVA17=${JAVA17:-java}
JAVA25=${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
JMH_OPTS=${JMH_OPTS:--f 1 -wi 3 -w 2s -i 5 -r 2s}
LIBRARY=/usr/lib/softhsm/libsofthsm2.so
OUT=cmk-benchmarks/results-pkcs11

if [[ ! -f $LIBRARY ]]; then
  echo "SoftHSM2 is not installed ($LIBRARY not found): apt-get install softhsm2" >&2
  exit 1
fi
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
export SOFTHSM2_CONF=$SCRATCH/softhsm/softhsm2.conf

if [[ -z "${JAR:-}" ]]; then
  mvn -B -q -pl cmk-benchmarks -am package -DskipTests -Djacoco.skip=true
  # A copy, so a rebuild of the module during the run cannot change the classes under test.
  JAR=$SCRATCH/benchmarks.jar
  cp cmk-benchmarks/target/benchmarks.jar "$JAR"
fi

mkdir -p "$OUT"
rm -f "$OUT"/*.json "$OUT"/*.log "$OUT/table.md"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "cpu: $(lscpu | sed -n 's/^Model name: *//p') ($(nproc) cores)"
  echo "softhsm2: $(softhsm2-util --version) (package $(dpkg-query -W -f='${Version}' softhsm2 2>/dev/null || echo unknown))"
  echo "jmh options: $JMH_OPTS"
} > "$OUT/environment.txt"

for label in ${JDKS:-jdk17 jdk25}; do
  java=$JAVA17
  [[ $label == jdk25 ]] && java=$JAVA25
  echo "$label: $("$java" -version 2>&1 | sed -n 2p)" >> "$OUT/environment.txt"
  echo "$label load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/environment.txt"
  # shellcheck disable=SC2086 # JVM_OPTS and JMH_OPTS are lists of options
  "$java" ${JVM_OPTS:-} -jar "$JAR" 'dev.cmk.benchmarks.pkcs11' $JMH_OPTS -rf json -rff "$OUT/$label.json" \
    2>&1 | tee "$OUT/$label.log" | grep -E '^(Pkcs11|Benchmark)|pkcs11 set-up|Error|Exception' || true
  echo "$label load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/environment.txt"
  if [[ ! -s $OUT/$label.json ]]; then
    echo "$label: no results; see $OUT/$label.log" >&2
    exit 1
  fi
done

python3 cmk-benchmarks/results-pkcs11-table.py "$OUT" > "$OUT/table.md"
cat "$OUT/environment.txt" "$OUT/table.md"
