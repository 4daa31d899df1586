#!/usr/bin/env bash
# Refreshes requirements/lock.txt: exact versions and hashes of everything the app, the tests and the
# build install (pyproject.toml's dependencies and its test, build and postgres extras, plus pip and the
# build system), for every platform the app runs on (Linux CI, the Windows installer build).
# Run it after changing a dependency in pyproject.toml, or to take newer versions; commit the result
# after `bash scripts/test.sh` passes with it. Needs network access to PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -x .venv/bin/uv ]] || .venv/bin/python -m pip install -q uv
.venv/bin/uv pip compile pyproject.toml requirements/build-system.in \
  --extra test --extra build --extra postgres \
  --universal --python-version 3.11 --generate-hashes \
  --no-header --custom-compile-command "bash scripts/lock.sh" \
  ${UPGRADE:+--upgrade} -o requirements/lock.txt
echo "requirements/lock.txt refreshed (UPGRADE=1 bash scripts/lock.sh takes the newest allowed versions)"
