#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian machine: installs what the tests need, then Maven.
set -euo pipefail
cd "$(dirname "$0")"

need=()
command -v softhsm2-util >/dev/null 2>&1 || need+=(softhsm2)
command -v mvn >/dev/null 2>&1 || need+=(maven)
if [ ${#need[@]} -gt 0 ]; then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${need[@]}" >/dev/null
fi

mvn -B verify "$@"
