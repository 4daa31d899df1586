"""Opening a profile's database: check the file, migrate, then hand out sessions.

A SQLite file is checked before the first connection (integrity.py): a damaged one
raises `DatabaseDamaged` before anything is written to it.

Each thread that touches the database (GUI thread, sync worker) makes its own
sessions from `Store.sessions`; a session is never shared between threads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from .database import make_engine, make_session_factory
from .integrity import check_database_file
from .migrate import refuse_writes_after_an_upgrade, upgrade_database
from .usage_marker import note_usage


@dataclass
class Store:
    engine: Engine
    sessions: sessionmaker[Session]
    backup_made: Path | None = None
    db_path: Path | None = None  # the SQLite file, when the database is one

    def close(self) -> None:
        if self.db_path is not None:
            note_usage(self.engine, self.db_path)
        self.engine.dispose()


def sqlite_file(url: str) -> Path | None:
    """The file behind a SQLite URL (None for PostgreSQL, in-memory or URI-style databases)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        return None
    name = parsed.database
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name)


def open_store(url: str, backups_dir: Path | None = None, *, migrate: bool = True) -> Store:
    db_path = sqlite_file(url)
    if db_path is not None:
        check_database_file(db_path, backups_dir)
    engine = make_engine(url)
    try:
        backup = upgrade_database(engine, backups_dir) if migrate else None
    except BaseException:
        engine.dispose()
        raise
    if db_path is not None:
        note_usage(engine, db_path)
    sessions = make_session_factory(engine)
    refuse_writes_after_an_upgrade(sessions)
    return Store(engine, sessions, backup, db_path)
