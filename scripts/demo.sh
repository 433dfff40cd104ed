#!/usr/bin/env bash
# `npm run demo`: everything a fresh Debian machine with Node >= 20 needs for the
# demo (npm dependencies, Dovecot, a build), then scripts/demo.ts, which starts
# two private Dovecot servers and runs replimap between them.
set -euo pipefail

cd "$(dirname "$0")/.."

step() { printf '==> %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "demo: need root to install Dovecot, and sudo is not available" >&2
    exit 1
  fi
}

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "demo: Node.js >= 20 is required (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

if [ ! -d node_modules ]; then
  step "Installing npm dependencies (npm ci)"
  npm ci
fi

if [ ! -x /usr/sbin/dovecot ] || ! command -v doveadm >/dev/null 2>&1; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "demo: Dovecot is missing and apt-get is not available; install dovecot-imapd and dovecot-core" >&2
    exit 1
  fi
  step "Installing Dovecot (apt-get install dovecot-imapd dovecot-core)"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y dovecot-imapd dovecot-core
  # The demo runs its own private instances; the system-wide service the
  # package may have started is not needed.
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet dovecot 2>/dev/null; then
    step "Stopping and disabling the system-wide Dovecot service the package started"
    as_root systemctl disable --now dovecot || true
  elif [ -s /run/dovecot/master.pid ] && kill -0 "$(cat /run/dovecot/master.pid)" 2>/dev/null; then
    as_root kill -TERM "$(cat /run/dovecot/master.pid)" || true
  fi
fi

step "Building (npm run build)"
npm run build --silent

step "Running the demo"
exec npx tsx scripts/demo.ts
