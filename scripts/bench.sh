#!/usr/bin/env bash
# make bench: runs every Google Benchmark binary of a build (*_bench), by hand, not in CI.
set -euo pipefail
BUILD=${1:-build}
shopt -s nullglob
ran=0
for b in "$BUILD"/bin/*_bench; do
  echo "== $b"
  "$b" --benchmark_counters_tabular=true ${BENCH_ARGS:-}
  ran=1
done
[ "$ran" = 1 ] || { echo "bench: no benchmark binaries in $BUILD/bin" >&2; exit 1; }
