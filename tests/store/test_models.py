"""The ledger and sync models on a real, migrated SQLite file."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from xsync_desktop.store.models import (
    ChangeLog,
    Customer,
    Facility,
    Invoice,
    InvoiceLine,
    Link,
    Payment,
    SyncItem,
    SyncRun,
)
from xsync_desktop.store.settings import get_setting, set_setting


def _invoice(session, number: str = "INV-1", total: str = "115.00") -> Invoice:
    cust = Customer(external_id="c1", customer_number="C-1", name="Ana Lee", email="ana@example.com")
    fac = Facility(external_id="f1", name="Harbourside")
    session.add_all([cust, fac])
    session.flush()
    inv = Invoice(
        external_id=f"i-{number}", number=number, customer_id=cust.id, facility_id=fac.id,
        issue_date=date(2026, 1, 1), due_date=date(2026, 1, 20), currency="NZD",
        subtotal=Decimal("100.00"), tax_total=Decimal("15.00"), total=Decimal(total),
    )
    inv.lines.append(InvoiceLine(line_no=1, charge_type="rent", description="Unit A12, January",
                                 quantity=Decimal("1"), unit_amount=Decimal("100.0000"),
                                 tax_amount=Decimal("15.00"), line_amount=Decimal("100.00")))
    session.add(inv)
    session.flush()
    return inv


def test_money_round_trips_exactly_and_sums_in_sql(store) -> None:
    with store.sessions() as s:
        inv = _invoice(s)
        s.add_all([
            Payment(external_id=f"p{i}", invoice_id=inv.id, date=date(2026, 1, 2),
                    amount=Decimal("0.10"), method="card")
            for i in range(3)
        ])
        s.commit()
    with store.sessions() as s:
        total = s.scalar(select(func.sum(Payment.amount)))
        assert total == Decimal("0.30")  # a float would give 0.30000000000000004
        inv = s.scalar(select(Invoice))
        assert inv.total == Decimal("115.00") and isinstance(inv.total, Decimal)
        assert inv.lines[0].unit_amount == Decimal("100.0000")
        assert inv.amount_due == Decimal("115.00")


def test_money_refuses_floats(store) -> None:
    with store.sessions() as s:
        cust = Customer(external_id="c1", customer_number="C-1", name="A")
        s.add(cust)
        s.flush()
        s.add(Invoice(external_id="i", number="N", customer_id=cust.id, issue_date=date(2026, 1, 1),
                      due_date=date(2026, 1, 1), currency="NZD", subtotal=1.5,  # type: ignore[arg-type]
                      tax_total=Decimal(0), total=Decimal(0)))
        with pytest.raises(Exception, match="Decimal, not a float"):
            s.flush()


def test_timestamps_come_back_in_utc(store) -> None:
    nz = timezone(timedelta(hours=13))
    local = datetime(2026, 3, 1, 9, 0, tzinfo=nz)
    with store.sessions() as s:
        s.add(SyncRun(trigger="manual", started_at=local))
        s.commit()
    with store.sessions() as s:
        run = s.scalar(select(SyncRun))
        assert run.started_at == local
        assert run.started_at.tzinfo == UTC


def test_foreign_keys_are_enforced(store) -> None:
    with store.sessions() as s:
        s.add(Payment(external_id="p", invoice_id=999, date=date(2026, 1, 1), amount=Decimal(1), method="card"))
        with pytest.raises(IntegrityError):
            s.flush()


def test_wal_mode_is_on(store) -> None:
    if store.engine.dialect.name != "sqlite":
        pytest.skip("WAL is SQLite's journal mode")
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_invoice_numbers_and_links_are_unique(store) -> None:
    with store.sessions() as s:
        _invoice(s)
        s.add(Link(tenant_id="t", entity="invoice", local_id=1, xero_id="x"))
        s.flush()
        s.add(Link(tenant_id="t", entity="invoice", local_id=1, xero_id="y"))
        with pytest.raises(IntegrityError):
            s.flush()


def test_run_items_and_change_log(store) -> None:
    with store.sessions() as s:
        run = SyncRun(trigger="manual", contacts_synced=2, invoices_pushed=3, payments_pulled=1)
        s.add(run)
        s.flush()
        s.add(SyncItem(run_id=run.id, entity="invoice", local_id=1, action="create", outcome="failed",
                       message="Charge type 'rent' has no Xero account.", xero_messages=["Account must be valid."]))
        s.add(ChangeLog(entity="invoice", local_id=1, field="due_date", old_value="2026-01-20",
                        new_value="2026-01-27", reason="due date changed in Xero", run_id=run.id))
        s.commit()
        assert run.synced == 6
    with store.sessions() as s:
        item = s.scalar(select(SyncItem))
        assert item.xero_messages == ["Account must be valid."]


def test_settings_defaults_and_overrides(store) -> None:
    with store.sessions() as s:
        assert get_setting(s, "invoice_status") == "AUTHORISED"
        set_setting(s, "invoice_status", "DRAFT")
        s.commit()
    with store.sessions() as s:
        assert get_setting(s, "invoice_status") == "DRAFT"
