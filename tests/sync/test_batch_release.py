"""A push holds one page or slice of the ledger at a time, and loses or repeats nothing across them.

The 250-invoice demo ledger (drafts, voids, credit notes, allocations, payments) is pushed
to the sandbox with pages of 7 records, slices of 20 and batches of 5, so every page, slice
and batch boundary is crossed many times. While it runs, the ORM objects alive in the
process are counted at every progress report (after a full garbage collection): ledger
documents, lines, payments and customers stay within a page plus a slice, and links (with
their snapshots) within the LinkBook's window (40 here), never one per record. Afterwards Xero holds every record exactly once, each link points
at its own object, and a second sync sends nothing.
"""

from __future__ import annotations

import gc
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.fixtures.sync import DEMO_TODAY, SyncRig, assert_no_duplicates, setup_engine
from tests.fixtures.xero import connected_rig
from xsync_desktop.store.models import CreditNote, Customer, Invoice, InvoiceLine, Link, Payment, SyncItem
from xsync_desktop.sync import batch_sender, streaming
from xsync_desktop.sync.links import LinkBook
from xsync_desktop.sync.progress import Progress

PAGE, SLICE, BATCH, WINDOW = 7, 20, 5, 40
PUSH_PHASES = ("contacts", "invoices", "credit_notes", "allocations", "payments")


@pytest.fixture
def big_rig(xero_sandbox_ports: Any, memory_keyring: Any, tmp_path: Any, store: Any, profile: Any) -> Any:
    """The 250-invoice demo ledger against a sandbox without rate limits (batches of 5 make
    more calls in a minute than Xero allows; waiting for its minute is not what is tested)."""
    from xsync_desktop.ledger.demo import generate_demo_ledger
    from xsync_desktop.sandbox.admin_client import SandboxAdmin

    with connected_rig(xero_sandbox_ports, memory_keyring, tmp_path / "locks", rate_limits=False) as xero_rig:
        with store.sessions.begin() as s:
            generate_demo_ledger(s, invoices=250, seed=7, today=DEMO_TODAY)
        engine, tid = setup_engine(xero_rig, store, profile)
        with SandboxAdmin.of(xero_rig.srv) as admin:
            yield SyncRig(xero_rig, store, engine, admin, tid, profile)


def _alive() -> Counter[str]:
    gc.collect()
    counts: Counter[str] = Counter()
    for o in gc.get_objects():
        if isinstance(o, Invoice | CreditNote | Payment | InvoiceLine | Customer):
            counts[type(o).__name__] += 1
        elif isinstance(o, Link):
            counts["Link"] += 1
            if "xero_snapshot" in o.__dict__ and o.entity != "contact":
                counts["snapshot"] += 1
    return counts


def test_push_holds_a_page_at_a_time_and_sends_everything_once(
        big_rig: SyncRig, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streaming, "PAGE", PAGE)
    monkeypatch.setattr(streaming, "SLICE", SLICE)
    monkeypatch.setattr(batch_sender, "BATCH_SIZE", BATCH)
    monkeypatch.setattr(LinkBook, "WINDOW", WINDOW)
    with big_rig.store.sessions() as s:
        invoices = s.scalar(select(func.count()).select_from(Invoice)) or 0
        payments = s.scalar(select(func.count()).select_from(Payment)) or 0
        customers = s.scalar(select(func.count()).select_from(Customer)) or 0
    assert invoices >= 250 and payments > 100  # far more than a page, a slice or a batch
    assert customers > PAGE + SLICE
    peak: Counter[str] = Counter()
    reports = Counter[str]()

    def watch(p: Progress) -> None:
        # Every fourth report of each push phase (a full collection each time is slow), so
        # every phase is seen several times, mid-way through its records.
        if p.phase in PUSH_PHASES:
            reports[p.phase] += 1
            if reports[p.phase] % 4 == 1:
                for kind, n in _alive().items():
                    peak[kind] = max(peak[kind], n)

    result = big_rig.run(progress=watch)
    assert result.outcome == "succeeded", result.message
    assert result.counts["failed"] == 0
    # A page being planned plus a slice being sent (and a payment's invoice each): never the ledger.
    documents = PAGE + SLICE
    assert 0 < peak["Invoice"] <= 2 * documents, peak
    assert peak["Payment"] <= documents, peak
    assert peak["InvoiceLine"] <= 4 * documents, peak  # the demo's invoices have a few lines each
    # The run's links (with their Xero snapshots): a window of them, emptied between pages, never
    # one per record pushed (sync/links.py); a sent batch's snapshots go with it (batch_sender.release).
    links_bound = 2 * WINDOW + 2 * SLICE
    assert 0 < peak["Link"] <= links_bound < invoices + payments, peak
    assert peak["snapshot"] <= links_bound, peak
    assert 0 < peak["Customer"] <= documents < customers, peak

    assert_no_duplicates(big_rig)
    with big_rig.store.sessions() as s:
        links = list(s.scalars(select(Link).where(Link.state == "linked")))
        pushed = Counter(lk.entity for lk in links)
        sent = {e: s.scalar(select(func.count()).select_from(SyncItem).where(
            SyncItem.run_id == result.run_id, SyncItem.entity == e, SyncItem.outcome == "succeeded"))
            for e in ("invoice", "payment", "credit_note")}
        authorised = s.scalar(select(func.count()).select_from(Invoice).where(Invoice.status == "authorised"))
        ledger_payments = s.scalar(select(func.count()).select_from(Payment).where(Payment.source == "ledger"))
    assert pushed["invoice"] == sent["invoice"] == authorised
    assert pushed["payment"] == sent["payment"] == ledger_payments
    assert pushed["credit_note"] == sent["credit_note"]
    assert len({(lk.entity, lk.xero_id) for lk in links}) == len(links)  # no two records share a Xero object
    xero_invoices = {x["InvoiceID"] for x in big_rig.objects("Invoices")}
    assert {lk.xero_id for lk in links if lk.entity == "invoice"} <= xero_invoices

    again = big_rig.run()
    assert again.outcome == "succeeded", again.message
    assert again.counts["invoices_pushed"] == again.counts["payments_pushed"] == 0
    assert_no_duplicates(big_rig)


def test_an_object_of_another_page_is_loaded_again_not_kept(big_rig: SyncRig) -> None:
    """iter_pages yields every row once in id order, whatever the page size."""
    with big_rig.store.sessions() as s:
        all_ids = list(s.scalars(select(Payment.id).order_by(Payment.id)))
        for page in (1, 7, 1000):
            assert [p.id for p in streaming.iter_pages(s, Payment, page=page)] == all_ids
        picked = all_ids[::-3]
        assert [p.id for p in streaming.by_ids(s, Payment, picked)] == picked
    assert [len(c) for c in streaming.slices(list(range(45)), 20)] == [20, 20, 5]


