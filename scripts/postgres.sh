#!/usr/bin/env bash
# Starts a local PostgreSQL server for the test suite (Debian/Ubuntu, as root or with sudo)
# and prints the SQLAlchemy URL to reach it as the current user. Idempotent.
set -euo pipefail
SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
if ! command -v pg_ctlcluster >/dev/null; then
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi
ver=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$ver main"; then
  $SUDO pg_createcluster "$ver" main >&2
fi
$SUDO pg_ctlcluster "$ver" main start >&2 2>/dev/null || true
me=$(id -un)
if ! $SUDO su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='$me'\"" | grep -q 1; then
  $SUDO su postgres -c "createuser -s '$me'" >&2
fi
echo "postgresql+psycopg://$me@/postgres?host=/var/run/postgresql"
