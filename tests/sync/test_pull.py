"""Pull and reconcile against the real sandbox, driven as a bookkeeper working in Xero.

Each test pushes a small ledger with the real engine, then changes things through the
sandbox's admin surface (record/delete a payment, edit an invoice, archive a contact),
syncs again and checks the DESIGN rule's outcome; a further sync changes nothing more.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from xsync_desktop.sandbox.admin_client import SandboxAdmin
from xsync_desktop.store.database import session_scope
from xsync_desktop.store.models import (
    ChangeLog,
    Customer,
    Invoice,
    InvoiceLine,
    Link,
    Payment,
    ReconException,
    SyncItem,
    Watermark,
)
from xsync_desktop.store.settings import set_setting
from xsync_desktop.store.store import Store
from xsync_desktop.store.types import utcnow
from xsync_desktop.sync.engine import RunResult, SyncEngine
from xsync_desktop.sync.mapping_check import suggest_mappings

TODAY = date.today()


@dataclass
class World:
    store: Store
    rig: Any
    engine: SyncEngine
    admin: SandboxAdmin
    tenant: str

    def sync(self, expect: str = "succeeded") -> RunResult:
        """One full run; `expect` is the outcome this case must end with (each case has one)."""
        result = self.engine.run("manual")
        assert result.outcome == expect, result.message
        return result

    def xero_id(self, entity: str, local_id: int) -> str:
        with session_scope(self.store.sessions) as s:
            link = s.scalars(select(Link).where(Link.entity == entity, Link.local_id == local_id)).one()
            assert link.xero_id
            return link.xero_id

    def invoice(self, number: str) -> Invoice:
        with session_scope(self.store.sessions) as s:
            return s.scalars(select(Invoice).where(Invoice.number == number)).one()

    def exceptions(self, status: str = "open") -> list[ReconException]:
        with session_scope(self.store.sessions) as s:
            return list(s.scalars(select(ReconException).where(ReconException.status == status)
                                  .order_by(ReconException.id)))

    def items(self, run_id: int) -> list[SyncItem]:
        with session_scope(self.store.sessions) as s:
            return list(s.scalars(select(SyncItem).where(SyncItem.run_id == run_id).order_by(SyncItem.id)))

    def payments(self, invoice_id: int) -> list[Payment]:
        with session_scope(self.store.sessions) as s:
            return list(s.scalars(select(Payment).where(Payment.invoice_id == invoice_id).order_by(Payment.id)))

    def changes(self) -> int:
        with session_scope(self.store.sessions) as s:
            return s.scalar(select(func.count(ChangeLog.id))) or 0

    def snapshot(self) -> tuple[Any, ...]:
        """Everything a repeat sync must leave alone."""
        with session_scope(self.store.sessions) as s:
            invs = [(i.id, i.due_date, i.reference, i.status, i.amount_paid, i.changed_at)
                    for i in s.scalars(select(Invoice).order_by(Invoice.id))]
            pays = [(p.id, p.amount, p.reversed_at) for p in s.scalars(select(Payment).order_by(Payment.id))]
            excs = [(e.id, e.status, e.xero_value) for e in s.scalars(select(ReconException).order_by(ReconException.id))]
            return invs, pays, excs, self.changes()

    def assert_quiet_second_run(self) -> None:
        before = self.snapshot()
        result = self.sync()
        assert self.snapshot() == before
        noisy = [i for i in self.items(result.run_id) if i.outcome != "succeeded" or i.action != "settle"]
        assert noisy == [], [(i.entity, i.action, i.outcome, i.message) for i in noisy]


def _ledger(s, currency: str) -> None:
    cust = Customer(external_id="C1", customer_number="C-0001", name="Aroha Ngata", email="aroha@example.test")
    cust2 = Customer(external_id="C2", customer_number="C-0002", name="Ben Ruiz", email="ben@example.test")
    s.add_all([cust, cust2])
    s.flush()
    for n, (c, total) in enumerate([(cust, "100.00"), (cust, "200.00"), (cust2, "150.00")], start=1):
        inv = Invoice(external_id=f"I{n}", number=f"INV-{n:04d}", customer_id=c.id,
                      issue_date=TODAY - timedelta(days=3), due_date=TODAY + timedelta(days=14), currency=currency,
                      status="authorised", reference=f"Unit A{n}", subtotal=Decimal(total),
                      tax_total=Decimal("0.00"), total=Decimal(total), amount_paid=Decimal("0.00"))
        inv.lines.append(InvoiceLine(line_no=1, charge_type="rent", description="Storage rent",
                                     quantity=Decimal("1"), unit_amount=Decimal(total), tax_amount=Decimal("0.00"),
                                     line_amount=Decimal(total)))
        s.add(inv)
    s.flush()


@pytest.fixture
def world(store: Store, xero_rig: Any) -> Iterator[World]:
    tenant = xero_rig.tenant_id
    engine = SyncEngine(store, xero_rig.new_client, tenant)
    with session_scope(store.sessions) as s:
        set_setting(s, "tenant_id", tenant)
        set_setting(s, "line_amount_types", "NoTax")
    engine.refresh_settings(force=True)
    currency = str(xero_rig.client.organisation().get("BaseCurrency") or "NZD")
    with session_scope(store.sessions) as s:
        _ledger(s, currency)
        for m in suggest_mappings(s, tenant):
            s.add(m)
    admin = SandboxAdmin.of(xero_rig.srv)
    w = World(store, xero_rig, engine, admin, tenant)
    first = w.sync()
    assert first.outcome == "succeeded", first.message
    assert first.counts["invoices_pushed"] == 3
    try:
        yield w
    finally:
        admin.close()


def _pay(w: World, number: str, amount: str, reference: str = "") -> str:
    inv = w.invoice(number)
    made = w.admin.create_payment(w.tenant, w.xero_id("invoice", inv.id), amount, TODAY.isoformat(),
                                  Reference=reference)
    return str(made.get("PaymentID") or made["Payments"][0]["PaymentID"])


def test_payments_added_in_xero_are_imported_full_and_partial(world: World) -> None:
    edited_at = world.invoice("INV-0001").changed_at
    pid_full = _pay(world, "INV-0001", "100.00")
    pid_part = _pay(world, "INV-0002", "50.00")
    result = world.sync()
    assert result.counts["payments_pulled"] == 2
    full, part = world.invoice("INV-0001"), world.invoice("INV-0002")
    assert full.amount_paid == Decimal("100.00") and part.amount_paid == Decimal("50.00")
    (pay,) = world.payments(full.id)
    assert (pay.source, pay.method, pay.external_id) == ("xero", "xero", f"xero:{pid_full}")
    assert world.xero_id("payment", pay.id) == pid_full
    assert world.payments(part.id)[0].external_id == f"xero:{pid_part}"
    # write-backs are logged and do not make the ledger look edited
    assert world.changes() >= 4
    assert full.changed_at == edited_at and world.exceptions() == []
    world.assert_quiet_second_run()


def test_overpaying_payment_becomes_an_exception(world: World) -> None:
    _pay(world, "INV-0002", "150.00")
    world.sync()
    _pay(world, "INV-0002", "50.00")  # Xero allows exactly the outstanding 50 ...
    with session_scope(world.store.sessions) as s:  # ... but the ledger already took a 20 payment
        inv = s.scalars(select(Invoice).where(Invoice.number == "INV-0002")).one()
        s.add(Payment(external_id="L-20", invoice_id=inv.id, date=TODAY, amount=Decimal("20.00"), method="cash",
                      source="ledger", reference=None))
        inv.amount_paid += Decimal("20.00")
    # The ledger's own payment cannot be pushed (Xero's outstanding is 50, it would overpay there too in
    # the other order); what matters here is the pulled 50 that overpays the ledger's remaining 30.
    result = world.engine.run("manual")
    (exc,) = [e for e in world.exceptions() if e.kind == "payment_overpays"]
    assert exc.ledger_value == "30.00" and exc.xero_value.startswith("50.00")
    assert world.invoice("INV-0002").amount_paid == Decimal("170.00")
    assert any(i.outcome == "needs_review" and i.entity == "invoice" for i in world.items(result.run_id))
    before = world.snapshot()
    world.engine.run("manual")
    assert world.snapshot() == before


def test_payment_deleted_in_xero_theirs_reversed_ours_exception(world: World) -> None:
    pid = _pay(world, "INV-0001", "100.00")
    world.sync()
    with session_scope(world.store.sessions) as s:  # a payment recorded in the ledger, pushed by the app
        inv = s.scalars(select(Invoice).where(Invoice.number == "INV-0002")).one()
        s.add(Payment(external_id="L-1", invoice_id=inv.id, date=TODAY, amount=Decimal("80.00"), method="cash",
                      source="ledger"))
        inv.amount_paid = Decimal("80.00")
    pushed = world.sync()
    assert pushed.counts["payments_pushed"] == 1
    (ours,) = world.payments(world.invoice("INV-0002").id)  # pulled back, but not duplicated
    world.admin.delete_payment(world.tenant, pid)
    world.admin.delete_payment(world.tenant, world.xero_id("payment", ours.id))
    world.sync()
    theirs = world.payments(world.invoice("INV-0001").id)[0]
    assert theirs.reversed_at is not None and world.invoice("INV-0001").amount_paid == Decimal("0.00")
    (exc,) = world.exceptions()
    assert (exc.kind, exc.entity, exc.local_id) == ("payment_deleted", "payment", ours.id)
    assert world.invoice("INV-0002").amount_paid == Decimal("80.00")  # the ledger keeps its payment
    world.assert_quiet_second_run()


def test_due_date_and_reference_changed_in_xero_applied_when_ledger_unchanged(world: World) -> None:
    inv = world.invoice("INV-0001")
    new_due = TODAY + timedelta(days=30)
    world.admin.edit_invoice(world.tenant, world.xero_id("invoice", inv.id), DueDate=new_due.isoformat(),
                             Reference="Unit A1 (moved)")
    result = world.sync()
    after = world.invoice("INV-0001")
    assert after.due_date == new_due and after.reference == "Unit A1 (moved)"
    assert after.changed_at == inv.changed_at  # a write-back is not a ledger edit
    assert result.counts["invoices_reconciled"] == 1 and result.counts["invoices_pushed"] == 0
    with session_scope(world.store.sessions) as s:
        fields = {c.field for c in s.scalars(select(ChangeLog).where(ChangeLog.local_id == inv.id))}
    assert {"due_date", "reference"} <= fields
    world.assert_quiet_second_run()


def test_invoice_voided_in_xero(world: World) -> None:
    clean, paid = world.invoice("INV-0001"), world.invoice("INV-0002")
    _pay(world, "INV-0002", "20.00")
    world.sync()
    world.admin.edit_invoice(world.tenant, world.xero_id("invoice", clean.id), Status="VOIDED")
    # Xero will not void with a payment on it: the bookkeeper deletes it first, but the ledger has taken
    # the payment and a pushed one stays in the ledger; here the ledger still has a payment of its own.
    with session_scope(world.store.sessions) as s:
        s.add(Payment(external_id="L-9", invoice_id=paid.id, date=TODAY, amount=Decimal("5.00"), method="cash",
                      source="ledger"))
        s.get(Invoice, paid.id).amount_paid += Decimal("5.00")
    world.sync()
    for p in world.admin.objects(world.tenant, "Payments"):
        if p.get("Status") != "DELETED" and (p.get("Invoice") or {}).get("InvoiceID") == world.xero_id("invoice",
                                                                                                     paid.id):
            world.admin.delete_payment(world.tenant, p["PaymentID"])
    world.admin.edit_invoice(world.tenant, world.xero_id("invoice", paid.id), Status="VOIDED")
    world.sync()
    assert world.invoice("INV-0001").status == "void"
    assert world.invoice("INV-0002").status == "authorised"
    kinds = {e.kind for e in world.exceptions()}
    assert "void_with_payments" in kinds and "payment_deleted" in kinds
    world.assert_quiet_second_run()


def test_total_edited_and_contact_archived_in_xero_are_exceptions(world: World) -> None:
    inv = world.invoice("INV-0003")
    world.admin.edit_invoice(world.tenant, world.xero_id("invoice", inv.id), LineAmount="175.00")
    world.admin.archive_contact(world.tenant, world.xero_id("contact", inv.customer_id))
    world.sync()
    by_kind = {e.kind: e for e in world.exceptions()}
    assert by_kind["amounts_changed"].ledger_value == "150.00" and by_kind["amounts_changed"].xero_value == "175.00"
    assert by_kind["contact_archived"].local_id == inv.customer_id
    assert world.invoice("INV-0003").total == Decimal("150.00")
    world.assert_quiet_second_run()


def test_no_change_incremental_sync_makes_at_most_four_calls(world: World) -> None:
    world.sync()  # the first pull after the push
    before = world.admin.stats(world.tenant)
    result = world.sync()
    after = world.admin.stats(world.tenant)
    assert result.counts["api_calls"] <= 4, result.counts
    assert _calls(after) - _calls(before) <= 4


def _calls(stats: dict[str, Any]) -> int:
    for key in ("calls", "requests", "api_calls", "total"):
        if isinstance(stats.get(key), int):
            return stats[key]
    raise AssertionError(f"no call count in sandbox stats: {stats}")


def test_watermark_advances_only_when_the_phase_completes(world: World) -> None:
    with session_scope(world.store.sessions) as s:
        marks = {w.name: w for w in s.scalars(select(Watermark))}
    assert {"pull_payments", "pull_invoices", "pull_contacts"} <= set(marks)
    assert all(m.resume_page is None and m.resume_upper is None for m in marks.values())
    assert all(m.value < utcnow() for m in marks.values())


def pull_only(w: World) -> int:
    """The engine's pull step alone (no push first), as a run of its own."""
    from xsync_desktop.store.models import SyncRun
    from xsync_desktop.sync.context import RunContext
    from xsync_desktop.sync.pull import pull_and_reconcile

    session = w.store.sessions()
    client = w.rig.new_client()
    try:
        run = SyncRun(tenant_id=w.tenant, trigger="manual", outcome="running", started_at=utcnow())
        session.add(run)
        session.commit()
        pull_and_reconcile(RunContext(session, client, w.tenant, run))
        run.outcome, run.finished_at = "succeeded", utcnow()
        session.commit()
        return run.id
    finally:
        client.close()
        session.close()


def _edit_both_sides(w: World, number: str, *, due: bool = True) -> tuple[date | str, date | str]:
    inv = w.invoice(number)
    xero_id = w.xero_id("invoice", inv.id)
    with session_scope(w.store.sessions) as s:
        row = s.get(Invoice, inv.id)
        if due:
            row.due_date = TODAY + timedelta(days=20)
        else:
            row.reference = "Ledger ref"
        row.changed_at = utcnow()
    if due:
        w.admin.edit_invoice(w.tenant, xero_id, DueDate=(TODAY + timedelta(days=40)).isoformat())
        return TODAY + timedelta(days=20), TODAY + timedelta(days=40)
    w.admin.edit_invoice(w.tenant, xero_id, Reference="Xero ref")
    return "Ledger ref", "Xero ref"


def test_due_date_changed_on_both_sides_is_an_exception(world: World) -> None:
    ledger_due, xero_due = _edit_both_sides(world, "INV-0001")
    run_id = pull_only(world)
    (exc,) = world.exceptions()
    assert (exc.kind, exc.field) == ("due_date_conflict", "due_date")
    assert (exc.ledger_value, exc.xero_value) == (ledger_due.isoformat(), xero_due.isoformat())
    assert world.invoice("INV-0001").due_date == ledger_due
    assert [i.outcome for i in world.items(run_id)] == ["needs_review"]
    assert pull_only(world) and len(world.exceptions()) == 1  # seen again: still one exception


def test_reference_changed_on_both_sides_then_accept_xero(world: World) -> None:
    from xsync_desktop.sync.exceptions import available_actions, resolve_exception

    _edit_both_sides(world, "INV-0002", due=False)
    pull_only(world)
    (exc,) = world.exceptions()
    assert exc.kind == "reference_conflict" and exc.xero_value == "Xero ref"
    assert available_actions(exc) == ["accept_xero", "keep_ledger", "dismiss"]
    changed_at = world.invoice("INV-0002").changed_at
    resolve_exception(world.store, world.engine, exc.id, "accept_xero", "Ana")
    inv = world.invoice("INV-0002")
    assert inv.reference == "Xero ref" and inv.changed_at == changed_at
    (done,) = world.exceptions("resolved")
    assert (done.resolution, done.resolved_by) == ("accept_xero", "Ana") and done.resolved_at is not None
    assert available_actions(done) == []
    world.sync()
    world.assert_quiet_second_run()


def test_keep_ledger_re_pushes_and_dismiss_needs_a_note(world: World) -> None:
    from xsync_desktop.sync.exceptions import ResolveError, resolve_exception

    ledger_due, _ = _edit_both_sides(world, "INV-0001")
    pull_only(world)
    (exc,) = world.exceptions()
    with pytest.raises(ResolveError):
        resolve_exception(world.store, world.engine, exc.id, "dismiss", "Ana")
    with pytest.raises(ResolveError):
        resolve_exception(world.store, world.engine, exc.id, "link", "Ana")  # no xero_id chosen
    resolve_exception(world.store, world.engine, exc.id, "keep_ledger", "Ana", note="ledger is right")
    from xsync_desktop.sync.reconcile.snapshots import parse_day

    xero_id = world.xero_id("invoice", world.invoice("INV-0001").id)
    (xero_inv,) = world.rig.client.get(f"/Invoices/{xero_id}")["Invoices"]
    assert parse_day(xero_inv["DueDate"]) == ledger_due  # the re-push (trigger "resolve") sent it
    assert world.exceptions() == []
    world.assert_quiet_second_run()


def test_a_pull_stopped_mid_way_resumes_at_its_page(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from xsync_desktop.sync import pull
    from xsync_desktop.sync.progress import CancelToken, Progress

    world.sync()
    with session_scope(world.store.sessions) as s:
        old_value = s.scalars(select(Watermark).where(Watermark.name == "pull_payments")).one().value
    monkeypatch.setattr(pull, "PAGE_SIZE", 1)
    _pay(world, "INV-0001", "10.00")
    _pay(world, "INV-0002", "20.00")
    _pay(world, "INV-0003", "30.00")
    cancel = CancelToken()

    def stop_after_first_page(p: Progress) -> None:
        if p.phase == "pull_payments" and p.done >= 1:
            cancel.cancel()

    stopped = world.engine.run("manual", progress=stop_after_first_page, cancel=cancel)
    assert stopped.outcome == "cancelled"
    with session_scope(world.store.sessions) as s:
        wm = s.scalars(select(Watermark).where(Watermark.name == "pull_payments")).one()
        assert (wm.value, wm.resume_page) == (old_value, 2)
        upper = wm.resume_upper
    assert upper is not None
    assert world.invoice("INV-0001").amount_paid == Decimal("10.00")  # page 1 was applied and kept
    world.sync()
    assert [world.invoice(n).amount_paid for n in ("INV-0001", "INV-0002", "INV-0003")] == [
        Decimal("10.00"), Decimal("20.00"), Decimal("30.00")]
    # The watermark moves to the earlier of the stopped run's cap (Xero's clock) and the latest
    # change the pull saw, less a second (never back before where it was); nothing is left to resume.
    latest = max(p["UpdatedDateUTC"] for p in world.rig.client.get("/Payments")["Payments"])
    with session_scope(world.store.sessions) as s:
        wm = s.scalars(select(Watermark).where(Watermark.name == "pull_payments")).one()
        assert (wm.value, wm.resume_page, wm.resume_upper) == (
            max(pull.next_watermark(upper, latest), old_value), None, None)


def test_payment_on_an_invoice_the_app_never_pushed_is_skipped_once(world: World) -> None:
    foreign = world.admin.create_contact(world.tenant, Name="Walk-in Customer")
    contact_id = foreign.get("ContactID") or foreign["Contacts"][0]["ContactID"]
    made = world.rig.client.put("/Invoices", {"Invoices": [{
        "Type": "ACCREC", "Contact": {"ContactID": contact_id}, "Date": TODAY.isoformat(),
        "DueDate": TODAY.isoformat(), "Status": "AUTHORISED", "LineAmountTypes": "NoTax",
        "LineItems": [{"Description": "Padlock", "Quantity": 1, "UnitAmount": Decimal("25.00"), "AccountCode": "200"}],
    }]}, "test-foreign-invoice")
    foreign_id = made["Invoices"][0]["InvoiceID"]
    world.admin.create_payment(world.tenant, foreign_id, "25.00", TODAY.isoformat())
    result = world.sync()
    skipped = [i for i in world.items(result.run_id) if i.outcome == "skipped"]
    assert len(skipped) == 1 and "never sent" in (skipped[0].message or "")
    with session_scope(world.store.sessions) as s:
        assert s.scalar(select(func.count(Payment.id))) == 0
    world.assert_quiet_second_run()


def _reconcile_one(w: World, xp: dict[str, Any]) -> int:
    """Run reconcile for one Xero payment payload, as the pull does for each one it reads."""
    from xsync_desktop.store.models import SyncRun
    from xsync_desktop.sync.context import RunContext
    from xsync_desktop.sync.reconcile.payments import reconcile_payment
    from xsync_desktop.sync.reconcile.write_backs import links_by_xero_id

    session = w.store.sessions()
    try:
        run = SyncRun(tenant_id=w.tenant, trigger="manual", outcome="running", started_at=utcnow())
        session.add(run)
        session.commit()
        ctx = RunContext(session, None, w.tenant, run)
        invoice_id = str((xp.get("Invoice") or {}).get("InvoiceID") or "")
        reconcile_payment(ctx, xp, links_by_xero_id(session, w.tenant, "payment", [xp["PaymentID"]]),
                          links_by_xero_id(session, w.tenant, "invoice", [invoice_id]))
        session.commit()
        return run.id
    finally:
        session.close()


@pytest.mark.parametrize(("field", "unreadable"), [("Amount", "12.5O"), ("Date", "not a date"), ("Date", None)])
def test_unreadable_xero_amount_or_date_is_an_exception_not_a_zero(world: World, field: str,
                                                                   unreadable: Any) -> None:
    """A Xero payment whose amount or date cannot be read is never imported as 0.00 or as today."""
    pid = _pay(world, "INV-0001", "40.00")
    (xp,) = world.rig.client.get(f"/Payments/{pid}")["Payments"]  # as Xero sends it
    xp = dict(xp)
    if unreadable is None:
        xp.pop(field, None)
    else:
        xp[field] = unreadable
    run_id = _reconcile_one(world, xp)
    inv = world.invoice("INV-0001")
    assert world.payments(inv.id) == [] and inv.amount_paid == Decimal("0.00")
    (exc,) = world.exceptions()
    assert (exc.kind, exc.entity, exc.local_id, exc.xero_id) == ("unreadable_xero_value", "invoice", inv.id, pid)
    assert exc.field == f"payment.{field.lower()}"
    assert exc.xero_value == ("(missing)" if unreadable is None else unreadable)
    assert "cannot be read" in (exc.detail or "")
    (item,) = world.items(run_id)
    assert item.outcome == "needs_review"
    # The same unreadable payment seen again (the pull overlaps) stays one exception.
    _reconcile_one(world, xp)
    assert len(world.exceptions()) == 1


@pytest.mark.parametrize(("field", "unreadable"), [
    ("Quantity", "one"), ("UnitAmount", "12.5O"), ("LineAmount", "lots"), ("Total", "n/a"), ("DueDate", "soon"),
])
def test_unreadable_xero_invoice_value_is_an_exception_not_a_default(world: World, field: str,
                                                                     unreadable: str) -> None:
    """An invoice Xero sends with a value that cannot be read (a line's Quantity "one") is never read as 1,
    0.00 or "no total": it is an exception for a person, and the invoice waits until Xero's copy can be read."""
    inv = world.invoice("INV-0002")
    world.admin.edit_invoice(world.tenant, world.xero_id("invoice", inv.id), Reference="Unit B2")
    # Every invoice Xero sends from now on carries the value (the pull reads all three: the push was
    # moments ago, inside the pull's overlap).
    world.admin.faults("answer_value", method="GET", path="/api.xro/2.0/Invoices", field=field, value=unreadable)
    result = world.sync()
    ids = sorted(world.invoice(n).id for n in ("INV-0001", "INV-0002", "INV-0003"))
    field_name = "lines." + field.lower() if field in ("Quantity", "UnitAmount", "LineAmount") else field.lower()
    assert [(e.kind, e.entity, e.local_id, e.field, e.xero_value) for e in world.exceptions()] == [
        ("unreadable_xero_value", "invoice", i, field_name, unreadable) for i in ids]
    assert all("cannot be read" in (e.detail or "") for e in world.exceptions())
    assert sorted(i.local_id for i in world.items(result.run_id) if i.outcome == "needs_review") == ids
    after = world.invoice("INV-0002")
    assert (after.total, after.reference, after.due_date) == (inv.total, inv.reference, inv.due_date)
    world.assert_quiet_second_run()  # seen again: the same exceptions, nothing new
    # Corrected in Xero (its copy can be read again, and the bookkeeper's next edit touches it), the
    # invoice reconciles against what was known before: the reference change waiting is applied too.
    world.admin.clear_faults()
    new_due = TODAY + timedelta(days=45)
    world.admin.edit_invoice(world.tenant, world.xero_id("invoice", inv.id), DueDate=new_due.isoformat())
    world.sync()
    after = world.invoice("INV-0002")
    assert (after.reference, after.due_date) == ("Unit B2", new_due)
    assert {e.kind for e in world.exceptions()} == {"unreadable_xero_value"}  # a person closes them


def test_a_page_of_contacts_read_back_is_reconciled_without_a_query_per_contact(world: World) -> None:
    """The pull reads back every contact the push just sent (up to 1,000 a page). Reconciling them
    one `get` at a time ran a SELECT per contact, each after flushing the previous contact's link:
    two statements per contact in a row, which kept the window from answering for up to 90 ms at
    the end of a 10,000-invoice sync (tests/perf/bench_gui_stall.py, issue 16). The customers of a
    page load in one query per 500, as the invoices' do."""
    from sqlalchemy import event

    currency = world.invoice("INV-0001").currency
    with session_scope(world.store.sessions) as s:
        for n in range(30):  # new tenants, each with a first invoice: the next sync sends them
            cust = Customer(external_id=f"P{n}", customer_number=f"C-1{n:03d}", name=f"Page Customer {n}",
                            email=f"page{n}@example.test")
            s.add(cust)
            s.flush()
            inv = Invoice(external_id=f"PI{n}", number=f"INV-1{n:03d}", customer_id=cust.id,
                          issue_date=TODAY, due_date=TODAY + timedelta(days=14), currency=currency,
                          status="authorised", reference=f"Unit P{n}", subtotal=Decimal("80.00"),
                          tax_total=Decimal("0.00"), total=Decimal("80.00"), amount_paid=Decimal("0.00"))
            inv.lines.append(InvoiceLine(line_no=1, charge_type="rent", description="Storage rent",
                                         quantity=Decimal("1"), unit_amount=Decimal("80.00"),
                                         tax_amount=Decimal("0.00"), line_amount=Decimal("80.00")))
            s.add(inv)
    phase = {"now": ""}
    customer_reads: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if phase["now"] == "pull_contacts" and statement.lstrip().upper().startswith("SELECT") \
                and "FROM customer" in statement:
            customer_reads.append(statement)

    event.listen(world.store.engine, "before_cursor_execute", seen)
    try:
        result = world.engine.run("manual", progress=lambda p: phase.update(now=p.phase))
    finally:
        event.remove(world.store.engine, "before_cursor_execute", seen)
    assert result.outcome == "succeeded", result.message
    assert result.counts["contacts_synced"] == 30, result.counts
    assert 1 <= len(customer_reads) <= 2, len(customer_reads)  # the page's customers at once, not 32 gets
    with session_scope(world.store.sessions) as s:  # and every contact's link took Xero's answer
        links = list(s.scalars(select(Link).where(Link.entity == "contact")))
    assert len(links) == 32 and all(lk.xero_snapshot and lk.last_synced_at for lk in links)
    world.assert_quiet_second_run()
