"""Bring a profile's database to the current schema, safely.

Before touching an existing database the file is copied to a timestamped
backup, so a failed upgrade can never lose the ledger. A database written by a
newer version of the app is refused rather than guessed at.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Connection, Engine, MetaData, String, Table, event, inspect, select, text
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from .backups import backup_sqlite as copy_database

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Made by migrations beside the models, not from them (0004's search index: SQLite's FTS5 table
# and its shadow tables, PostgreSQL's pg_trgm indexes): a schema comparison leaves them out.
NOT_MODELLED_PREFIXES = ("sync_item_fts",)
NOT_MODELLED_INDEXES = ("ix_sync_item_label_trgm", "ix_sync_item_message_trgm", "ix_sync_item_xero_messages_trgm",
                        "ix_sync_item_xero_id_trgm")


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's include_name: every modelled table and index, none of the search index's own."""
    if name is None:
        return True
    if type_ == "table":
        return not name.startswith(NOT_MODELLED_PREFIXES)
    if type_ == "index":
        return name not in NOT_MODELLED_INDEXES
    return True
# The advisory-lock key every desk takes to migrate a shared PostgreSQL database (any fixed bigint).
MIGRATION_LOCK_KEY = 0x7873796E63_0001


class DatabaseTooNew(RuntimeError):
    """The database was upgraded by a newer xsync desktop than this one."""

    def __init__(self, found: str) -> None:
        self.user_message = (
            f"This database was last used by a newer version of xsync desktop (schema {found}), on this "
            "computer or another desk sharing it. Nothing was written. Install the newer version on this "
            "computer (ask IT for the installer), or restore a backup from the profile's 'backups' folder."
        )
        super().__init__(self.user_message)
        self.found = found


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # configparser treats % as interpolation; URL-escaped non-ASCII paths are full of them.
    url = engine.url.render_as_string(hide_password=False).replace("%", "%%")
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(_bare_config()).get_current_head() or ""


def _bare_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def check_schema_current(engine: Engine) -> None:
    """Raise DatabaseTooNew if another desk upgraded the shared database past this app.

    Opening the store checks this once; a desk that stays open while a newer desk
    upgrades the database would otherwise go on writing with the old schema's rules.
    """
    current = current_revision(engine)
    if current is not None and current not in _known_revisions():
        raise DatabaseTooNew(current)


@cache
def _known_revisions() -> frozenset[str]:
    return frozenset(rev.revision for rev in ScriptDirectory.from_config(_bare_config()).walk_revisions())


_CHECKED = "xsync_schema_checked"

#: Alembic's version table, described once. `MigrationContext.configure` builds a new Table each
#: time, and SQLAlchemy caches the compiled SELECT per Table object: one writing transaction added
#: one entry (about 100 objects) to the engine's compiled cache, up to its 500, and then churned it.
#: The sync's writing transactions filled it, and the window's full collections walked it all.
_VERSION_TABLE = Table("alembic_version", MetaData(), Column("version_num", String(32), nullable=False))


def _stored_revisions(conn: Connection) -> list[str]:
    """The revisions stamped in the database (none without a version table), with one
    statement compiled once per engine."""
    if not inspect(conn).has_table(_VERSION_TABLE.name):
        return []
    return list(conn.execute(select(_VERSION_TABLE.c.version_num)).scalars())


def refuse_writes_after_an_upgrade(sessions: sessionmaker[Session]) -> None:
    """Every transaction that writes first checks the schema is still one this app knows.

    The check when the store opens and before each sync leave a gap: a window left open while
    another desk upgrades the shared database would write decisions, sign-offs, imports and
    settings with the old version's rules. One small read per writing transaction closes it;
    the transaction is refused before anything is written (DatabaseTooNew says what to do).
    """

    def check(session: Session) -> None:
        if session.info.get(_CHECKED):
            return
        unknown = [r for r in _stored_revisions(session.connection()) if r not in _known_revisions()]
        if unknown:
            raise DatabaseTooNew(unknown[0])
        session.info[_CHECKED] = True

    def before_flush(session: Session, _context: Any, _instances: Any) -> None:
        # Checked already in this transaction: asking `dirty` walks every object the session
        # holds (4 ms a flush with a batch's items and links, hundreds of flushes a sync).
        if not session.info.get(_CHECKED) and (session.new or session.dirty or session.deleted):
            check(session)

    def before_statement(state: ORMExecuteState) -> None:
        if state.is_insert or state.is_update or state.is_delete:
            check(state.session)

    def transaction_ended(session: Session, transaction: Any) -> None:
        if transaction.parent is None:
            session.info.pop(_CHECKED, None)

    event.listen(sessions, "before_flush", before_flush)
    event.listen(sessions, "do_orm_execute", before_statement)
    event.listen(sessions, "after_transaction_end", transaction_ended)


def upgrade_database(engine: Engine, backups_dir: Path | None = None, target: str = "head") -> Path | None:
    """Upgrade to `target`; returns the backup path when one was made.

    On PostgreSQL several desks may start the new version at once: the upgrade runs
    inside a transaction holding an exclusive advisory lock, so the first desk migrates
    and the others wait for it, then find the schema current and do nothing.
    """
    check_schema_current(engine)
    script = ScriptDirectory.from_config(_bare_config())
    current = current_revision(engine)
    backup: Path | None = None
    has_tables = bool(inspect(engine).get_table_names())
    goal = script.get_current_head() if target == "head" else target
    needs_upgrade = current != goal
    if has_tables and needs_upgrade and backups_dir is not None and engine.dialect.name == "sqlite":
        backup = backup_sqlite(engine, backups_dir, label=current or "unversioned")
    if not needs_upgrade and current is not None:
        return backup
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            now = _take_migration_lock(conn)
            if now is not None and now not in _known_revisions():
                raise DatabaseTooNew(now)
            if now is not None and now == goal:
                log.info("The database schema is already at %s: another desk upgraded it while this one "
                         "waited.", now)
                return backup
            current = now
        log.info("Upgrading the database schema from %s to %s.", current or "an empty database", goal)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, target)
    return backup


def _take_migration_lock(conn: Connection) -> str | None:
    """Take the shared database's migration lock (waiting for a desk already upgrading); the revision then.

    Held to the end of the caller's transaction; a desk that dies mid-upgrade releases it with
    its connection, and PostgreSQL's transactional DDL leaves nothing half-done.
    """
    if not conn.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY}):
        log.info("Another desk is upgrading the shared database; waiting for it to finish.")
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
    return MigrationContext.configure(conn).get_current_revision()


def backup_sqlite(engine: Engine, backups_dir: Path, label: str) -> Path | None:
    """Copy the live database with SQLite's backup API (safe with WAL, unlike a file copy)."""
    db_path = engine.url.database
    if not db_path or db_path == ":memory:":
        return None
    return copy_database(db_path, backups_dir, f"before-upgrade-from-{label}")
