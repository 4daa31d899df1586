"""Month-end checklist: a month that passes, and one that fails each check for the right records."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from xsync_desktop.store.database import session_scope
from xsync_desktop.store.models import (
    Customer,
    Invoice,
    InvoiceLine,
    Link,
    Payment,
    ReconException,
    SyncItem,
    SyncRun,
    Watermark,
)
from xsync_desktop.store.types import utcnow
from xsync_desktop.sync.checklist import (
    SignOffRefused,
    compute_checklist,
    export_checklist_csv,
    latest_signoff,
    sign_off,
)
from xsync_desktop.sync.hashing import canonical_hash
from xsync_desktop.sync.payloads import contact_content, invoice_content
from xsync_desktop.sync.verify import remember_compare

TENANT = "tenant-1"
MONTH = "2024-03"


def _customer(s, n: int) -> Customer:
    c = Customer(external_id=f"C{n}", customer_number=f"C-{n:04d}", name=f"Customer {n}", email=f"c{n}@x.test")
    s.add(c)
    s.flush()
    return c


def _invoice(s, cust: Customer, number: str, day: date, total: str = "100.00", status: str = "authorised") -> Invoice:
    inv = Invoice(external_id=number, number=number, customer_id=cust.id, issue_date=day,
                  due_date=day + timedelta(days=14), currency="NZD", status=status, subtotal=Decimal(total),
                  tax_total=Decimal("0"), total=Decimal(total), amount_paid=Decimal("0"))
    inv.lines.append(InvoiceLine(line_no=1, charge_type="rent", description="Rent", quantity=Decimal("1"),
                                 unit_amount=Decimal(total), tax_amount=Decimal("0"), line_amount=Decimal(total)))
    s.add(inv)
    s.flush()
    return inv


def _link(s, entity: str, local_id: int, content_hash: str | None = None) -> Link:
    link = Link(tenant_id=TENANT, entity=entity, local_id=local_id, xero_id=f"x-{entity}-{local_id}",
                state="linked", pushed_hash=content_hash, pushed_at=utcnow() + timedelta(seconds=1))
    s.add(link)
    return link


def _good_month(s) -> dict[str, int]:
    """Everything in March is in Xero, payments pulled past the month's end."""
    cust = _customer(s, 1)
    _link(s, "contact", cust.id, canonical_hash(contact_content(cust)))
    inv = _invoice(s, cust, "INV-1", date(2024, 3, 5))
    _link(s, "invoice", inv.id, canonical_hash(invoice_content(inv, "Exclusive")))
    pay = Payment(external_id="P1", invoice_id=inv.id, date=date(2024, 3, 20), amount=Decimal("40.00"),
                  method="bank", source="ledger")
    s.add(pay)
    s.flush()
    _link(s, "payment", pay.id)
    _invoice(s, cust, "INV-DRAFT", date(2024, 3, 6), status="draft")  # drafts are not checked
    _invoice(s, cust, "INV-APRIL", date(2024, 4, 2))  # another month
    s.add(Watermark(tenant_id=TENANT, name="pull_payments", value=datetime(2024, 4, 2, tzinfo=UTC)))
    remember_compare(s, MONTH, 0, 0, [])  # a Compare with Xero found both sides agree
    s.flush()
    return {"customer": cust.id, "invoice": inv.id, "payment": pay.id}


def test_a_clean_month_passes_and_can_be_signed_off(store, tmp_path: Path) -> None:
    with session_scope(store.sessions) as s:
        _good_month(s)
        cl = compute_checklist(s, TENANT, MONTH)
        assert [c.key for c in cl.checks] == [
            "invoices_in_xero", "payments_reconciled", "contacts_up_to_date", "failed_resolved",
            "exceptions_reviewed", "xero_agrees",
        ]
        assert cl.passed, [(c.key, c.records) for c in cl.checks if not c.passed]
        assert cl.check("invoices_in_xero").checked == 1
        row = sign_off(s, MONTH, "Ana Bookkeeper", "all good", tenant_id=TENANT)
        assert row.override_reason is None and row.results["invoices_in_xero"]["passed"]
    with session_scope(store.sessions) as s:
        signed = latest_signoff(s, MONTH)
        assert signed is not None and signed.signed_by == "Ana Bookkeeper"
        out = export_checklist_csv(compute_checklist(s, TENANT, MONTH), tmp_path / "out dir" / "march.csv", signed)
    rows = list(csv.reader(out.open(encoding="utf-8-sig")))
    assert rows[0][:4] == ["month", "check", "title", "passed"]
    assert {r[1] for r in rows[1:6]} >= {"invoices_in_xero", "exceptions_reviewed"}
    assert any("Ana Bookkeeper" in r for r in rows)


def test_each_check_fails_for_the_right_records(store, tmp_path: Path) -> None:
    with session_scope(store.sessions) as s:
        ids = _good_month(s)
        cust2 = _customer(s, 2)  # invoiced in March, never linked
        unlinked = _invoice(s, cust2, "INV-2", date(2024, 3, 9))
        edited = s.get(Invoice, ids["invoice"])
        edited.due_date = edited.due_date + timedelta(days=3)  # changed since the push
        unpushed_pay = Payment(external_id="P2", invoice_id=edited.id, date=date(2024, 3, 28),
                               amount=Decimal("10.00"), method="bank", source="ledger")
        s.add(unpushed_pay)
        s.flush()
        wm = s.query(Watermark).one()
        wm.value = datetime(2024, 3, 31, 12, tzinfo=UTC)  # not pulled past the end of March
        run = SyncRun(trigger="manual", tenant_id=TENANT)
        s.add(run)
        s.flush()
        s.add(SyncItem(run_id=run.id, entity="invoice", local_id=unlinked.id, action="create",
                       outcome="failed", message="Account must be valid."))
        # a failure that a later success dealt with does not count
        s.add(SyncItem(run_id=run.id, entity="payment", local_id=ids["payment"], action="create", outcome="failed"))
        s.add(SyncItem(run_id=run.id, entity="payment", local_id=ids["payment"], action="create",
                       outcome="succeeded"))
        s.add(ReconException(tenant_id=TENANT, kind="due_date_conflict", entity="invoice", local_id=edited.id,
                             label="Invoice INV-1", fingerprint="fp1", status="open"))
        s.add(ReconException(tenant_id=TENANT, kind="due_date_conflict", entity="invoice", local_id=edited.id,
                             label="Invoice INV-1", fingerprint="fp0", status="dismissed"))
        s.flush()

        cl = compute_checklist(s, TENANT, MONTH)
        assert not cl.passed

        def refs(key: str) -> set[tuple[str, int | None]]:
            return {(r.entity, r.local_id) for r in cl.check(key).records}

        assert refs("invoices_in_xero") == {("invoice", unlinked.id), ("invoice", edited.id)}
        assert cl.check("invoices_in_xero").count == 2
        assert refs("payments_reconciled") == {("payment", unpushed_pay.id), ("pull", None)}
        assert refs("contacts_up_to_date") == {("contact", cust2.id)}
        assert refs("failed_resolved") == {("invoice", unlinked.id)}
        assert refs("exceptions_reviewed") == {("invoice", edited.id)}
        assert cl.check("exceptions_reviewed").count == 1
        assert cl.check("xero_agrees").passed  # the compare was clean; the other checks say the rest

        with pytest.raises(SignOffRefused):
            sign_off(s, MONTH, "Ana", None, tenant_id=TENANT)
        row = sign_off(s, MONTH, "Ana", None, override_reason="auditor agreed", tenant_id=TENANT)
        assert row.override_reason == "auditor agreed"
        assert row.results["failed_resolved"] == {"passed": False, "count": 1, "checked": 6}


def test_month_must_be_yyyy_mm(store) -> None:
    with session_scope(store.sessions) as s, pytest.raises(ValueError):
        compute_checklist(s, TENANT, "March")
