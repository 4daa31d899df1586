"""One sync at a time per profile, across processes (GUI, scheduled CLI, a second copy).

An OS file lock (``fcntl.flock`` / ``msvcrt.locking``) rather than a pid file: the
OS drops it when the holder dies, so a killed sync never leaves the profile
locked. Refusal is immediate and polite; nobody waits on a sync that may take
an hour.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import TracebackType


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
        if not _try_lock(fd):
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
            _unlock(fd)
        finally:
            os.close(fd)

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
