"""Both sides changed before a sync: the push must not overwrite Xero's change, it raises it.

The engine pushes before it pulls, so a ledger edit and a Xero edit of the same invoice meet
in the push phase first. These tests drive the real engine against the sandbox (the Xero edit
through its admin surface, as a bookkeeper would) and check DESIGN's rule: an exception with
both values, Xero's value untouched, and a further sync that changes nothing more.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.sync.test_pull import TODAY, World, world  # noqa: F401 - fixture
from xsync_desktop.store.database import session_scope
from xsync_desktop.store.models import Customer, Invoice, InvoiceLine, ReconException
from xsync_desktop.store.types import utcnow
from xsync_desktop.sync.exceptions import resolve_exception
from xsync_desktop.sync.reconcile.snapshots import parse_day


def _xero_invoice(w: World, number: str) -> dict[str, Any]:
    return next(r for r in w.admin.objects(w.tenant, "Invoices") if r.get("InvoiceNumber") == number)


def _edit_ledger(w: World, number: str, *, bump_changed_at: bool, **values: Any) -> None:
    with session_scope(w.store.sessions) as s:
        row = s.scalars(select(Invoice).where(Invoice.number == number)).one()
        for key, value in values.items():
            setattr(row, key, value)
        if bump_changed_at:
            row.changed_at = utcnow()


CASES = [
    # (field, ledger value, Xero value, admin keyword)
    pytest.param("due_date", TODAY + timedelta(days=20), TODAY + timedelta(days=40), "DueDate", id="due_date"),
    pytest.param("reference", "Ledger ref", "Xero ref", "Reference", id="reference"),
]


def _admin_value(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _exc_value(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _xero_value(x: dict[str, Any], field: str) -> Any:
    return parse_day(x["DueDate"]) if field == "due_date" else x.get("Reference")


@pytest.mark.parametrize("bump", [True, False], ids=["changed_at_bumped", "changed_at_not_bumped"])
@pytest.mark.parametrize(("field", "ledger_value", "xero_value", "admin_key"), CASES)
def test_both_sides_edit_before_a_sync_is_an_exception_and_xero_keeps_its_value(
    world: World, field: str, ledger_value: Any, xero_value: Any, admin_key: str, bump: bool  # noqa: F811
) -> None:
    inv = world.invoice("INV-0001")
    _edit_ledger(world, "INV-0001", bump_changed_at=bump, **{field: ledger_value})
    world.admin.edit_invoice(world.tenant, world.xero_id("invoice", inv.id), **{admin_key: _admin_value(xero_value)})

    result = world.sync()

    assert _xero_value(_xero_invoice(world, "INV-0001"), field) == xero_value  # not overwritten
    assert getattr(world.invoice("INV-0001"), field) == ledger_value  # nor the ledger's
    (exc,) = world.exceptions()
    assert (exc.kind, exc.entity, exc.local_id, exc.field) == (f"{field}_conflict", "invoice", inv.id, field)
    assert (exc.ledger_value, exc.xero_value) == (_exc_value(ledger_value), _exc_value(xero_value))
    assert result.counts["invoices_pushed"] == 0
    review = [i for i in world.items(result.run_id) if i.outcome == "needs_review"]
    assert [(i.entity, i.local_id, i.action) for i in review] == [("invoice", inv.id, "update")]
    assert "Exceptions" in (review[0].message or "")

    world.assert_quiet_second_run()  # held: nothing sent, no new item, still one exception
    assert _xero_value(_xero_invoice(world, "INV-0001"), field) == xero_value
    assert len(world.exceptions()) == 1


def test_pushed_conflict_is_the_one_the_pull_knows_and_keep_ledger_then_sends(world: World) -> None:  # noqa: F811
    ledger_due, xero_due = TODAY + timedelta(days=20), TODAY + timedelta(days=40)
    inv = world.invoice("INV-0002")
    _edit_ledger(world, "INV-0002", bump_changed_at=True, due_date=ledger_due, reference="Ledger ref")
    world.admin.edit_invoice(world.tenant, world.xero_id("invoice", inv.id), DueDate=xero_due.isoformat())
    world.sync()
    (exc,) = world.exceptions()
    assert exc.kind == "due_date_conflict"
    # the pull (same run) saw the same Xero change and did not open a second exception
    with session_scope(world.store.sessions) as s:
        assert len(s.scalars(select(ReconException)).all()) == 1
    assert _xero_invoice(world, "INV-0002").get("Reference") == "Unit A2"  # the whole edit was held

    resolve_exception(world.store, world.engine, exc.id, "keep_ledger", "Ana", note="ledger is right")
    x = _xero_invoice(world, "INV-0002")
    assert parse_day(x["DueDate"]) == ledger_due and x["Reference"] == "Ledger ref"
    assert world.exceptions() == []
    world.assert_quiet_second_run()


def test_accept_xero_on_a_pushed_conflict_sends_the_rest_of_the_ledger_edit(world: World) -> None:  # noqa: F811
    ledger_due, xero_due = TODAY + timedelta(days=20), TODAY + timedelta(days=40)
    inv = world.invoice("INV-0003")
    _edit_ledger(world, "INV-0003", bump_changed_at=True, due_date=ledger_due, reference="Ledger ref")
    world.admin.edit_invoice(world.tenant, world.xero_id("invoice", inv.id), DueDate=xero_due.isoformat())
    world.sync()
    (exc,) = world.exceptions()
    resolve_exception(world.store, world.engine, exc.id, "accept_xero", "Ana")
    assert world.invoice("INV-0003").due_date == xero_due
    world.sync()
    x = _xero_invoice(world, "INV-0003")
    assert parse_day(x["DueDate"]) == xero_due and x["Reference"] == "Ledger ref"
    world.assert_quiet_second_run()


def test_same_change_on_both_sides_is_no_conflict(world: World) -> None:  # noqa: F811
    inv = world.invoice("INV-0001")
    _edit_ledger(world, "INV-0001", bump_changed_at=True, reference="Same ref")
    world.admin.edit_invoice(world.tenant, world.xero_id("invoice", inv.id), Reference="Same ref")
    result = world.sync()
    assert world.exceptions() == []
    assert result.counts["invoices_pushed"] == 1
    assert _xero_invoice(world, "INV-0001")["Reference"] == "Same ref"
    world.assert_quiet_second_run()


def test_amounts_changed_in_xero_hold_a_ledger_edit(world: World) -> None:  # noqa: F811
    inv = world.invoice("INV-0003")
    _edit_ledger(world, "INV-0003", bump_changed_at=True, reference="Ledger ref")
    world.admin.edit_invoice(world.tenant, world.xero_id("invoice", inv.id), LineAmount="175.00")
    world.sync()
    x = _xero_invoice(world, "INV-0003")
    assert str(x["Total"]) in ("175.0", "175.00", "175") and x["Reference"] == "Unit A3"
    assert [e.kind for e in world.exceptions()] == ["amounts_changed"]
    world.assert_quiet_second_run()


def test_archived_contact_gives_one_exception_from_push_and_pull(world: World) -> None:  # noqa: F811
    inv = world.invoice("INV-0003")
    world.admin.archive_contact(world.tenant, world.xero_id("contact", inv.customer_id))
    world.sync()  # the pull learns it is archived
    with session_scope(world.store.sessions) as s:  # then the ledger bills that customer again
        src = s.get(Invoice, inv.id)
        new = Invoice(external_id="I9", number="INV-0009", customer_id=src.customer_id, issue_date=TODAY,
                      due_date=TODAY + timedelta(days=14), currency=src.currency, status="authorised",
                      subtotal=src.subtotal, tax_total=src.tax_total, total=src.total)
        new.lines.append(InvoiceLine(line_no=1, charge_type="rent", description="Storage rent",
                                     quantity=src.lines[0].quantity, unit_amount=src.lines[0].unit_amount,
                                     tax_amount=src.lines[0].tax_amount, line_amount=src.lines[0].line_amount))
        s.add(new)
    result = world.engine.run("manual")
    assert any(i.entity == "invoice" and "archived" in (i.message or "") for i in world.items(result.run_id))
    (exc,) = world.exceptions()
    assert (exc.kind, exc.local_id) == ("contact_archived", inv.customer_id)
    with session_scope(world.store.sessions) as s:
        assert len(s.scalars(select(ReconException)).all()) == 1

    # dismissed: neither the push nor the pull opens it again
    resolve_exception(world.store, world.engine, exc.id, "dismiss", "Ana", note="customer left")
    world.engine.run("manual")
    assert world.exceptions() == []
    with session_scope(world.store.sessions) as s:
        assert [e.status for e in s.scalars(select(ReconException))] == ["dismissed"]
        assert s.get(Customer, inv.customer_id) is not None
