#!/usr/bin/env bash
# Quick start 2: install and run every test suite (what CI runs):
# lint, the fast suite, then the slow end-to-end, reliability and packaging suites.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh test,build
export QT_QPA_PLATFORM=offscreen
.venv/bin/ruff check xsync_desktop tests
.venv/bin/python -m pytest -q
.venv/bin/python -m pytest -q -m "slow or reliability"
