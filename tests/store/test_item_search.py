"""Searching a run's items through the full-text index finds exactly what a substring search finds.

The Runs view's queries (ui/models/run_items_model.py) on a real, migrated profile
database: on SQLite through the trigram FTS5 table of migration 0004, kept current by
its triggers; on PostgreSQL (XSYNC_TEST_POSTGRES_URL) through ILIKE. Every needle is
also searched the old way (ILIKE over the columns) and the two answers must agree.
"""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update

from xsync_desktop.store.item_search import item_text_condition, uses_index
from xsync_desktop.store.models import SyncItem, SyncRun
from xsync_desktop.store.store import Store
from xsync_desktop.store.types import utcnow
from xsync_desktop.ui.models.run_items_model import ItemFilter, count_items, fetch_item_rows, item_conditions

ITEMS = [
    ("Invoice INV-0042", None, None, "a1b2-c3d4"),
    ("Invoice INV-0420", "Account 200 is archived in Xero; fix the mapping", ['Account code "200" is not valid'], None),
    ("Payment P-77 on invoice INV-0042", "Reversed in the ledger, so deleted in Xero.", None, "pay-9"),
    ("Customer Ngā Tāngata (C-0001)", None, ["Contact name must be unique"], "c-1"),
    ("Credit note CN-5", "100% credited", None, None),
]
NEEDLES = ["INV-0042", "inv-0042", "archived in xero", "200", '"200"', "Ngā", "tāngata", "pay-9", "must BE",
           "100%", "CN", "x", "no such thing", "C-0001)"]


def _run(store: Store) -> tuple[int, int]:
    with store.sessions() as s:
        other = SyncRun(trigger="manual", outcome="succeeded", started_at=utcnow())
        run = SyncRun(trigger="manual", outcome="succeeded", started_at=utcnow())
        s.add_all([other, run])
        s.flush()
        s.add(SyncItem(run_id=other.id, entity="invoice", label="Invoice INV-0042", action="create",
                       outcome="succeeded"))
        for label, message, xero_messages, xero_id in ITEMS:
            s.add(SyncItem(run_id=run.id, entity="invoice", label=label, message=message,
                           xero_messages=xero_messages, xero_id=xero_id, action="create", outcome="failed"))
        s.commit()
        return run.id, other.id


def _found(store: Store, run_id: int, needle: str) -> tuple[list[int], int]:
    with store.sessions() as s:
        rows = fetch_item_rows(s, run_id, ItemFilter(text=needle), 0, 100)
        return [r.id for r in rows], count_items(s, run_id, ItemFilter(text=needle))


def _by_like(store: Store, run_id: int, needle: str) -> list[int]:
    """The old answer: ILIKE over the four columns (no dialect: never the index)."""
    with store.sessions() as s:
        return list(s.scalars(select(SyncItem.id).where(*item_conditions(run_id, ItemFilter(text=needle)))
                              .order_by(SyncItem.id)))


def test_indexed_search_finds_what_a_substring_search_finds(store: Store) -> None:
    run_id, _ = _run(store)
    indexed = 0
    for needle in NEEDLES:
        ids, total = _found(store, run_id, needle)
        assert ids == _by_like(store, run_id, needle), needle
        assert total == len(ids), needle
        indexed += uses_index(needle, store.engine.dialect.name)
    assert _found(store, run_id, "INV-0042")[1] == 2  # the other run's INV-0042 is not this run's
    assert _found(store, run_id, "no such thing") == ([], 0)
    if store.engine.dialect.name == "sqlite":
        assert indexed == len([n for n in NEEDLES if len(n) >= 3])  # the index answered, not LIKE


def test_the_index_follows_updates_and_deletes(store: Store) -> None:
    run_id, _ = _run(store)
    assert _found(store, run_id, "retried later")[1] == 0
    with store.sessions() as s:
        first = s.scalars(select(SyncItem.id).where(SyncItem.run_id == run_id).order_by(SyncItem.id)).first()
        s.execute(update(SyncItem).where(SyncItem.id == first).values(message="Retried later: sent"))
        s.commit()
    assert _found(store, run_id, "retried later") == ([first], 1)
    with store.sessions() as s:
        s.execute(delete(SyncItem).where(SyncItem.id == first))
        s.commit()
    assert _found(store, run_id, "retried later") == ([], 0)
    assert _found(store, run_id, "INV-0042")[1] == 1  # the payment's label still says it


def test_on_postgresql_the_trigram_indexes_serve_the_search(store: Store) -> None:
    """PostgreSQL only: migration 0004's pg_trgm indexes exist and the view's own ILIKE condition
    can use each of them (an index on another expression than the query's would never be used).
    The planner is told not to scan the table, so the plan shows what the indexes can serve
    whatever the table's size; the search's speed itself is measured by tests/perf/bench_search.py."""
    if store.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's pg_trgm path (XSYNC_TEST_POSTGRES_URL)")
    from sqlalchemy import text

    _run(store)
    with store.sessions() as s:
        if s.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).first() is None:
            pytest.skip("this PostgreSQL server has no pg_trgm to install")
        indexes = set(s.scalars(text("SELECT indexname FROM pg_indexes WHERE tablename = 'sync_item'")))
        assert {"ix_sync_item_label_trgm", "ix_sync_item_message_trgm", "ix_sync_item_xero_messages_trgm",
                "ix_sync_item_xero_id_trgm"} <= indexes
        s.execute(text("SET LOCAL enable_seqscan = off"))
        query = select(SyncItem.id).where(item_text_condition("archived in xero", "postgresql"))
        compiled = query.compile(store.engine)
        plan = "\n".join(row[0] for row in s.connection().exec_driver_sql(f"EXPLAIN {compiled}", compiled.params))
    for name in ("label", "message", "xero_messages", "xero_id"):
        assert f"ix_sync_item_{name}_trgm" in plan, plan
