#!/usr/bin/env bash
# Quick start 2: install and run every test suite (what CI runs):
# lint, the fast suite, the store/ledger/sync suites again on PostgreSQL, then the slow
# end-to-end, reliability and packaging suites.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh test,build
# The Linux installer built here only proves the NSIS script compiles: compress it quickly.
export XSYNC_FAST_INSTALLER=1
export QT_QPA_PLATFORM=offscreen
# One pytest process is bound to about one core (the sandbox serves from threads of the same
# interpreter), so every suite runs on two workers; --dist loadfile keeps a module's tests (and
# its module-scoped fixtures, such as the one PyInstaller build) on one worker.
PARALLEL=(-n "${XSYNC_TEST_WORKERS:-2}" --dist loadfile)
.venv/bin/ruff check xsync_desktop tests
.venv/bin/python -m pytest -q "${PARALLEL[@]}"
if pg_url=$(bash scripts/postgres.sh); then
  XSYNC_TEST_POSTGRES_URL="$pg_url" .venv/bin/python -m pytest -q "${PARALLEL[@]}" tests/store tests/ledger tests/sync tests/desks
  # The kill soak on a shared PostgreSQL database as well (24 kills there, 52 on SQLite below: CI time).
  XSYNC_TEST_POSTGRES_URL="$pg_url" XSYNC_SOAK_KILLS=24 .venv/bin/python -m pytest -q -m reliability \
    tests/reliability/test_kill_soak.py -k postgresql
else
  echo "PostgreSQL could not be started here (needs root or sudo on Debian/Ubuntu): PostgreSQL run skipped"
fi
.venv/bin/python -m pytest -q "${PARALLEL[@]}" -m "slow or reliability"
