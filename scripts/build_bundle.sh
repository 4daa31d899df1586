#!/usr/bin/env bash
# Build the one-folder bundle, smoke-test the frozen program, build the NSIS installer.
# All the work is in scripts/build_bundle.py (it runs on Windows too); this picks the venv's Python.
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${PYTHON:-.venv/bin/python}" scripts/build_bundle.py "$@"
