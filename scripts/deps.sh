#!/usr/bin/env bash
# Installs riposte's build and test dependencies from Debian's packages: only what is
# missing, so a second run is quick. Checks that moto_server (Python) is available.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config clang-14 libclang-rt-14-dev clang-format
  libsimdjson-dev libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libcurl4-openssl-dev libpugixml-dev libyaml-cpp-dev libsqlite3-dev libpq-dev libssl-dev
  libre2-dev libspdlog-dev libfmt-dev libcli11-dev libexpected-dev
  libgtest-dev libgmock-dev librapidcheck-dev libbenchmark-dev libgoogle-perftools-dev
  postgresql rsyslog rsyslog-openssl prometheus curl python3 systemd
)

missing=()
for p in "${PACKAGES[@]}"; do
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]; then
    missing+=("$p")
  fi
done

# Node.js and npm (for the asl-validator cross-check) may come from Debian or another vendor's
# nodejs package: only ask apt for them when the commands are missing.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "deps: all ${#PACKAGES[@]} Debian packages present"
fi

if ! command -v moto_server >/dev/null 2>&1; then
  echo "deps: moto_server not found. riposte's integration tests and demo play AWS with moto 5:" >&2
  echo "      pip install 'moto[server]'" >&2
  echo "      (the tests fail with this message until it is installed)" >&2
fi
