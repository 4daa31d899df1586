"""Issue 13 cases on the real path: the books never silently disagree.

Each test sets its case up as it happens: the operator's change through the real import
(ledger/importer), the bookkeeper's through the sandbox's admin surface, then the engine
over real sockets; and ends with a Compare with Xero where that says something.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tests.fixtures.ledger import import_export
from tests.sync.test_pull import TODAY, World, _pay, world  # noqa: F401 - fixture
from xsync_desktop.store.database import session_scope
from xsync_desktop.store.models import Invoice, Payment
from xsync_desktop.sync.progress import Progress


def _import_payment(w: World, tmp: Path, pay_id: str, invoice_ext: str, amount: str,
                    reversed_row: bool = False) -> None:
    """The operator's billing export, imported as the app imports it."""
    import_export(w.store, tmp, {"payments.csv": "id,invoice_id,date,amount,method,reference\n"
                                 f"{pay_id},{invoice_ext},{TODAY.isoformat()},{amount},cash,Counter\n"})


def _run_pausing_at(w: World, phase: str, meanwhile: Any) -> Any:
    """Run a sync in its own thread; at its first commit after it reports ``phase`` (one record
    of that phase done, the rest of the page still to do) it waits while ``meanwhile()`` runs in
    this thread (another desk, the GUI, an import): a real concurrent change, no timing."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    reached, resume = threading.Event(), threading.Event()
    in_phase = threading.Event()
    out: dict[str, Any] = {}
    runner: list[threading.Thread] = []

    def progress(p: Progress) -> None:
        if p.phase == phase:
            in_phase.set()

    def after_commit(_session: Session) -> None:
        if in_phase.is_set() and not reached.is_set() and threading.current_thread() in runner:
            reached.set()
            assert resume.wait(60)

    def run() -> None:
        out["result"] = w.engine.run("manual", progress=progress)

    t = threading.Thread(target=run)
    runner.append(t)
    event.listen(Session, "after_commit", after_commit)
    t.start()
    try:
        assert reached.wait(60), "the run never reached " + phase
        meanwhile()
    finally:
        resume.set()
        t.join(120)
        event.remove(Session, "after_commit", after_commit)
    return out["result"]


# -- case 3: lost update of amounts paid -----------------------------------------------------------
def test_payment_imported_while_a_sync_runs_is_not_lost(world: World, tmp_path: Path) -> None:  # noqa: F811
    """The pull loads a page's invoices, then imports payment after payment; an import commits a
    ledger payment on INV-0001 in between: amount_paid must count both, not the run's stale copy
    plus one."""
    _pay(world, "INV-0002", "20.00")  # handled first: the run pauses after committing it
    _pay(world, "INV-0001", "40.00")
    result = _run_pausing_at(world, "pull_payments",
                             lambda: _import_payment(world, tmp_path / "imp", "P-IMP-1", "I1", "30.00"))
    assert result.outcome in ("succeeded", "failed"), result.message
    inv = world.invoice("INV-0001")
    live = [p.amount for p in world.payments(inv.id) if p.reversed_at is None]
    assert sorted(live) == [Decimal("30.00"), Decimal("40.00")]
    assert inv.amount_paid == Decimal("70.00")


# -- case 9: refund and void in one run ------------------------------------------------------------
def test_refund_and_void_in_one_run_says_what_is_true(world: World) -> None:  # noqa: F811
    inv = world.invoice("INV-0001")
    with session_scope(world.store.sessions) as s:
        s.add(Payment(external_id="L-REF", invoice_id=inv.id, date=TODAY, amount=Decimal("100.00"),
                      method="cash", source="ledger"))
        s.get(Invoice, inv.id).amount_paid = Decimal("100.00")
    from xsync_desktop.sync.mapping_check import suggest_mappings

    with session_scope(world.store.sessions) as s:  # the new payment method gets its bank account
        for m in suggest_mappings(s, world.tenant):
            s.add(m)
    pushed = world.sync()
    assert pushed.counts["payments_pushed"] == 1, [(i.entity, i.outcome, i.message) for i in
                                                   world.items(pushed.run_id)]
    # The operator refunds the payment and voids the invoice; both reach the app in one sync.
    from xsync_desktop.store.types import utcnow

    with session_scope(world.store.sessions) as s:
        pay = s.scalars(select(Payment).where(Payment.external_id == "L-REF")).one()
        pay.reversed_at = utcnow()
        row = s.get(Invoice, inv.id)
        row.amount_paid = Decimal("0.00")
        row.status = "void"
        row.changed_at = utcnow()
    result = world.sync()
    items = world.items(result.run_id)
    said = [(i.entity, i.action, i.outcome, i.message) for i in items]
    assert not any("Remove the payment" in (i.message or "") for i in items), said
    void = [i for i in items if i.entity == "invoice" and i.action == "void"]
    assert void and void[0].outcome == "succeeded", said
    xinv = next(x for x in world.admin.objects(world.tenant, "Invoices") if x["InvoiceNumber"] == "INV-0001")
    assert xinv["Status"] == "VOIDED"
    verify = world.engine.verify(None).extra["compare"]
    assert verify.differences == 0, [f.difference for f in verify.findings]


# -- case 8: the pull never drops a payment it cannot match yet ------------------------------------
def _pull_only(w: World) -> None:
    """The engine's pull step on its own, as it runs after a push whose answer was lost."""
    from xsync_desktop.store.models import SyncRun
    from xsync_desktop.store.types import utcnow
    from xsync_desktop.sync.context import RunContext
    from xsync_desktop.sync.pull import pull_and_reconcile

    with w.store.sessions() as s:
        run = SyncRun(tenant_id=w.tenant, trigger="manual", outcome="running", started_at=utcnow())
        s.add(run)
        s.commit()
        client = w.rig.new_client()
        try:
            pull_and_reconcile(RunContext(s, client, w.tenant, run))
            run.outcome = "succeeded"
            s.commit()
        finally:
            client.close()


def _leave_sending(w: World, entity: str, local_id: int, action: str) -> None:
    """What a lost answer (or a kill) leaves: the link 'sending', its outcome unknown."""
    from xsync_desktop.store.models import Link
    from xsync_desktop.store.types import utcnow

    with session_scope(w.store.sessions) as s:
        link = s.scalars(select(Link).where(Link.entity == entity, Link.local_id == local_id)).first()
        if link is None:
            link = Link(tenant_id=w.tenant, entity=entity, local_id=local_id)
            s.add(link)
        link.state, link.pending_action, link.pending_since = "sending", action, utcnow()
        link.pending_key = f"lost-{entity}-{local_id}"


def test_payment_on_an_invoice_whose_send_is_unsettled_waits_then_is_imported(world: World) -> None:  # noqa: F811
    inv = world.invoice("INV-0001")
    _pay(world, "INV-0001", "40.00")  # the bookkeeper, while the app's update of INV-0001 was in flight
    _leave_sending(world, "invoice", inv.id, "update")
    _pull_only(world)
    assert world.payments(inv.id) == []  # not importable yet ...
    skipped = [i for i in _all_items(world) if i.entity == "payment" and i.outcome == "skipped"]
    assert skipped == []  # ... and not written off as "never sent"
    world.sync()  # settles INV-0001, then the pull reads the payment again
    assert world.invoice("INV-0001").amount_paid == Decimal("40.00")
    assert [p.amount for p in world.payments(inv.id)] == [Decimal("40.00")]


def test_bookkeepers_payment_with_the_amount_of_an_unsettled_ledger_payment_is_imported(
        world: World) -> None:  # noqa: F811
    inv = world.invoice("INV-0002")
    with session_scope(world.store.sessions) as s:
        s.add(Payment(external_id="L-50", invoice_id=inv.id, date=TODAY, amount=Decimal("50.00"), method="cash",
                      source="ledger"))
        s.get(Invoice, inv.id).amount_paid = Decimal("50.00")
    ledger_pay = next(p for p in world.payments(inv.id) if p.external_id == "L-50")
    _leave_sending(world, "payment", ledger_pay.id, "create")  # its push's answer was lost ...
    _pay(world, "INV-0002", "50.00", reference="Cheque 1187")  # ... and Xero holds a payment of theirs
    _pull_only(world)
    theirs = [p for p in world.payments(inv.id) if p.source == "xero"]
    assert [(p.amount, p.reference) for p in theirs] == [(Decimal("50.00"), "Cheque 1187")]
    assert world.invoice("INV-0002").amount_paid == Decimal("100.00")


def _all_items(w: World) -> list[Any]:
    from xsync_desktop.store.models import SyncItem

    with session_scope(w.store.sessions) as s:
        return list(s.scalars(select(SyncItem).order_by(SyncItem.id)))


# -- case 7: a contact archived or merged in Xero, whatever the phase order ------------------------
def _edit_customer(w: World, tmp: Path, customer_ext: str, phone: str) -> None:
    """The operator's export with a changed phone number, imported as the app imports it: the
    contact phase then has an update to send and reads Xero's contacts before the pull does."""
    from xsync_desktop.store.models import Customer

    with session_scope(w.store.sessions) as s:
        c = s.scalars(select(Customer).where(Customer.external_id == customer_ext)).one()
        row = (c.external_id, c.customer_number, c.name, c.email or "")
    import_export(w.store, tmp, {"customers.csv": "id,customer_number,name,email,phone,address\n"
                                 f"{row[0]},{row[1]},{row[2]},{row[3]},{phone},\n"})


def test_contact_archived_in_xero_is_raised_when_the_contact_phase_reads_it_first(
        world: World, tmp_path: Path) -> None:  # noqa: F811
    cust_id = world.invoice("INV-0003").customer_id
    world.admin.archive_contact(world.tenant, world.xero_id("contact", cust_id))
    _edit_customer(world, tmp_path, "C2", "021 555 0199")
    world.sync()
    archived = [e for e in world.exceptions() if e.kind == "contact_archived"]
    assert [(e.entity, e.local_id) for e in archived] == [("contact", cust_id)]
    world.sync()
    assert len([e for e in world.exceptions() if e.kind == "contact_archived"]) == 1  # raised once


def test_contact_merged_in_xero_is_raised_then_followed_with_a_logged_relink(
        world: World, tmp_path: Path) -> None:  # noqa: F811
    from xsync_desktop.store.models import ChangeLog, Link
    from xsync_desktop.sync.exceptions import resolve_exception

    cust_id = world.invoice("INV-0003").customer_id
    old = world.xero_id("contact", cust_id)
    kept = world.admin.create_contact(world.tenant, "Ben Ruiz (merged)", "ben.r@example.test")["ContactID"]
    world.admin.merge_contact(world.tenant, old, kept)
    _edit_customer(world, tmp_path, "C2", "021 555 0123")
    world.sync()
    (merged,) = [e for e in world.exceptions() if e.kind == "contact_merged"]
    assert (merged.local_id, merged.xero_value) == (cust_id, kept)
    resolve_exception(world.store, None, merged.id, "accept_xero", "Ana")
    assert world.xero_id("contact", cust_id) == kept
    with session_scope(world.store.sessions) as s:
        logged = s.scalars(select(ChangeLog).where(ChangeLog.entity == "contact", ChangeLog.local_id == cust_id,
                                                   ChangeLog.field == "xero_id")).all()
        assert [(c.old_value, c.new_value) for c in logged] == [(old, kept)]
        assert s.scalars(select(Link).where(Link.entity == "contact", Link.local_id == cust_id)).one().state == "linked"


# -- case 13: dismiss leaves both as they are; edits of different fields merge ---------------------
def _edit_invoice_in_ledger(w: World, number: str, **values: Any) -> None:
    from xsync_desktop.store.types import utcnow

    with session_scope(w.store.sessions) as s:
        row = s.scalars(select(Invoice).where(Invoice.number == number)).one()
        for key, value in values.items():
            setattr(row, key, value)
        row.changed_at = utcnow()


def _xero_invoice(w: World, number: str) -> dict[str, Any]:
    return next(x for x in w.admin.objects(w.tenant, "Invoices") if x["InvoiceNumber"] == number)


def test_dismissing_a_both_sides_conflict_sends_nothing_for_that_field(world: World) -> None:  # noqa: F811
    from datetime import timedelta

    from xsync_desktop.sync.exceptions import resolve_exception
    from xsync_desktop.sync.reconcile.snapshots import parse_day

    inv = world.invoice("INV-0001")
    ledger_due, xero_due = TODAY + timedelta(days=20), TODAY + timedelta(days=40)
    _edit_invoice_in_ledger(world, "INV-0001", due_date=ledger_due)
    world.admin.edit_invoice(world.tenant, world.xero_id("invoice", inv.id), DueDate=xero_due.isoformat())
    world.sync()
    (conflict,) = [e for e in world.exceptions() if e.kind == "due_date_conflict"]
    resolve_exception(world.store, world.engine, conflict.id, "dismiss", "Ana", note="ask the customer first")
    world.sync()
    world.sync()
    assert parse_day(_xero_invoice(world, "INV-0001")["DueDate"]) == xero_due  # Xero keeps its value
    assert world.invoice("INV-0001").due_date == ledger_due  # the ledger keeps its own
    # A later ledger edit of another field still goes out, without the dismissed field.
    _edit_invoice_in_ledger(world, "INV-0001", reference="Unit A1 (renewed)")
    world.sync()
    x = _xero_invoice(world, "INV-0001")
    assert (parse_day(x["DueDate"]), x["Reference"]) == (xero_due, "Unit A1 (renewed)")
    report = world.engine.verify(None).extra["compare"]
    assert report.unexplained == 0 and [f.exception_id for f in report.findings] == [conflict.id]


def test_ledger_edit_of_one_field_and_xero_edit_of_another_merge(world: World) -> None:  # noqa: F811
    from datetime import timedelta

    from xsync_desktop.sync.reconcile.snapshots import parse_day

    inv = world.invoice("INV-0002")
    xero_due = TODAY + timedelta(days=45)
    _edit_invoice_in_ledger(world, "INV-0002", reference="Unit A2 (moved to B7)")
    world.admin.edit_invoice(world.tenant, world.xero_id("invoice", inv.id), DueDate=xero_due.isoformat())
    world.sync()
    assert world.exceptions() == []
    x = _xero_invoice(world, "INV-0002")
    assert (parse_day(x["DueDate"]), x["Reference"]) == (xero_due, "Unit A2 (moved to B7)")
    after = world.invoice("INV-0002")
    assert (after.due_date, after.reference) == (xero_due, "Unit A2 (moved to B7)")
    assert world.engine.verify(None).extra["compare"].differences == 0


# -- case 6: credit allocations never drift --------------------------------------------------------
def _credit_note(w: World, number: str, customer_ext: str, total: str) -> int:
    from xsync_desktop.store.models import CreditNote, CreditNoteLine, Customer

    with session_scope(w.store.sessions) as s:
        cust = s.scalars(select(Customer).where(Customer.external_id == customer_ext)).one()
        inv = s.scalars(select(Invoice).where(Invoice.customer_id == cust.id)).first()
        cn = CreditNote(external_id=number, number=number, customer_id=cust.id, issue_date=TODAY,
                        currency=inv.currency, status="authorised", subtotal=Decimal(total),
                        tax_total=Decimal("0.00"), total=Decimal(total))
        cn.lines.append(CreditNoteLine(line_no=1, charge_type="rent", description="Goodwill credit",
                                       quantity=Decimal("1"), unit_amount=Decimal(total), tax_amount=Decimal("0.00"),
                                       line_amount=Decimal(total)))
        s.add(cn)
        s.flush()
        return cn.id


def test_credit_the_bookkeeper_applies_or_removes_in_xero_reaches_the_ledger(world: World) -> None:  # noqa: F811
    from xsync_desktop.store.models import CreditAllocation

    cn_id = _credit_note(world, "CN-L1", "C1", "30.00")
    assert world.sync().counts["credit_notes_pushed"] == 1
    inv = world.invoice("INV-0001")
    applied = world.admin.allocate_credit(world.tenant, world.xero_id("credit_note", cn_id),
                                          world.xero_id("invoice", inv.id), "25.00", TODAY.isoformat())
    world.sync()
    with session_scope(world.store.sessions) as s:
        (alloc,) = s.scalars(select(CreditAllocation).where(CreditAllocation.credit_note_id == cn_id)).all()
        assert (alloc.invoice_id, alloc.amount, alloc.external_id) == (inv.id, Decimal("25.00"),
                                                                       f"xero:{applied['AllocationID']}")
    assert world.invoice("INV-0001").amount_credited == Decimal("25.00")
    assert world.engine.verify(None).extra["compare"].differences == 0
    world.admin.remove_allocation(world.tenant, world.xero_id("credit_note", cn_id), applied["AllocationID"])
    world.sync()
    assert world.invoice("INV-0001").amount_credited == Decimal("0.00")
    with session_scope(world.store.sessions) as s:
        assert s.scalars(select(CreditAllocation)).all() == []
    assert world.exceptions() == []


def test_ledger_allocation_removed_in_xero_is_raised_and_a_ledger_edit_is_sent(world: World) -> None:  # noqa: F811
    from xsync_desktop.store.models import CreditAllocation
    from xsync_desktop.store.types import utcnow

    cn_id = _credit_note(world, "CN-L2", "C1", "30.00")
    inv = world.invoice("INV-0002")
    with session_scope(world.store.sessions) as s:
        s.add(CreditAllocation(external_id="AL-1", credit_note_id=cn_id, invoice_id=inv.id, date=TODAY,
                               amount=Decimal("20.00")))
        s.get(Invoice, inv.id).amount_credited = Decimal("20.00")
    world.sync()
    with session_scope(world.store.sessions) as s:
        alloc = s.scalars(select(CreditAllocation).where(CreditAllocation.external_id == "AL-1")).one()
    first_xero_id = world.xero_id("allocation", alloc.id)

    def edit(amount: str) -> None:
        with session_scope(world.store.sessions) as s:
            row = s.get(CreditAllocation, alloc.id)
            row.amount, row.changed_at = Decimal(amount), utcnow()
            s.get(Invoice, inv.id).amount_credited = Decimal(amount)

    # The ledger edits the allocation that is already in Xero: Xero cannot edit one, so the app
    # removes Xero's and applies the ledger's (tests/sync/test_credit_drift.py has it through imports).
    edit("15.00")
    world.sync()
    assert world.exceptions() == []
    assert world.xero_id("allocation", alloc.id) != first_xero_id
    assert world.engine.verify(None).extra["compare"].differences == 0
    # The bookkeeper removes the ledger's allocation in Xero: raised.
    xa = world.xero_id("allocation", alloc.id)
    world.admin.remove_allocation(world.tenant, world.xero_id("credit_note", cn_id), xa)
    world.sync()
    assert [(e.kind, e.local_id) for e in world.exceptions()] == [("allocation_removed", alloc.id)]
    # The ledger edits it again meanwhile: still the person's decision, never silently re-applied.
    edit("12.00")
    world.sync()
    assert [(e.kind, e.local_id) for e in world.exceptions()] == [("allocation_removed", alloc.id)]
    client = world.rig.new_client()
    try:
        (xcn,) = client.get(f"/CreditNotes/{world.xero_id('credit_note', cn_id)}")["CreditNotes"]
    finally:
        client.close()
    assert [a for a in xcn.get("Allocations") or [] if not a.get("IsDeleted")] == []


def test_credit_note_changed_on_both_sides_is_held_and_raised(world: World) -> None:  # noqa: F811
    from xsync_desktop.store.models import CreditNote
    from xsync_desktop.store.types import utcnow
    from xsync_desktop.sync.exceptions import resolve_exception

    cn_id = _credit_note(world, "CN-L3", "C1", "30.00")
    world.sync()
    xid = world.xero_id("credit_note", cn_id)
    client = world.rig.new_client()  # the bookkeeper edits the credit note in Xero (public API)
    try:
        client.post(f"/CreditNotes/{xid}", {"CreditNotes": [{"CreditNoteID": xid, "Reference": "Xero ref"}]},
                    idempotency_key="bookkeeper-edit-cn-l3")
    finally:
        client.close()
    with session_scope(world.store.sessions) as s:
        row = s.get(CreditNote, cn_id)
        row.reference, row.changed_at = "Ledger ref", utcnow()
    world.sync()
    xcn = next(c for c in world.admin.objects(world.tenant, "CreditNotes") if c["CreditNoteNumber"] == "CN-L3")
    assert xcn["Reference"] == "Xero ref"  # not overwritten
    (exc,) = [e for e in world.exceptions() if e.kind == "credit_note_both_sides"]
    assert (exc.field, exc.ledger_value, exc.xero_value) == ("reference", "Ledger ref", "Xero ref")
    world.sync()
    xcn = next(c for c in world.admin.objects(world.tenant, "CreditNotes") if c["CreditNoteNumber"] == "CN-L3")
    assert xcn["Reference"] == "Xero ref"  # still held while the exception is open
    resolve_exception(world.store, world.engine, exc.id, "keep_ledger", "Ana")
    xcn = next(c for c in world.admin.objects(world.tenant, "CreditNotes") if c["CreditNoteNumber"] == "CN-L3")
    assert xcn["Reference"] == "Ledger ref"
