"""Writes runs and items straight into the store, fast (executemany), for model and view tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import insert

from xsync_desktop.store.models import SyncItem, SyncRun
from xsync_desktop.store.types import utcnow

OUTCOMES = ("succeeded", "succeeded", "succeeded", "failed", "skipped")
ENTITIES = ("contact", "invoice", "invoice", "payment", "credit_note")


def add_run(sessions: Any, items: int, *, outcome: str = "succeeded", failed_every: int = 5,
            trigger: str = "manual", chunk: int = 50_000) -> int:
    """One finished run with `items` items (every `failed_every`-th failed); returns its id."""
    now = utcnow()
    with sessions() as s:
        run = SyncRun(trigger=trigger, outcome=outcome, started_at=now - timedelta(minutes=3), finished_at=now,
                      contacts_synced=items // 5, invoices_pushed=items // 2, payments_pulled=items // 10,
                      failed=items // failed_every if failed_every else 0, message="Demo run")
        s.add(run)
        s.commit()
        run_id = run.id
    conn_rows = []
    done = 0
    with sessions() as s:
        for i in range(items):
            failed = failed_every and i % failed_every == failed_every - 1
            entity = ENTITIES[i % len(ENTITIES)]
            conn_rows.append({
                "run_id": run_id, "entity": entity, "local_id": i + 1, "xero_id": f"x-{i + 1:07d}",
                "label": f"{entity.title()} INV-{i + 1:07d}", "action": "create",
                "outcome": "failed" if failed else "succeeded",
                "message": "Account 200 is archived in Xero; fix the mapping" if failed else None,
                "xero_messages": ["Account code '200' is not a valid code"] if failed else None,
                "attempts": 1, "started_at": now, "finished_at": now,
            })
            if len(conn_rows) >= chunk:
                s.execute(insert(SyncItem), conn_rows)
                done += len(conn_rows)
                conn_rows = []
        if conn_rows:
            s.execute(insert(SyncItem), conn_rows)
        s.commit()
    return run_id
