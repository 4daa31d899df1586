"""The pull's watermark comes from Xero's clock: nothing changed costs one read per collection,
and a change a bookkeeper makes in Xero while a sync is reading, or just after it, is read by
the next sync.

Real engine, real sandbox over sockets; the bookkeeper's changes go through the sandbox's
admin surface, the passing of time through its clock (advanced, never slept).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from tests.sync import test_pull
from tests.sync.test_pull import TODAY, World, _calls
from xsync_desktop.store.database import session_scope
from xsync_desktop.store.models import Customer, Invoice, InvoiceLine
from xsync_desktop.sync import batch_sender, pull
from xsync_desktop.sync.progress import Progress

world = test_pull.world  # the same fixture: three invoices pushed by a first sync


def _more_invoices(w: World, n: int) -> list[str]:
    """The operator's next invoices, for the customer of INV-0001, as an import would add them."""
    numbers = []
    with session_scope(w.store.sessions) as s:
        first = s.query(Invoice).filter_by(number="INV-0001").one()
        cust = s.get(Customer, first.customer_id)
        for k in range(n):
            number = f"INV-1{k:03d}"
            inv = Invoice(external_id=f"X{k}", number=number, customer_id=cust.id, issue_date=TODAY,
                          due_date=TODAY + timedelta(days=14), currency=first.currency, status="authorised",
                          reference=f"Unit B{k}", subtotal=Decimal("10.00"), tax_total=Decimal("0.00"),
                          total=Decimal("10.00"), amount_paid=Decimal("0.00"))
            inv.lines.append(InvoiceLine(line_no=1, charge_type="rent", description="Storage rent",
                                         quantity=Decimal("1"), unit_amount=Decimal("10.00"),
                                         tax_amount=Decimal("0.00"), line_amount=Decimal("10.00")))
            s.add(inv)
            numbers.append(number)
    return numbers


def test_nothing_changed_right_after_a_sync_reads_one_page_per_collection(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pushed over a minute (batches 20 s apart, as Xero's pacing spreads a big push), read back in
    several pages; the sync right after reads only the last second's changes: <= 4 calls in all.
    A watermark taken from the local clock less a safety overlap re-reads the whole push."""
    monkeypatch.setattr(pull, "PAGE_SIZE", 2)
    monkeypatch.setattr(batch_sender, "BATCH_SIZE", 2)
    _more_invoices(world, 6)

    def spread(p: Progress) -> None:
        if p.phase == "invoices" and p.total and p.done < p.total:
            world.admin.clock(20)  # the next batch leaves 20 s later on Xero's clock

    pushed = world.engine.run("manual", progress=spread)
    assert pushed.outcome == "succeeded", pushed.message
    assert pushed.counts["invoices_pushed"] == 6
    before = world.admin.stats(world.tenant)
    quiet = world.sync()
    after = world.admin.stats(world.tenant)
    assert quiet.counts["api_calls"] <= 4, quiet.counts
    assert _calls(after) - _calls(before) == quiet.counts["api_calls"]


def test_change_in_xero_while_the_pull_reads_is_read_by_the_next_sync(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """INV-0001's page is read, then the bookkeeper changes INV-0001 and, a little later, INV-0003
    (on a page not read yet). The pull sees INV-0003's new version, so the latest change it saw is
    after INV-0001's: a watermark at "the latest seen" alone would skip INV-0001's change forever."""
    monkeypatch.setattr(pull, "PAGE_SIZE", 1)
    first, third = world.invoice("INV-0001"), world.invoice("INV-0003")
    new_due = TODAY + timedelta(days=30)
    edited: list[str] = []

    def bookkeeper(p: Progress) -> None:
        if p.phase == "pull_invoices" and p.done >= 1 and not edited:
            edited.append("now")
            world.admin.edit_invoice(world.tenant, world.xero_id("invoice", first.id), DueDate=new_due.isoformat())
            world.admin.clock(5)
            world.admin.edit_invoice(world.tenant, world.xero_id("invoice", third.id), Reference="Bay 9")

    during = world.engine.run("manual", progress=bookkeeper)
    assert during.outcome == "succeeded", during.message
    assert edited
    assert world.invoice("INV-0003").reference == "Bay 9"  # its page came after the change
    assert world.invoice("INV-0001").due_date == first.due_date  # its page was read before the change
    world.sync()
    assert world.invoice("INV-0001").due_date == new_due
    assert world.invoice("INV-0003").reference == "Bay 9"


def test_change_in_xero_just_after_a_sync_is_read_by_the_next(world: World) -> None:
    """The bookkeeper edits an invoice the moment a sync ends (same second on Xero's clock)."""
    world.sync()
    inv = world.invoice("INV-0002")
    world.admin.edit_invoice(world.tenant, world.xero_id("invoice", inv.id), Reference="Moved to bay 4")
    world.sync()
    assert world.invoice("INV-0002").reference == "Moved to bay 4"
    world.assert_quiet_second_run()
