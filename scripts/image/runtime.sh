#!/usr/bin/env bash
# The image's runtime stage (Dockerfile): the runtime libraries, and the user riposte runs as.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
grep -v '^#' "$(dirname "$0")/runtime-packages.txt" | xargs apt-get install -y -qq --no-install-recommends
rm -rf /var/lib/apt/lists/*
useradd --system --home-dir /var/lib/riposte --shell /usr/sbin/nologin riposte
install -d -m 0750 -o riposte -g riposte /var/lib/riposte
chgrp -R riposte /etc/riposte
chmod -R g+rX,o-rwx /etc/riposte
