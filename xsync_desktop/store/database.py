"""Engine and sessions. SQLite gets WAL and foreign keys; any other URL is used as given,
so PostgreSQL serves too."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from .db_password import add_keyring_password

#: bytes the WAL file is truncated to after a checkpoint (SQLite's journal_size_limit)
WAL_SIZE_LIMIT = 8 * 1024 * 1024


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {})
        # A second connection waits for a writer instead of failing at once.
        kwargs["connect_args"].setdefault("timeout", 15)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            # After a checkpoint resets the WAL, cut the file back to this size: a long sync (or a
            # reader holding an old snapshot) must not leave a WAL as big as the database behind.
            cur.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
            cur.close()

    add_keyring_password(engine)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Commit on success, roll back on any error: callers never leave a half-written change."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def realign_id_sequences(session: Session, tables: list[str]) -> None:
    """After rows were inserted with explicit ids, move PostgreSQL's id sequences past them.

    SQLite picks max(id)+1 by itself; PostgreSQL's SERIAL sequences do not see explicit
    ids, and the next ordinary insert would collide with one of them.
    """
    from sqlalchemy import text

    if session.get_bind().dialect.name != "postgresql":
        return
    for name in tables:
        session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)"))


def checkpoint(session: Session) -> None:
    """Copy the WAL back into the database now (SQLite only; between sync phases).

    PASSIVE: never waits for a reader (the GUI may hold a snapshot); what a reader still
    needs is copied at the next checkpoint. With journal_size_limit the file then shrinks.
    """
    from sqlalchemy import text

    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA wal_checkpoint(PASSIVE)"))
