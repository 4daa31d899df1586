#!/usr/bin/env bash
# Installs what xsync desktop needs on a fresh Debian/Ubuntu machine (or reuses it):
# system packages when run as root (or with sudo), then a virtualenv in .venv.
# Usage: bash scripts/bootstrap.sh [pip extras, e.g. test,build]
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
if ((${#need_pkgs[@]})) && command -v apt-get >/dev/null; then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  echo "Installing system packages: ${need_pkgs[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

if [[ ! -x .venv/bin/python ]]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
spec="."
[[ -n "$extras" ]] && spec=".[${extras}]"
.venv/bin/python -m pip install -q -e "$spec"
