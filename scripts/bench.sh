#!/usr/bin/env bash
# make bench: runs every Google Benchmark binary of a build (bench_*), by hand, not in CI.
set -euo pipefail
BUILD=${1:-build}
shopt -s nullglob
ran=0
for b in "$BUILD"/bin/bench_*; do
  echo "== $b"
  "$b" --benchmark_counters_tabular=true ${BENCH_ARGS:-}
  ran=1
done
[ "$ran" = 1 ] || { echo "bench: no benchmark binaries in $BUILD/bin" >&2; exit 1; }
