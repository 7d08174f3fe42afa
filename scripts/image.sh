#!/usr/bin/env bash
# make image: the container image of the Dockerfile.
#  - With a running container engine: docker build -t riposte .
#  - Without one (or with --no-engine): the image's build steps run here, on this Debian machine
#    (the image's base), into a staging root, and what the runtime stage needs is checked:
#      1. the Dockerfile's RUN steps are the scripts this runs (scripts/image/*.sh);
#      2. scripts/image/build.sh installs riposte under the staging root;
#      3. every shared library the staged binary needs comes from a package that
#         scripts/image/runtime.sh installs (runtime-packages.txt), and each of those exists in
#         the Debian archive this machine uses;
#      4. the staged binary runs and its staged configuration validates.
# Environment: BUILD (build directory to reuse, default build), STAGE (staging root, default a
# new temporary directory).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" != "--no-engine" ] && command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  exec docker build -t riposte:latest .
fi
BUILD=${BUILD:-build}
STAGE=${STAGE:-$(mktemp -d /tmp/riposte-image.XXXXXX)}
fail() { echo "image: $*" >&2; exit 1; }

# 1. The Dockerfile runs exactly these scripts.
runs=$(grep -E '^RUN ' Dockerfile | sed 's/^RUN //')
grep -qx 'scripts/image/build.sh /out /src/build-image' <<<"$runs" ||
  fail "Dockerfile: the build stage must RUN scripts/image/build.sh /out /src/build-image"
grep -qx '/tmp/image/runtime.sh && rm -rf /tmp/image' <<<"$runs" ||
  fail "Dockerfile: the runtime stage must RUN /tmp/image/runtime.sh"
[ "$(wc -l <<<"$runs")" -eq 2 ] || fail "Dockerfile: a RUN step this check does not run: $runs"

# 2. The build stage, into the staging root.
scripts/image/build.sh "$STAGE" "$BUILD" >/dev/null
bin="$STAGE/usr/local/bin/riposte"
[ -x "$bin" ] || fail "build.sh installed no $bin"
[ -f "$STAGE/etc/riposte/riposte.yaml" ] || fail "build.sh installed no /etc/riposte"

# 3. The runtime stage's packages provide every library the binary links.
mapfile -t wanted < <(grep -v '^#' scripts/image/runtime-packages.txt | sed '/^$/d')
for lib in $(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
  case "$lib" in libc.so.* | libm.so.* | libgcc_s.so.* | ld-linux*) continue ;; esac  # base image
  # No pipeline here ends early: under pipefail a writer cut off by SIGPIPE fails the script.
  path=$(ldconfig -p | awk -v l="$lib" '$1 == l && !found { print $NF; found = 1 }')
  [ -n "$path" ] || fail "$lib: not found on this machine"
  owners=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null || true)
  pkg=${owners%%$'\n'*}
  pkg=${pkg%%:*}
  [ -n "$pkg" ] || fail "$lib ($path): no Debian package provides it"
  printf '%s\n' "${wanted[@]}" | grep -x "$pkg" >/dev/null ||
    fail "$lib comes from $pkg, which scripts/image/runtime-packages.txt does not install"
done
for pkg in "${wanted[@]}"; do
  apt-cache show --no-all-versions "$pkg" >/dev/null 2>&1 || fail "package $pkg is not in the archive"
done

# 4. The staged binary runs with its staged configuration.
"$bin" --version >/dev/null || fail "the staged binary does not run"
RIPOSTE_SNS_TOPIC_ARN=arn:aws:sns:us-east-1:123456789012:image-check \
  "$bin" validate "$STAGE/etc/riposte" >/dev/null || fail "the staged configuration does not validate"
echo "image: no container engine here; the image's steps ran into $STAGE and check out"
