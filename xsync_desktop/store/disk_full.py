"""Telling "the disk is full" apart from other database failures, and saying it plainly.

SQLite reports a full disk in two ways: "database or disk is full" (SQLITE_FULL, a write
that found no room) and, when it cannot even grow its shared-memory file, "disk I/O error"
(SQLITE_IOERR). An I/O error on a disk with room left is something else (a failing drive),
so the free space of the folder decides. OSError ENOSPC/EDQUOT come from our own files.
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
from pathlib import Path

#: Below this much free space an I/O error is taken to be the disk running full.
NEARLY_FULL_BYTES = 1_048_576


class DiskFull(RuntimeError):
    """The disk holding the profile (or the database) has no room; nothing was half-written."""

    def __init__(self, folder: Path | str, doing: str = "") -> None:
        self.folder = str(folder)
        self.doing = doing
        super().__init__(self.user_message)

    @property
    def user_message(self) -> str:
        return disk_full_message(self.folder, self.doing)


def disk_full_message(folder: Path | str, doing: str = "") -> str:
    what = f" while {doing}" if doing else ""
    return (f"The disk holding {folder} is full{what}. Nothing was half-written: what was not saved will be "
            "done again by the next run. Free some space on that disk, then run it again.")


def free_bytes(folder: Path | str) -> int | None:
    path = Path(folder)
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


def causes(exc: BaseException) -> list[BaseException]:
    """The exception and what it wraps (SQLAlchemy wraps sqlite3 errors in .orig)."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        cur = todo.pop()
        if cur is None or any(cur is s for s in seen):
            continue
        seen.append(cur)
        todo.extend([getattr(cur, "orig", None), cur.__cause__, cur.__context__])
    return seen


def is_disk_full(exc: BaseException, folder: Path | str | None) -> bool:
    """True when `exc` (or what it wraps) is the disk holding `folder` running out of room."""
    for cur in causes(exc):
        if isinstance(cur, DiskFull):
            return True
        if isinstance(cur, OSError) and cur.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        text = str(cur).lower()
        if isinstance(cur, sqlite3.Error) or "sqlite3" in type(cur).__module__ or "(sqlite3." in text:
            if "database or disk is full" in text:
                return True
            if "disk i/o error" in text and folder is not None:
                free = free_bytes(folder)
                if free is not None and free < NEARLY_FULL_BYTES:
                    return True
    return False
