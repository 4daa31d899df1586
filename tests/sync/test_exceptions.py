"""Exceptions: one row per conflict (fingerprint), the actions that fit, and resolving them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.sync.test_pull import TODAY, World, _pay, world  # noqa: F401 - fixture
from xsync_desktop.store.database import session_scope
from xsync_desktop.store.models import Customer, Invoice, Link, Payment, ReconException, SyncRun
from xsync_desktop.store.types import utcnow
from xsync_desktop.sync.context import RunContext
from xsync_desktop.sync.exceptions import (
    Conflict,
    ResolveError,
    available_actions,
    raise_conflict,
    resolve_exception,
)
from xsync_desktop.sync.reconcile.contacts import reconcile_contact
from xsync_desktop.sync.reconcile.invoices import xero_changed_fields


def _ctx(session, tenant: str = "t1") -> RunContext:
    run = SyncRun(tenant_id=tenant, trigger="manual")
    session.add(run)
    session.flush()
    return RunContext(session, None, tenant, run)


def _conflict(value: str) -> Conflict:
    return Conflict("due_date_conflict", "invoice", 7, "x-7", "Invoice INV-7", "due_date", "2025-01-01", value,
                    "both changed")


def test_the_same_conflict_stays_one_exception_and_a_decided_one_is_not_reopened(store) -> None:
    with session_scope(store.sessions) as s:
        row, new = raise_conflict(_ctx(s), _conflict("2025-02-01"))
        assert new and row is not None
        again, new_again = raise_conflict(_ctx(s), _conflict("2025-02-01"))
        assert again is not None and again.id == row.id and not new_again
        assert again.last_run_id != again.first_run_id
        row.status = "dismissed"
        s.flush()
        assert raise_conflict(_ctx(s), _conflict("2025-02-01")) == (None, False)
        other, fresh = raise_conflict(_ctx(s), _conflict("2025-03-01"))  # a new Xero value: a new conflict
        assert fresh and other is not None and other.id != row.id
        assert len(list(s.scalars(select(ReconException)))) == 2


def test_actions_fit_the_kind() -> None:
    def exc(kind: str, status: str = "open") -> ReconException:
        return ReconException(kind=kind, entity="invoice", fingerprint="f", status=status)

    assert available_actions(exc("amounts_changed")) == ["keep_ledger", "link", "dismiss"]
    assert "accept_xero" not in available_actions(exc("invoice_deleted"))
    assert available_actions(exc("contact_archived")) == ["link", "dismiss"]
    assert available_actions(exc("payment_overpays")) == ["accept_xero", "dismiss"]
    assert available_actions(exc("due_date_conflict", "resolved")) == []


def test_contact_merged_in_xero_then_accepted_relinks(store) -> None:
    with session_scope(store.sessions) as s:
        cust = Customer(external_id="C1", customer_number="C-1", name="Aroha")
        s.add(cust)
        s.flush()
        link = Link(tenant_id="t1", entity="contact", local_id=cust.id, xero_id="old-id", state="linked",
                    xero_snapshot={"ContactStatus": "ACTIVE"}, pushed_at=utcnow())
        s.add(link)
        ctx = _ctx(s)
        reconcile_contact(ctx, {"ContactID": "old-id", "ContactStatus": "ARCHIVED", "MergedToContactID": "new-id",
                                "Name": "Aroha"}, link)
        reconcile_contact(ctx, {"ContactID": "old-id", "ContactStatus": "ARCHIVED", "MergedToContactID": "new-id",
                                "Name": "Aroha"}, link)
        (exc,) = s.scalars(select(ReconException)).all()
        assert (exc.kind, exc.xero_value) == ("contact_merged", "new-id")
        exc_id = exc.id
    resolve_exception(store, None, exc_id, "accept_xero", "Ana")
    with session_scope(store.sessions) as s:
        assert s.scalars(select(Link)).one().xero_id == "new-id"
        assert s.get(ReconException, exc_id).status == "resolved"


def test_xero_changed_fields_compares_with_the_snapshot() -> None:
    link = Link(xero_snapshot={"Status": "AUTHORISED", "DueDate": "2025-01-31T00:00:00+00:00", "Reference": "A",
                               "Total": "100.00"})
    now = {"Status": "AUTHORISED", "DueDate": "2025-02-28", "Reference": "A", "Total": Decimal("100")}
    assert xero_changed_fields(link, now) == ["due_date"]


def test_overpaying_payment_accepted_is_imported(world: World) -> None:  # noqa: F811
    _pay(world, "INV-0001", "60.00")
    world.sync()
    with session_scope(world.store.sessions) as s:  # the ledger took 50 meanwhile (not pushed yet)
        inv = s.scalars(select(Invoice).where(Invoice.number == "INV-0001")).one()
        # A payment row, as an import records it: paid amounts are derived from payments (issue 13 case 3).
        s.add(Payment(external_id="L-50", invoice_id=inv.id, date=inv.issue_date, amount=Decimal("50.00"),
                      method="cash", source="ledger"))
        inv.amount_paid += Decimal("50.00")
    _pay(world, "INV-0001", "40.00")
    # The ledger's 50 cannot be pushed (Xero's outstanding is 40 after its 60): that item fails.
    world.sync(expect="failed")
    (exc,) = [e for e in world.exceptions() if e.kind == "payment_overpays"]
    with pytest.raises(ResolveError):
        resolve_exception(world.store, world.engine, exc.id, "keep_ledger", "Ana")
    resolve_exception(world.store, world.engine, exc.id, "accept_xero", "Ana")
    inv = world.invoice("INV-0001")
    assert inv.amount_paid == Decimal("150.00")
    assert sorted(p.amount for p in world.payments(inv.id) if p.source == "xero") == [Decimal("40.00"),
                                                                                      Decimal("60.00")]
    with pytest.raises(ResolveError):
        resolve_exception(world.store, world.engine, exc.id, "dismiss", "Ana", note="twice")


def test_payment_deleted_in_xero_keep_ledger_sends_it_again(world: World) -> None:  # noqa: F811
    with session_scope(world.store.sessions) as s:
        inv = s.scalars(select(Invoice).where(Invoice.number == "INV-0003")).one()
        s.add(Payment(external_id="L-7", invoice_id=inv.id, date=TODAY - timedelta(days=1), amount=Decimal("70.00"),
                      method="cash", source="ledger"))
        inv.amount_paid = Decimal("70.00")
        inv_id = inv.id
    world.sync()
    (pay,) = world.payments(inv_id)
    first_xero_id = world.xero_id("payment", pay.id)
    world.admin.delete_payment(world.tenant, first_xero_id)
    world.sync()
    (exc,) = world.exceptions()
    assert exc.kind == "payment_deleted"
    # Decided at once, inside Xero's 6-minute Idempotency-Key window: the re-send must not carry the
    # first send's key, or Xero replays its answer (the deleted payment) and nothing is recorded.
    resolve_exception(world.store, world.engine, exc.id, "keep_ledger", "Ana", note="customer did pay")
    again = world.xero_id("payment", pay.id)
    assert again != first_xero_id
    live = [p for p in world.admin.objects(world.tenant, "Payments") if p.get("Status") != "DELETED"]
    assert [p["PaymentID"] for p in live] == [again]
    assert world.invoice("INV-0003").amount_paid == Decimal("70.00")
    world.assert_quiet_second_run()


def test_invoice_deleted_in_xero_keep_ledger_creates_it_again_at_once(world: World) -> None:  # noqa: F811
    from xsync_desktop.store.models import InvoiceLine
    from xsync_desktop.store.settings import set_setting

    with session_scope(world.store.sessions) as s:  # Xero deletes only drafts: send this one as a draft
        set_setting(s, "invoice_status", "DRAFT")
        src = s.scalars(select(Invoice).where(Invoice.number == "INV-0001")).one()
        new = Invoice(external_id="I7", number="INV-0007", customer_id=src.customer_id, issue_date=TODAY,
                      due_date=TODAY + timedelta(days=14), currency=src.currency, status="authorised",
                      subtotal=src.subtotal, tax_total=src.tax_total, total=src.total)
        new.lines.append(InvoiceLine(line_no=1, charge_type="rent", description="Storage rent",
                                     quantity=Decimal("1"), unit_amount=src.total, tax_amount=Decimal("0.00"),
                                     line_amount=src.total))
        s.add(new)
    world.sync()
    inv = world.invoice("INV-0007")
    first_xero_id = world.xero_id("invoice", inv.id)
    world.admin.edit_invoice(world.tenant, first_xero_id, Status="DELETED")
    world.sync()
    (exc,) = world.exceptions()
    assert exc.kind == "invoice_deleted"
    resolve_exception(world.store, world.engine, exc.id, "keep_ledger", "Ana", note="it was billed")
    again = world.xero_id("invoice", inv.id)
    assert again != first_xero_id
    live = [x for x in world.admin.objects(world.tenant, "Invoices")
            if x["InvoiceNumber"] == "INV-0007" and x["Status"] != "DELETED"]
    assert [x["InvoiceID"] for x in live] == [again]
    world.assert_quiet_second_run()


def test_an_interrupted_re_send_is_not_settled_onto_the_deleted_object(world: World) -> None:  # noqa: F811
    """Settling by natural key must not take the deleted payment for the re-sent one."""
    from xsync_desktop.sync.exceptions import replaced_xero_ids, unlink_for_resend

    with session_scope(world.store.sessions) as s:
        inv = s.scalars(select(Invoice).where(Invoice.number == "INV-0002")).one()
        s.add(Payment(external_id="L-8", invoice_id=inv.id, date=TODAY, amount=Decimal("30.00"), method="cash",
                      source="ledger"))
        inv.amount_paid = Decimal("30.00")
    world.sync()
    (pay,) = world.payments(world.invoice("INV-0002").id)
    old = world.xero_id("payment", pay.id)
    world.admin.delete_payment(world.tenant, old)
    with session_scope(world.store.sessions) as s:  # a re-send was recorded, then the process died
        link = s.scalars(select(Link).where(Link.entity == "payment", Link.local_id == pay.id)).one()
        unlink_for_resend(link)
        assert replaced_xero_ids(link) == (old,)
        link.state, link.pending_action, link.pending_key = "sending", "create", "xsync-lost"
        link.pending_hash = "h"
    world.sync()
    new = world.xero_id("payment", pay.id)
    assert new != old
    live = [p for p in world.admin.objects(world.tenant, "Payments") if p.get("Status") != "DELETED"]
    assert [p["PaymentID"] for p in live] == [new]


def test_run_context_does_not_reopen_a_decided_conflict(store) -> None:
    with session_scope(store.sessions) as s:
        ctx = _ctx(s)
        args = ("contact_name_conflict", "contact", 3, None, "Customer A", "email", "a@x", "b@x", "fp-1", "why")
        row = ctx.open_exception(*args)
        assert row is not None and ctx.open_exception(*args).id == row.id
        row.status = "dismissed"
        s.flush()
        assert ctx.open_exception(*args) is None
        assert [e.status for e in s.scalars(select(ReconException))] == ["dismissed"]
