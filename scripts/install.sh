#!/usr/bin/env bash
# make install [PREFIX=/usr/local] [DESTDIR=…]: the binary, the systemd unit (with its user and
# state directory), the docs, and /etc/riposte with the default configuration unless one is
# there already. With DESTDIR the files are staged under it and the system is not touched.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
PREFIX=${2:-/usr/local}
cmake --build "$BUILD" -j "$(nproc)" --target riposte
cmake --install "$BUILD" --prefix "$PREFIX"
confdir=$(cat "$BUILD/install-confdir.txt")
if [ -n "${DESTDIR:-}" ]; then
  echo "install: staged under $DESTDIR"
  exit 0
fi
# The service's user and state directory, as the unit's sysusers.d and tmpfiles.d files say.
if command -v systemd-sysusers >/dev/null 2>&1; then
  systemd-sysusers "$PREFIX/lib/sysusers.d/riposte.conf"
elif ! id riposte >/dev/null 2>&1; then
  useradd --system --home-dir /var/lib/riposte --shell /usr/sbin/nologin riposte
fi
if command -v systemd-tmpfiles >/dev/null 2>&1; then
  systemd-tmpfiles --create "$PREFIX/lib/tmpfiles.d/riposte.conf"
else
  install -d -m 0750 -o riposte -g riposte /var/lib/riposte
fi
# The configuration is root's to change and the service's to read.
chgrp -R riposte "$confdir"
chmod -R g+rX,o-rwx "$confdir"
if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
echo "install: riposte in $PREFIX/bin, configuration in $confdir"
echo "         start it with: systemctl enable --now riposte"
