"""One sync at a time per profile, across processes (GUI, scheduled CLI, a second copy).

An OS file lock (``fcntl.flock`` / ``msvcrt.locking``) rather than a pid file: the
OS drops it when the holder dies, so a killed sync never leaves the profile
locked. Refusal is immediate and polite; nobody waits on a sync that may take
an hour.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType

from ..oslock import try_lock, unlock


class SyncBusy(Exception):
    """Another sync is running on this profile right now."""

    user_message = (
        "Another sync is already running for this profile (in this window, another copy of the app, "
        "or a scheduled task). Wait for it to finish, then try again."
    )

    def __init__(self) -> None:
        super().__init__(self.user_message)


class RunLock:
    """Non-blocking exclusive lock on ``path``; use as a context manager."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        if not try_lock(fd):
            os.close(fd)
            raise SyncBusy()
        # Who holds it, for a person looking at the file; the lock itself is the truth.
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        except OSError:
            pass
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            unlock(fd)
        finally:
            os.close(fd)

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()

