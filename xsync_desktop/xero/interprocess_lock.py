"""A per-profile lock shared by every process on this machine.

Two copies of the app (or the GUI and a scheduled ``xsync-desktop sync``) may
try to refresh the same refresh token at once; Xero rotates it, so the loser
would hold a dead token.  An OS file lock (``fcntl.flock`` / ``msvcrt.locking``)
serialises refreshes; the OS releases it if a process dies (the lock itself is
``oslock.FileLock``, shared with the run lock).
"""

from __future__ import annotations

import re
from pathlib import Path

import platformdirs

from ..oslock import FileLock, HeldWhileInside
from .errors import XeroError


def default_lock_dir() -> Path:
    """Local (not roaming) app data: locks must not follow a roaming profile."""
    return Path(platformdirs.user_data_dir("xsync-desktop", appauthor=False, roaming=False)) / "locks"


def lock_path_for(profile_id: str, lock_dir: Path | None = None) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", profile_id) or "default"
    return (lock_dir or default_lock_dir()) / f"{safe}.xero.lock"


class InterProcessLock(HeldWhileInside):
    """Waits up to `timeout` seconds for the profile's token lock (a refresh takes a second or two)."""

    def __init__(self, path: Path, timeout: float = 60.0, poll: float = 0.02) -> None:
        self._lock = FileLock(path)
        self.path = self._lock.path
        self.timeout = timeout
        self.poll = poll

    def acquire(self) -> None:
        if not self._lock.try_acquire(self.timeout, self.poll):
            raise XeroError(
                "Another copy of xsync desktop is busy with this Xero connection. Try again shortly.",
                detail="profile lock timeout",
            )

    def release(self) -> None:
        self._lock.release()
