#!/usr/bin/env bash
# The cmk demo: a FHIR server whose data is encrypted under a customer-managed key.
#
#   ./demo.sh                  build, then run the scripted walkthrough (store, read, ciphertext at
#                              rest, rotate, revoke -> 500, restore -> 200, lock after 30 min,
#                              refresh -> 200) against a throw-away keystore; exits 0 if every
#                              step behaved as expected
#   ./demo.sh --serve [PORT]   build, then start the server (default port 8080) and leave it
#                              running for curl; the keystore and database persist in
#                              examples/fhir-server/target/demo
#   ./demo.sh key rotate|disable|enable|list
#                              act on that keystore as the key's owner (use with --serve)
#
# Needs a JDK 17+ and Maven (installed with apt-get when missing) and access to Maven Central.
set -euo pipefail
cd "$(dirname "$0")"

module=examples/fhir-server
jar="$module/target/cmk-example-fhir-server.jar"
serve_dir="$module/target/demo"

usage() {
  sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
}

install_missing() {
  local need=()
  command -v javac >/dev/null 2>&1 || need+=(default-jdk-headless)
  command -v mvn >/dev/null 2>&1 || need+=(maven)
  if [ ${#need[@]} -gt 0 ]; then
    local sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    echo "demo: installing ${need[*]}" >&2
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${need[@]}" >/dev/null
  fi
}

build() {
  install_missing
  echo "demo: building the FHIR server example (mvn package, tests skipped)..." >&2
  local log
  log="$(mktemp "${TMPDIR:-/tmp}/cmk-demo-build.XXXXXX")"
  # -DskipTests, not -Dmaven.test.skip: the fleet-state module needs cmk-core's test jar to resolve.
  if ! mvn -B -q -pl "$module" -am package -DskipTests >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "demo: the build failed" >&2
    exit 1
  fi
  rm -f "$log"
}

case "${1:-}" in
  "")
    build
    work="$(mktemp -d "${TMPDIR:-/tmp}/cmk-fhir-demo.XXXXXX")"
    trap 'rm -rf "$work"' EXIT
    java -cp "$jar" dev.cmk.examples.fhir.DemoWalkthrough "$work"
    ;;
  --serve)
    port="${2:-8080}"
    build
    mkdir -p "$serve_dir"
    java -cp "$jar" dev.cmk.examples.fhir.DemoKeystore setup "$serve_dir/vault"
    base="http://127.0.0.1:$port"
    cat <<EOF

Try, in another terminal:
  # store and find a patient
  curl -s -X POST $base/Patient -H 'Content-Type: application/fhir+json' \\
       -d '{"resourceType":"Patient","name":[{"family":"Chalmers","given":["Peter"]}]}'
  curl -s '$base/Patient?_lastUpdated=gt2020-01-01'
  curl -s '$base/\$cmk-status'
  # the key's owner disables the key; fast-forward past the server's next key check
  ./demo.sh key disable
  curl -s -X POST '$base/\$demo-clock?advance=PT1M'
  curl -s '$base/Patient'          # HTTP 500: the customer-managed key is not accessible
  # restore it within 30 minutes: the server resumes by itself
  ./demo.sh key enable
  curl -s -X POST '$base/\$demo-clock?advance=PT10S'
  # after more than 30 minutes without the key, an explicit refresh is needed
  curl -s -X POST '$base/\$cmk-refresh'

EOF
    exec java -jar "$jar" --port "$port" \
      --key-encryption-key-url local:fhir-cmk \
      --keystore "$serve_dir/vault/keys.p12" \
      --keystore-password-file "$serve_dir/vault/keystore-password" \
      --jdbc-url "jdbc:hsqldb:file:$(pwd)/$serve_dir/db/fhir" \
      --demo-clock
    ;;
  key)
    [ -f "$jar" ] || build
    java -cp "$jar" dev.cmk.examples.fhir.DemoKeystore "${2:-list}" "$serve_dir/vault"
    ;;
  -h|--help)
    usage
    ;;
  *)
    usage >&2
    exit 2
    ;;
esac
