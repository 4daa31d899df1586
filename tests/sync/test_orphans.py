"""A run a kill left "running" is closed by the next run, with its unanswered items."""

from __future__ import annotations

from sqlalchemy import select

from xsync_desktop.store.models import SyncItem, SyncRun
from xsync_desktop.sync.orphans import INTERRUPTED_ITEM, INTERRUPTED_RUN, close_orphaned_runs


def test_orphaned_run_and_its_pending_items_are_closed(store) -> None:
    with store.sessions() as s:
        dead = SyncRun(trigger="cli", outcome="running")
        done = SyncRun(trigger="cli", outcome="succeeded")
        s.add_all([dead, done])
        s.flush()
        s.add_all([
            SyncItem(run_id=dead.id, entity="invoice", local_id=1, action="create", outcome="pending"),
            SyncItem(run_id=dead.id, entity="invoice", local_id=2, action="create", outcome="succeeded"),
            SyncItem(run_id=done.id, entity="invoice", local_id=3, action="create", outcome="pending"),
        ])
        s.commit()
        assert close_orphaned_runs(s) == 1
    with store.sessions() as s:
        runs = {r.trigger + str(r.id): r for r in s.scalars(select(SyncRun))}
        dead, done = runs["cli1"], runs["cli2"]
        assert dead.outcome == "failed" and dead.message == INTERRUPTED_RUN and dead.finished_at is not None
        assert dead.failed == 1
        assert done.outcome == "succeeded"
        items = {i.local_id: i for i in s.scalars(select(SyncItem))}
        assert items[1].outcome == "failed" and items[1].message == INTERRUPTED_ITEM
        assert items[2].outcome == "succeeded"
        assert items[3].outcome == "pending"  # only runs that were still running are touched
        assert close_orphaned_runs(s) == 0

