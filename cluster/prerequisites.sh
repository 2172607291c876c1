#!/usr/bin/env bash
# cluster/prerequisites.sh — make sure `npm run cluster` and `npm run test:cluster` can start
# their engines: the PostgreSQL 15 server binaries and the `postgres` OS user
# (.ci/faults-prerequisites), haproxy and nats-server. Missing ones are installed with apt-get
# when running as root (as .ci/run does); otherwise it says what to install and exits 1.
# Changes nothing when everything is there. Called by `npm run cluster` and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

bash .ci/faults-prerequisites

missing=()
for pkg in haproxy nats-server; do
  bin="${pkg^^}_BIN"; bin="${bin//-/_}"
  [ -n "${!bin:-}" ] && [ -x "${!bin}" ] && continue
  [ -x "/usr/sbin/$pkg" ] || command -v "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "cluster prerequisites: MISSING ${missing[*]}; not root, so cannot apt-get install them." >&2
    echo "  install them (apt-get install ${missing[*]}) or set HAPROXY_BIN / NATS_SERVER_BIN." >&2
    exit 1
  fi
  echo "cluster prerequisites: installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi
echo "cluster prerequisites: ok (PostgreSQL 15, haproxy, nats-server)"
