#!/usr/bin/env bash
# make fuzz: runs every libFuzzer target of a fuzz build (fuzz_*) for FUZZ_SECONDS each,
# starting from (and adding to) its corpus in fuzz/<module>/corpus/<target>/.
set -euo pipefail
BUILD=${1:-build-fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-60}
shopt -s nullglob
ran=0
for f in "$BUILD"/bin/fuzz_*; do
  name=$(basename "$f")
  corpus=$(ls -d fuzz/*/corpus/"$name" 2>/dev/null | head -1 || true)
  work=$(mktemp -d)
  echo "== $name for ${SECONDS_EACH}s (seed corpus: ${corpus:-none})"
  "$f" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 "$work" ${corpus:+"$corpus"}
  ran=1
done
[ "$ran" = 1 ] || { echo "fuzz: no fuzz targets in $BUILD/bin" >&2; exit 1; }
