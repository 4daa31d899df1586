"""Non-blocking OS file locks, shared by the run lock and the token-refresh lock.

`fcntl.flock` / `msvcrt.locking` rather than pid files: the OS drops the lock
when its holder dies, so a killed process never leaves a profile locked.
Stdlib only, so no extra dependency.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Self

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class HeldWhileInside:
    """``with lock:`` acquires on entry and releases on exit, for any lock with acquire()/release()."""

    def acquire(self) -> None:
        raise NotImplementedError

    def release(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


class FileLock:
    """An exclusive lock on one file, held through an open descriptor.

    The one body behind both users: the run lock tries once (a sync is refused at once,
    nobody waits an hour), the token-refresh lock polls for a short while. Re-entrant
    use from one thread is not supported: callers guard that with a threading.Lock.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self, timeout: float = 0.0, poll: float = 0.02) -> bool:
        """True once held; False if another holder kept it for `timeout` seconds."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + timeout
        while not try_lock(fd):
            if time.monotonic() >= deadline:
                os.close(fd)
                return False
            time.sleep(poll)
        self._fd = fd
        return True

    def note_holder(self, text: str) -> None:
        """Who holds it, for a person looking at the file; the lock itself is the truth."""
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, 0)
            os.lseek(self._fd, 0, os.SEEK_SET)
            os.write(self._fd, text.encode("utf-8"))
        except OSError:
            pass

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            unlock(fd)
        finally:
            os.close(fd)
