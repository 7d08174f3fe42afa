#!/usr/bin/env bash
# The image's build stage (Dockerfile): installs the build dependencies, builds riposte and
# installs it under OUT (/usr/local/bin/riposte, /etc/riposte, docs). Also run without a
# container engine by scripts/image.sh, with an existing build directory.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:?usage: build.sh OUT [BUILD]}
BUILD=${2:-build}
scripts/deps.sh
if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRIPOSTE_TESTS=OFF \
    -DRIPOSTE_BENCH=OFF
fi
DESTDIR="$OUT" scripts/install.sh "$BUILD" /usr/local
