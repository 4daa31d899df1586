"""View queries: last run, recent runs, paged/filtered run items, exceptions, records, change log."""

from __future__ import annotations

import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert, text

from xsync_desktop.store import queries as q
from xsync_desktop.store.database import session_scope
from xsync_desktop.store.models import (
    ChangeLog,
    Customer,
    Invoice,
    Link,
    ReconException,
    SyncItem,
    SyncRun,
)
from xsync_desktop.store.types import utcnow

TENANT = "t1"


def _runs(s) -> tuple[int, int]:
    now = utcnow()
    old = SyncRun(trigger="manual", tenant_id=TENANT, outcome="succeeded", started_at=now - timedelta(hours=1),
                  finished_at=now - timedelta(minutes=59), contacts_synced=2, invoices_pushed=5)
    new = SyncRun(trigger="scheduled", tenant_id=TENANT, outcome="failed", started_at=now,
                  finished_at=now, invoices_pushed=3, payments_pulled=4, failed=2, retried=1)
    s.add_all([old, new])
    s.flush()
    return old.id, new.id


def test_last_run_summary_and_recent_runs(store) -> None:
    with session_scope(store.sessions) as s:
        assert q.last_run_summary(s) is None
        old_id, new_id = _runs(s)
        s.add(ReconException(kind="due_date_conflict", entity="invoice", local_id=1, fingerprint="a"))
        s.flush()
        summary = q.last_run_summary(s)
        assert summary is not None and summary.run_id == new_id
        assert (summary.invoices_pushed, summary.payments_pulled, summary.failed, summary.retried) == (3, 4, 2, 1)
        assert summary.synced == 7 and summary.open_exceptions == 1
        runs = q.recent_runs(s, 10)
        assert [r.run_id for r in runs] == [new_id, old_id]
        assert (runs[1].synced, runs[1].failed) == (7, 0)
        assert q.count_runs(s) == 2


def test_run_items_paged_filtered_and_counted(store) -> None:
    with session_scope(store.sessions) as s:
        _, run_id = _runs(s)
        for n in range(30):
            outcome = "failed" if n % 3 == 0 else "succeeded"
            s.add(SyncItem(run_id=run_id, entity="invoice" if n % 2 else "contact", local_id=n, action="create",
                           label=f"Invoice INV-{n:03d}", outcome=outcome,
                           message="Account must be valid." if outcome == "failed" else None))
        s.flush()
        assert q.count_run_items(s, run_id) == 30
        assert q.count_run_items(s, run_id, outcome="failed") == 10
        assert q.count_run_items(s, run_id, outcome="failed", entity="invoice") == 5
        assert q.count_run_items(s, run_id, text="account MUST") == 10
        assert q.count_run_items(s, run_id, text="INV-01") == 10
        assert q.count_run_items(s, run_id, text="100%") == 0  # wildcards are literal
        assert q.run_item_counts(s, run_id) == {"failed": 10, "succeeded": 20}
        first = q.run_items_page(s, run_id, 0, 12)
        second = q.run_items_page(s, run_id, 12, 12)
        keyset = q.run_items_page(s, run_id, limit=12, after_id=first[-1].item_id)
        assert [i.item_id for i in second] == [i.item_id for i in keyset]
        assert len(first) == 12 and first[0].label == "Invoice INV-000"
        failed = q.run_items_page(s, run_id, 0, 100, outcome="failed")
        assert len(failed) == 10 and all(i.outcome == "failed" for i in failed)


def test_exceptions_open_first_with_filters(store) -> None:
    with session_scope(store.sessions) as s:
        now = utcnow()
        s.add_all([
            ReconException(kind="due_date_conflict", entity="invoice", local_id=1, fingerprint="a",
                           status="resolved", last_seen=now, label="Invoice INV-1"),
            ReconException(kind="payment_overpays", entity="invoice", local_id=2, fingerprint="b",
                           status="open", last_seen=now - timedelta(days=2), label="Invoice INV-2"),
            ReconException(kind="due_date_conflict", entity="invoice", local_id=3, fingerprint="c",
                           status="open", last_seen=now - timedelta(days=1), label="Invoice INV-3"),
        ])
        s.flush()
        rows = q.exceptions_page(s)
        assert [r.local_id for r in rows] == [3, 2, 1]
        assert [r.local_id for r in q.exceptions_page(s, kind="due_date_conflict")] == [3, 1]
        assert q.count_exceptions(s, status="open") == 2
        assert q.count_exceptions(s, text="INV-2") == 1
        assert q.exception_kinds(s) == ["due_date_conflict", "payment_overpays"]


def test_records_with_sync_status(store) -> None:
    with session_scope(store.sessions) as s:
        custs = [Customer(external_id=f"C{n}", customer_number=f"N{n}", name=f"Cust {n}") for n in range(4)]
        s.add_all(custs)
        s.flush()
        invs = []
        for n, c in enumerate(custs):
            inv = Invoice(external_id=f"I{n}", number=f"INV-{n}", customer_id=c.id, issue_date=date(2024, 3, n + 1),
                          due_date=date(2024, 4, 1), currency="NZD", subtotal=Decimal("10"), tax_total=Decimal("0"),
                          total=Decimal("10"))
            s.add(inv)
            invs.append(inv)
        s.flush()
        later = utcnow() + timedelta(minutes=1)
        # 0 linked, 1 pending (never linked), 2 failed, 3 exception
        for inv in (invs[0], invs[2], invs[3]):
            s.add(Link(tenant_id=TENANT, entity="invoice", local_id=inv.id, xero_id=f"x{inv.id}", state="linked",
                       pushed_at=later))
        run = SyncRun(trigger="manual")
        s.add(run)
        s.flush()
        s.add(SyncItem(run_id=run.id, entity="invoice", local_id=invs[2].id, action="update", outcome="failed"))
        s.add(ReconException(kind="amounts_changed", entity="invoice", local_id=invs[3].id, fingerprint="z"))
        s.flush()
        rows = {r.label: r.sync_status for r in q.records_page(s, TENANT, "invoices")}
        assert rows == {"INV-0": "linked", "INV-1": "pending", "INV-2": "failed", "INV-3": "exception"}
        assert q.count_records(s, TENANT, "invoices", status="pending") == 1
        assert [r.label for r in q.records_page(s, TENANT, "invoices", status="failed")] == ["INV-2"]
        assert q.count_records(s, TENANT, "invoices", text="cust 3") == 1
        assert q.count_records(s, TENANT, "customers", status="pending") == 4
        assert q.records_page(s, TENANT, "payments") == []
        assert q.records_page(s, TENANT, "credit_notes") == []
        with pytest.raises(ValueError):
            q.records_page(s, TENANT, "widgets")


def test_change_log_page(store) -> None:
    with session_scope(store.sessions) as s:
        for n in range(5):
            s.add(ChangeLog(entity="invoice", local_id=n % 2, field="due_date", old_value="a", new_value="b",
                            reason="Changed in Xero", run_id=1))
        s.flush()
        assert q.count_changes(s) == 5
        assert q.count_changes(s, entity="invoice", local_id=1) == 2
        page = q.change_log_page(s, 0, 3)
        assert len(page) == 3 and page[0].change_id > page[1].change_id


def _plan(s, sql: str, **params: object) -> str:
    return " | ".join(str(r[-1]) for r in s.execute(text("EXPLAIN QUERY PLAN " + sql), params))


@pytest.mark.slow
def test_run_items_stay_fast_with_a_million_items(store) -> None:
    """1,000,000 items in one run: keyset pages, filtered pages and counts use the index."""
    with session_scope(store.sessions) as s:
        _, run_id = _runs(s)
        now = utcnow()
        batch = []
        for n in range(1_000_000):
            batch.append({"run_id": run_id, "entity": "invoice", "local_id": n, "action": "create",
                          "label": f"Invoice INV-{n}", "outcome": "failed" if n % 100 == 0 else "succeeded",
                          "attempts": 1, "started_at": now})
            if len(batch) == 50_000:
                s.execute(insert(SyncItem), batch)
                batch.clear()
        s.commit()
        s.execute(text("ANALYZE"))
        started = time.perf_counter()
        assert q.count_run_items(s, run_id, outcome="failed") == 10_000
        page = q.run_items_page(s, run_id, limit=100, outcome="failed")
        deep = q.run_items_page(s, run_id, limit=100, outcome="failed", after_id=page[0].item_id + 998_999)
        assert len(page) == 100 and len(deep) == 10
        elapsed = time.perf_counter() - started
        print(f"queries over 1M items took {elapsed:.3f}s")
    with session_scope(store.sessions) as s:
        plan = _plan(s, "SELECT * FROM sync_item WHERE run_id = :r AND outcome = 'failed' AND id > 5 "
                        "ORDER BY id LIMIT 100", r=run_id)
        assert "ix_sync_item_run_outcome" in plan and "TEMP B-TREE" not in plan
