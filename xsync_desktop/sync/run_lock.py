"""One sync at a time per organisation: across processes on one PC, and across desks on a shared database.

SQLite (one PC): an OS file lock in the profile (``oslock.FileLock``). The OS drops it
when the holder dies, so a killed sync never leaves the profile locked.

PostgreSQL (several desks): a session-level advisory lock keyed by the organisation,
held on a connection of its own for the whole run. The server drops it when that
connection ends, so a desk that is killed, crashes or loses its network never leaves
it held. The desk that holds it writes a ``sync_lock_holder`` row so the others can say
"Sync running on FRONT-DESK-2 since 10:42 (maria)"; the row is believed only while its
backend still holds the lock (pg_locks), so a dead desk's row is ignored.

Refusal is immediate and polite; nobody waits on a sync that may take an hour.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import socket
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import ColumnElement, Connection, Engine, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert

from ..oslock import FileLock, HeldWhileInside
from ..store.sync_models import SyncLockHolder
from ..store.types import utcnow

DESK_NAME_ENV = "XSYNC_DESK_NAME"  # a desk's name when the computer name says nothing useful


@dataclass(frozen=True)
class Holder:
    """Who is syncing an organisation right now."""

    desk: str
    user: str
    since: datetime


def this_desk() -> tuple[str, str]:
    """(desk name, user name) of this process, as the other desks will see them."""
    desk = os.environ.get(DESK_NAME_ENV, "").strip() or _preset_desk_name() or socket.gethostname() or "another desk"
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no user name in the environment (a service account)
        user = "unknown user"
    return desk, user


def _preset_desk_name() -> str | None:
    from ..machine_config import MachineConfigError, load_machine_config

    try:
        return load_machine_config().desk_name
    except MachineConfigError:  # said when the profile was opened; a name is not worth failing a sync
        return None


class SyncBusy(Exception):
    """Another sync is running for this organisation right now (on this PC or another desk)."""

    PLAIN = (
        "Another sync is already running for this profile (in this window, another copy of the app, "
        "or a scheduled task). Wait for it to finish, then try again."
    )

    def __init__(self, holder: Holder | None = None) -> None:
        self.holder = holder
        if holder is None:
            self.user_message = self.PLAIN
        else:
            since = holder.since.astimezone().strftime("%Y-%m-%d %H:%M")
            self.user_message = (
                f"Sync running on {holder.desk} since {since} ({holder.user}). You can review everything "
                "meanwhile; sync again once it has finished."
            )
        super().__init__(self.user_message)


class RunLockLike(Protocol):
    def acquire(self) -> None: ...

    def release(self) -> None: ...


class RunLock(HeldWhileInside):
    """Non-blocking exclusive lock on ``path`` (SQLite profiles); use as a context manager."""

    def __init__(self, path: Path) -> None:
        self._lock = FileLock(path)
        self.path = self._lock.path

    @property
    def held(self) -> bool:
        return self._lock.held

    def acquire(self) -> None:
        if not self._lock.try_acquire():
            raise SyncBusy()
        self._lock.note_holder(f"{os.getpid()}\n")

    def release(self) -> None:
        self._lock.release()


def advisory_key(tenant_id: str) -> int:
    """The organisation's advisory-lock key: a signed 64-bit hash of its tenant id."""
    digest = hashlib.sha256(b"xsync-desktop sync " + tenant_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _held_by_writer(tenant_id: str) -> ColumnElement[bool]:
    """The holder row's backend still holds the organisation's advisory lock."""
    key = advisory_key(tenant_id) & 0xFFFF_FFFF_FFFF_FFFF
    return text(
        "EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted "
        "AND l.pid = sync_lock_holder.backend_pid AND l.classid::bigint = :hi "
        "AND l.objid::bigint = :lo AND l.objsubid = 1)"
    ).bindparams(hi=key >> 32, lo=key & 0xFFFF_FFFF)  # type: ignore[return-value]


def current_holder(conn: Connection, tenant_id: str) -> Holder | None:
    """The desk syncing ``tenant_id`` now, or None (PostgreSQL only)."""
    row = conn.execute(
        select(SyncLockHolder.desk, SyncLockHolder.username, SyncLockHolder.since).where(
            SyncLockHolder.tenant_id == tenant_id, _held_by_writer(tenant_id))
    ).first()
    return Holder(row.desk, row.username, row.since) if row is not None else None


def who_is_syncing(conn: Connection, tenant_id: str) -> Holder | None:
    """The desk syncing ``tenant_id`` now, as the other desks' windows show it.

    Only a shared PostgreSQL database can say (its holder row, believed while the lock is held);
    a SQLite profile's file lock names nobody, and this desk's own sync shows its own progress.
    """
    if conn.dialect.name != "postgresql":
        return None
    return current_holder(conn, tenant_id)


class DatabaseRunLock(HeldWhileInside):
    """The organisation's run lock on a shared PostgreSQL database (see the module docstring)."""

    def __init__(self, engine: Engine, tenant_id: str) -> None:
        self.engine = engine
        self.tenant_id = tenant_id
        self.key = advisory_key(tenant_id)
        self._conn: Connection | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None

    def acquire(self) -> None:
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            if not conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}):
                holder = current_holder(conn, self.tenant_id)
                conn.close()
                raise SyncBusy(holder)
            desk, user = this_desk()
            row = {"tenant_id": self.tenant_id, "desk": desk[:255], "username": user[:255], "since": utcnow(),
                   "backend_pid": func.pg_backend_pid()}
            stmt = pg_insert(SyncLockHolder).values(**row)
            conn.execute(stmt.on_conflict_do_update(index_elements=["tenant_id"], set_={
                c: stmt.excluded[c] for c in ("desk", "username", "since", "backend_pid")}))
        except SyncBusy:
            raise
        except BaseException:
            conn.invalidate()  # whatever happened, the server must drop the lock with the connection
            conn.close()
            raise
        self._conn = conn

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        # Never back to the pool holding the lock: closing the socket is the release.
        conn.invalidate()
        conn.close()


def run_lock_for(engine: Engine, tenant_id: str, lock_path: Path | None) -> RunLockLike | None:
    """The right lock for this database: advisory on PostgreSQL, the profile's file otherwise."""
    if engine.dialect.name == "postgresql":
        return DatabaseRunLock(engine, tenant_id)
    return RunLock(lock_path) if lock_path is not None else None
