#!/usr/bin/env bash
# make demo: runs the end-to-end scenario against a local AWS (moto_server).
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 scripts/demo.py "${1:-build/bin/riposte}"
