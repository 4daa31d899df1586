"""Is the profile's SQLite file fit to open? Checked before anything writes to it.

A copied, truncated or damaged file must stop the app before the first write: SQLite
would otherwise switch it to WAL, run migrations and a sync on top of the damage. The
check is cheap and bounded:

1. the file header (SQLite's magic string, a valid page size, and the page count the
   header records against the file's real size: a truncated copy is caught here);
2. ``PRAGMA quick_check`` on a read-only connection, stopped after a time budget (a
   check that runs out of time is logged and treated as passed: starting late is worse
   than the rare damage only the tail of a huge file holds).

A zero-length or missing file is a new database, unless this profile's usage marker
(usage_marker.py) says it has synced before: then the ledger and what was sent to Xero
are gone, and starting empty would hide that.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from .backups import BackupCopy, list_backups
from .disk_full import DiskFull, is_disk_full
from .usage_marker import read_marker

log = logging.getLogger(__name__)

SQLITE_MAGIC = b"SQLite format 3\x00"
HEADER_SIZE = 100
#: quick_check is linear in the file; past this the check is abandoned and start-up goes on.
CHECK_BUDGET_SECONDS = 10.0


@dataclass
class DatabaseDamaged(RuntimeError):
    """The database file cannot be used as it is; `user_message` says what happened and what to do."""

    path: Path
    problem: str
    backups: list[BackupCopy] = field(default_factory=list)
    missing: bool = False

    def __post_init__(self) -> None:
        super().__init__(self.user_message)

    @property
    def user_message(self) -> str:
        if self.missing:
            head = (f"The profile's database {self.path} {self.problem}, but this profile has synced with Xero "
                    "before. Starting a new, empty database here would forget the ledger and what was sent to "
                    "Xero, so nothing was started and nothing was written.")
        else:
            head = (f"The profile's database {self.path} is damaged ({self.problem}). It was left as it is: "
                    "nothing was written to it.")
        return f"{head}\n{restore_advice(self.path, self.backups)}"


def restore_advice(path: Path, backups: list[BackupCopy]) -> str:
    """What a person can do next, naming the copies in backups/ with their dates."""
    if not backups:
        return ("There is no copy in the profile's backups folder. Restore xsync.db from your own backup of "
                f"{path.parent}, or ask for help before deleting anything.")
    newest = backups[0]
    lines = [f"Copies in {newest.path.parent} (newest first):"]
    lines += [f"  {b.label}" for b in backups[:10]]
    lines.append(f"To use one: close xsync desktop, rename {path.name} to {path.name}.damaged, copy the chosen "
                 f"file to {path}, and start again. The app then checks Xero for anything sent after that copy "
                 "was made before it sends anything.")
    return "\n".join(lines)


def check_database_file(path: Path, backups_dir: Path | None, *,
                        budget: float = CHECK_BUDGET_SECONDS) -> None:
    """Raise `DatabaseDamaged` if the file at `path` must not be opened for writing."""
    size = path.stat().st_size if path.exists() else None
    if not size:
        marker = read_marker(path)
        if marker is not None and marker.synced_before:
            state = "is missing" if size is None else "is empty (0 bytes)"
            raise DatabaseDamaged(path, state, _backups(backups_dir), missing=True)
        return  # a new database
    problem = header_problem(path, size) or quick_check_problem(path, budget)
    if problem:
        log.info("database %s failed its start-up check: %s", path, problem)
        raise DatabaseDamaged(path, problem, _backups(backups_dir))


def _backups(backups_dir: Path | None) -> list[BackupCopy]:
    return list_backups(backups_dir) if backups_dir is not None else []


def header_problem(path: Path, size: int) -> str | None:
    """What the 100-byte header says is wrong with the file, or None."""
    with path.open("rb") as fh:
        header = fh.read(HEADER_SIZE)
    if len(header) < HEADER_SIZE:
        return f"the file is only {size} bytes long: it was cut short"
    if not header.startswith(SQLITE_MAGIC):
        return "the file does not start like an SQLite database: its first bytes were overwritten or it is another file"
    raw = int.from_bytes(header[16:18], "big")
    page_size = 65536 if raw == 1 else raw
    if page_size < 512 or page_size & (page_size - 1):
        return "its header is damaged (impossible page size)"
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        # Pages not yet copied back (a checkpoint a full disk cut short) live in the WAL: the file
        # may be shorter than its header says and still whole. quick_check reads through the WAL.
        return None
    change_counter = int.from_bytes(header[24:28], "big")
    valid_for = int.from_bytes(header[92:96], "big")
    pages = int.from_bytes(header[28:32], "big")
    if change_counter == valid_for and pages and size < pages * page_size:
        return f"the file is {size:,} bytes but its header says {pages * page_size:,}: it was cut short"
    if size % page_size:
        return f"the file size {size:,} is not a whole number of {page_size}-byte pages: it was cut short"
    return None


def _machine_problem(exc: sqlite3.Error, path: Path) -> bool:
    """True when the failure is the machine, not the file (locked, I/O): the open that follows says so.

    A full disk is raised as `DiskFull` here: SQLite cannot even make its shared-memory file,
    and calling that damage would send a person to restore a backup for nothing.
    """
    if is_disk_full(exc, path.parent):
        raise DiskFull(path.parent, "opening the database") from None
    text = str(exc).lower()
    return any(t in text for t in ("locked", "busy", "disk i/o error", "unable to open", "readonly"))


def quick_check_problem(path: Path, budget: float) -> str | None:
    """SQLite's own structural check on a read-only connection (never writes), within `budget` seconds."""
    deadline = time.monotonic() + budget
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=15)
    except sqlite3.Error as exc:
        return None if _machine_problem(exc, path) else f"SQLite cannot open it: {exc}"
    try:
        conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        try:
            rows = conn.execute("PRAGMA quick_check(5)").fetchall()
        except sqlite3.OperationalError as exc:
            if "interrupted" in str(exc):
                log.warning("quick_check of %s stopped after %.0f s; started without the full check", path, budget)
                return None
            return None if _machine_problem(exc, path) else f"SQLite reports: {exc}"
        except sqlite3.DatabaseError as exc:
            return f"SQLite reports: {exc}"
    finally:
        conn.close()
    findings = [str(r[0]) for r in rows]
    if findings == ["ok"]:
        return None
    return "SQLite's check found: " + "; ".join(findings[:3])
