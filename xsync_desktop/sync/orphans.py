"""Closing the records of runs that a crash, kill or power cut left "running".

A killed process cannot write its own ending. The next run holds the profile's
run lock, so any run still marked "running" then is certainly dead: it is closed
as failed with a message saying what happened, and its unanswered items are marked
failed too, so the history never shows phantom running syncs. The records those
items were about are settled by natural key in the new run before anything is sent.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..store.models import SyncItem, SyncRun
from ..store.states import ItemOutcome, RunOutcome
from ..store.types import utcnow

INTERRUPTED_RUN = (
    "Interrupted: the app stopped during this run (closed, killed, or the computer shut down). "
    "Nothing was lost: the next run checked Xero for anything this run had sent before sending again."
)
INTERRUPTED_ITEM = (
    "Interrupted before Xero's answer was recorded. The next run looked this record up in Xero "
    "before sending it again, so it is not duplicated."
)


def close_orphaned_runs(session: Session, tenant_id: str | None = None) -> int:
    """Call only while holding the run lock (of ``tenant_id``'s organisation on a shared database:
    another organisation's run may be alive); returns how many runs were closed."""
    query = select(SyncRun).where(SyncRun.outcome == RunOutcome.RUNNING)
    if tenant_id is not None:
        query = query.where(SyncRun.tenant_id == tenant_id)
    orphans = list(session.scalars(query))
    now = utcnow()
    for run in orphans:
        session.execute(
            update(SyncItem)
            .where(SyncItem.run_id == run.id, SyncItem.outcome == ItemOutcome.PENDING)
            .values(outcome=ItemOutcome.FAILED, message=INTERRUPTED_ITEM, finished_at=now)
        )
        last_seen = session.scalar(
            select(func.max(func.coalesce(SyncItem.finished_at, SyncItem.started_at))).where(
                SyncItem.run_id == run.id)
        )
        run.failed = session.scalar(
            select(func.count()).select_from(SyncItem).where(
                SyncItem.run_id == run.id, SyncItem.outcome == ItemOutcome.FAILED, SyncItem.superseded_by_id.is_(None))
        ) or 0
        run.outcome = RunOutcome.FAILED
        run.message = INTERRUPTED_RUN
        run.finished_at = last_seen or run.started_at
    if orphans:
        session.commit()
    return len(orphans)
