#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian machine: installs what the tests need (SoftHSM2,
# OpenSC's pkcs11-tool, Maven, node and npm), then Maven:
# every module's unit and integration tests (with the coverage gate) on the default JDK (17, the
# baseline), then the unit tests of cmk-api, cmk-testkit and cmk-core again on the newest JDK
# installed under /usr/lib/jvm, if that is a newer one (skipped with a message otherwise; set
# CMK_NEWEST_JDK=none to skip it, or to a JDK directory to choose one).
set -euo pipefail
cd "$(dirname "$0")"

need=()
command -v softhsm2-util >/dev/null 2>&1 || need+=(softhsm2)
# OpenSC's pkcs11-tool: the PKCS#11 tests make keys the way an HSM admin does (binary CKA_IDs).
command -v pkcs11-tool >/dev/null 2>&1 || need+=(opensc)
command -v mvn >/dev/null 2>&1 || need+=(maven)
# Node.js 20+ and npm: Azure's JavaScript SDK against the loopback Key Vault (JsSdkInteropIT) and
# Azurite (cmk-state-azure-blob, the DICOM replica test). The machine image ships Node 20; Debian's
# own nodejs (18 on bookworm) is only a fallback. The tests fail without Node when CI=true.
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${need[@]}" >/dev/null
fi

mvn -B verify "$@"

# Feature release of the JDK in $1 (a JAVA_HOME), from its release file; empty if unknown.
jdk_feature() {
  sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null || true
}

default_home=$(mvn -v 2>/dev/null | sed -n 's/^Java version: .*, runtime: //p')
default_feature=$(jdk_feature "$default_home")
newest=${CMK_NEWEST_JDK:-}
if [ -z "$newest" ]; then
  best=0
  for home in /usr/lib/jvm/*/; do
    home=${home%/}
    f=$(jdk_feature "$home")
    if [ -n "$f" ] && [ -x "$home/bin/javac" ] && [ "$f" -gt "$best" ]; then
      best=$f
      newest=$home
    fi
  done
fi

if [ "$newest" = none ]; then
  echo "== Newest-JDK pass skipped (CMK_NEWEST_JDK=none)."
elif [ -z "$newest" ] || [ ! -x "$newest/bin/java" ]; then
  echo "== Newest-JDK pass SKIPPED: no usable JDK (${CMK_NEWEST_JDK:-none under /usr/lib/jvm})."
elif [ -n "$default_feature" ] && [ "$(jdk_feature "$newest")" -le "$default_feature" ]; then
  echo "== Newest-JDK pass SKIPPED: $newest is not newer than the default JDK ($default_feature)."
else
  # The fast unit tests only (envelope format, streaming, guard, fuzz regression corpus, API and
  # testkit): the provider integration tests and the soak already ran above, and running the
  # whole build twice would double CI time. Classes stay --release 17 bytecode.
  echo "== Newest-JDK pass: unit tests of cmk-api, cmk-testkit, cmk-core on $newest"
  JAVA_HOME="$newest" mvn -B verify -pl cmk-api,cmk-testkit,cmk-core -DskipITs -Djacoco.skip=true
fi
