"""Copies of the profile's database in its backups/ folder: making, listing, restoring.

Copies are made with SQLite's backup API (safe while the database is in WAL mode, unlike a
file copy). Listing reads only names, dates and the first bytes, so it also works when the
live database is the thing that is damaged.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass(frozen=True)
class BackupCopy:
    path: Path
    taken_at: datetime  # the file's modification time, local time zone
    size: int

    @property
    def label(self) -> str:
        return f"{self.taken_at:%Y-%m-%d %H:%M}  {self.path.name}  ({self.size / 1_048_576:.1f} MB)"


def list_backups(backups_dir: Path) -> list[BackupCopy]:
    """The usable-looking copies in `backups_dir`, newest first."""
    found: list[BackupCopy] = []
    try:
        entries = list(backups_dir.glob("*.db"))
    except OSError:
        return []
    for path in entries:
        try:
            st = path.stat()
            with path.open("rb") as fh:
                if fh.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
                    continue
        except OSError:
            continue
        found.append(BackupCopy(path, datetime.fromtimestamp(st.st_mtime).astimezone(), st.st_size))
    found.sort(key=lambda b: b.taken_at, reverse=True)
    return found


def backup_sqlite(db_path: str | Path, backups_dir: Path, label: str) -> Path:
    """Copy the live database to backups/xsync-<UTC stamp>-<label>.db; a failed copy leaves no file."""
    backups_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = backups_dir / f"xsync-{stamp}-{label}.db"
    src = sqlite3.connect(db_path)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    return target


def restore_backup(copy: BackupCopy, db_path: Path) -> Path | None:
    """Put `copy` in place of the database; the file it replaces is kept beside it as <name>.damaged-<stamp>.

    Returns where the replaced file went (None if there was none). The -wal and -shm files of
    the replaced database belong to it and go with it: left behind, SQLite would replay them
    into the restored copy.
    """
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside: Path | None = None
    if db_path.exists():
        aside = db_path.with_name(f"{db_path.name}.damaged-{stamp}")
        os.replace(db_path, aside)
    for suffix in ("-wal", "-shm"):
        extra = db_path.with_name(db_path.name + suffix)
        if extra.exists():
            os.replace(extra, db_path.with_name(f"{db_path.name}.damaged-{stamp}{suffix}"))
    tmp = db_path.with_name(db_path.name + ".restoring")
    shutil.copyfile(copy.path, tmp)
    os.replace(tmp, db_path)
    return aside
