#!/usr/bin/env bash
# Quick start 1: install and launch the app on its demo (embedded database + built-in Xero sandbox).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/xsync-desktop --demo "$@"
