"""What other desks changed in a shared PostgreSQL database, as view topics, a second or two later.

A LISTEN on ``xsync_changes``, which the triggers of migration 0006 notify with a table's
name when a transaction that wrote it commits. Notifications sent by this process's own
connections are dropped (their backend pids are noted as the engine opens them): this
desk's views already refresh on its own changes, and a second refresh would only move
things under the person's hands.

The feed runs in its own daemon thread on its own connection (never a session shared
with another thread, never the GUI thread): ``on_change(topics)`` is called from that
thread, and the GUI side (ui/live_updates.py) hands it to the GUI thread by a queued
signal, into the views' coalesced refresh.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event

log = logging.getLogger(__name__)

CHANNEL = "xsync_changes"
TOPICS_BY_TABLE = {
    "sync_run": "runs", "recon_exception": "exceptions", "checklist_signoff": "checklist",
    "mapping": "mappings", "app_setting": "settings", "xero_reference": "settings",
}
LEDGER_TOPIC = "ledger"  # every other table: the ledger, its links and change log, imports


def topics_for(tables: set[str]) -> set[str]:
    return {TOPICS_BY_TABLE.get(t, LEDGER_TOPIC) for t in tables}


class ChangeFeed:
    """Calls ``on_change(topics)`` from its own thread whenever another desk changed the database."""

    def __init__(self, engine: Engine, on_change: Callable[[set[str]], None], poll_seconds: float = 1.0) -> None:
        self.engine = engine
        self.on_change = on_change
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.connected = threading.Event()  # set once listening (tests and diagnostics)
        self._own_pids: set[int] = set()
        event.listen(engine, "connect", self._note_own_pid)

    def _note_own_pid(self, dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        try:
            cur.execute("SELECT pg_backend_pid()")
            self._own_pids.add(int(cur.fetchone()[0]))
        finally:
            cur.close()
            dbapi_conn.rollback()  # leave the new connection as the pool expects it: no open transaction

    def start(self) -> ChangeFeed:
        self._thread = threading.Thread(target=self._run, name="change-feed", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except Exception as exc:  # noqa: BLE001 - a lost server: views still refresh on this desk's changes
                log.warning("live updates from other desks paused: %s", exc)
                self.connected.clear()
                self._stop.wait(5.0)  # then try again

    def _own_connection(self) -> tuple[Any, Any]:
        """(pool wrapper, driver connection): our own, outside the pool (the engine's connect hooks
        still applied: the keyring's database password)."""
        raw = self.engine.raw_connection()
        driver = raw.driver_connection
        raw.detach()
        return raw, driver

    def _listen(self) -> None:
        raw, conn = self._own_connection()  # conn: psycopg.Connection
        self._own_pids.add(int(conn.info.backend_pid))
        try:
            conn.autocommit = True
            conn.execute(f"LISTEN {CHANNEL}")
            self.connected.set()
            while not self._stop.is_set():
                tables = {n.payload for n in conn.notifies(timeout=self.poll_seconds)
                          if n.pid not in self._own_pids}
                if tables:
                    self.on_change(topics_for(tables))
        finally:
            raw.close()
