"""A per-profile lock shared by every process on this machine.

Two copies of the app (or the GUI and a scheduled ``xsync-desktop sync``) may
try to refresh the same refresh token at once; Xero rotates it, so the loser
would hold a dead token.  An OS file lock (``fcntl.flock`` / ``msvcrt.locking``)
serialises refreshes; the OS releases it if a process dies.  Stdlib only, so
no extra dependency.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from types import TracebackType

import platformdirs

from ..oslock import try_lock, unlock
from .errors import XeroError


def default_lock_dir() -> Path:
    """Local (not roaming) app data: locks must not follow a roaming profile."""
    return Path(platformdirs.user_data_dir("xsync-desktop", appauthor=False, roaming=False)) / "locks"


def lock_path_for(profile_id: str, lock_dir: Path | None = None) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", profile_id) or "default"
    return (lock_dir or default_lock_dir()) / f"{safe}.xero.lock"


class InterProcessLock:
    """Exclusive lock on a file; re-entrant use from one thread is not supported (guard with a threading.Lock)."""

    def __init__(self, path: Path, timeout: float = 60.0, poll: float = 0.02) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self.poll = poll
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + self.timeout
        while True:
            if try_lock(fd):
                self._fd = fd
                return
            if time.monotonic() >= deadline:
                os.close(fd)
                raise XeroError(
                    "Another copy of xsync desktop is busy with this Xero connection. Try again shortly.",
                    detail="profile lock timeout",
                )
            time.sleep(self.poll)

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                unlock(fd)
            finally:
                os.close(fd)

    def __enter__(self) -> InterProcessLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()

