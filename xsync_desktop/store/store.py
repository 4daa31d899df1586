"""Opening a profile's database: migrate first, then hand out sessions.

Each thread that touches the database (GUI thread, sync worker) makes its own
sessions from `Store.sessions`; a session is never shared between threads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from .database import make_engine, make_session_factory
from .migrate import upgrade_database


@dataclass
class Store:
    engine: Engine
    sessions: sessionmaker[Session]
    backup_made: Path | None = None

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str, backups_dir: Path | None = None, *, migrate: bool = True) -> Store:
    engine = make_engine(url)
    backup = upgrade_database(engine, backups_dir) if migrate else None
    return Store(engine, make_session_factory(engine), backup)
