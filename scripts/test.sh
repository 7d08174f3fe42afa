#!/usr/bin/env bash
# Runs every test of a build directory (unit and integration, via ctest).
set -euo pipefail
BUILD=${1:-build}
if ! command -v moto_server >/dev/null 2>&1; then
  echo "test: moto_server not found; the integration tests need it: pip install 'moto[server]'" >&2
fi
ctest --test-dir "$BUILD" --output-on-failure -j "${TEST_JOBS:-2}" --timeout 900
