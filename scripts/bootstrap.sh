#!/usr/bin/env bash
# Installs what xsync desktop needs on a fresh Debian/Ubuntu machine (or reuses it):
# system packages when run as root (or with sudo), then a virtualenv in .venv.
# Usage: bash scripts/bootstrap.sh [test,build] (build: also nsis and wine for the installer tests)
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"

need_pkgs=()
command -v python3 >/dev/null || need_pkgs+=(python3)
python3 -c 'import venv, ensurepip' 2>/dev/null || need_pkgs+=(python3-venv)
# Qt's xcb platform (a real window) needs these; offscreen needs none of them.
for lib in libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libegl1 libxkbcommon-x11-0 libgl1; do
  dpkg -s "$lib" >/dev/null 2>&1 || need_pkgs+=("$lib")
done
if [[ "$extras" == *build* ]]; then command -v makensis >/dev/null || need_pkgs+=(nsis); fi
SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
if ((${#need_pkgs[@]})) && command -v apt-get >/dev/null; then
  echo "Installing system packages: ${need_pkgs[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi
# Wine runs the built installer in the slow suite (tests/packaging/test_installer_wine.py); about
# 1.5 minutes to install on Debian 12. Optional: without it that test skips and says why.
if [[ "$extras" == *build* ]] && ! command -v wine >/dev/null && command -v apt-get >/dev/null; then
  echo "Installing wine for the installer test"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wine wine64 >/dev/null \
    || echo "wine could not be installed here: the installer test will skip"
fi

if [[ ! -x .venv/bin/python ]]; then
  python3 -m venv .venv
fi
# Exact versions and hashes of every dependency (app, test, build) from the lock file, the same on every
# machine and in CI (bash scripts/lock.sh refreshes it); then the app itself on top, adding nothing.
.venv/bin/python -m pip install -q --require-hashes -r requirements/lock.txt
.venv/bin/python -m pip install -q --no-deps --no-build-isolation -e .
