#!/usr/bin/env bash
# Installs the real clients some tests drive, from Debian's packages (run as root; CI runs it):
# - promtool (package prometheus), which checks the /metrics exposition;
# - chromium, which playwright-core drives to test the dashboard;
# - kubectl (package kubernetes-client, 1.20), unpacked into .tools/kubernetes-client rather than
#   installed, because /usr/bin/kubectl may belong to another package on this machine.
# Tests that need a tool it does not find skip with a note.
set -euo pipefail
cd "$(dirname "$0")/.."
updated=false
apt_update() { $updated || { apt-get update -qq; updated=true; }; }

if ! command -v promtool >/dev/null 2>&1; then
  apt_update
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi

if [ ! -x /usr/bin/chromium ]; then
  apt_update
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi

if [ ! -x .tools/kubernetes-client/usr/bin/kubectl ]; then
  apt_update
  work=$(mktemp -d)
  chmod 1777 "$work" # apt downloads as its own user, _apt
  (cd "$work" && apt-get download -qq kubernetes-client)
  mkdir -p .tools/kubernetes-client
  dpkg -x "$work"/kubernetes-client_*.deb .tools/kubernetes-client
  rm -rf "$work"
fi
