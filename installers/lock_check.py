"""Does the build environment hold exactly what requirements/lock.txt pins? (used by scripts/build_bundle.py)

An installer is only reproducible if the PyInstaller, Qt and libraries it freezes are the locked
ones. `pip install --require-hashes -r requirements/lock.txt` puts them there (bootstrap.sh, CI);
this check refuses to build from any other environment (a `pip install -e .[build]` that took
whatever PyInstaller was newest that day), naming each difference and the command that fixes it.

pip, setuptools and wheel are locked for installing, not for the bundle: build.spec excludes
them, and a developer's venv often carries its own pip. They are not checked here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

LOCK_FILE = Path(__file__).resolve().parents[1] / "requirements" / "lock.txt"
INSTALL_TOOLS = frozenset({"pip", "setuptools", "wheel"})
FIX = "pip install --require-hashes -r requirements/lock.txt"


class LockFileError(ValueError):
    """The lock file is not one `pip install --require-hashes` would accept."""


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    hashes: int


def read_pins(text: str) -> list[Pin]:
    """The pins that apply to this machine (environment markers evaluated), each with its hashes."""
    pins = []
    for line in text.replace("\\\n", " ").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        spec, *hashes = (part.strip() for part in line.split("--hash="))
        req = Requirement(spec)
        exact = [s.version for s in req.specifier if s.operator == "=="]
        if len(exact) != 1 or not hashes:
            raise LockFileError(f"{spec!r} in the lock file is not an exact version with hashes "
                                "(refresh it with: bash scripts/lock.sh)")
        if req.marker is None or req.marker.evaluate():
            pins.append(Pin(canonicalize_name(req.name), exact[0], len(hashes)))
    return pins


def _installed(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def differences(pins: list[Pin], installed: Callable[[str], str | None] = _installed) -> list[str]:
    """One line per locked package this environment lacks or holds at another version."""
    out = []
    for pin in pins:
        if pin.name in INSTALL_TOOLS:
            continue
        have = installed(pin.name)
        if have is None:
            out.append(f"{pin.name}: not installed, the lock file pins {pin.version}")
        elif have != pin.version:
            out.append(f"{pin.name}: {have} installed, the lock file pins {pin.version}")
    return out


def lock_digest(path: Path = LOCK_FILE) -> str:
    """sha256 of the lock file, for the build report (which lock an installer was built from)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_environment(path: Path = LOCK_FILE) -> list[str]:
    """The differences between this environment and the lock file (empty: build away)."""
    return differences(read_pins(path.read_text(encoding="utf-8")))
