#!/usr/bin/env bash
# Installs the real clients some tests drive, from Debian's packages (run as root; CI runs it):
# - promtool (package prometheus), which checks the /metrics exposition;
# - chromium, which playwright-core drives to test the dashboard;
# - kubectl (package kubernetes-client, 1.20), unpacked into .tools/kubernetes-client rather than
#   installed, because /usr/bin/kubectl may belong to another package on this machine;
# and it starts the machine's PostgreSQL server when it is not running (the engine's tests need it).
# Tests that need a client it does not find skip with a note.
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

# The PostgreSQL engine's tests use the machine's server (127.0.0.1:5432, trust authentication):
# install it if it is missing, and start it when it is not running.
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  apt_update
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
  pg_isready -q -h 127.0.0.1 -p 5432 -t 60
fi
