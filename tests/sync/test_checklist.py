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
        # The compare was clean, but the month changed after it (new invoice, edits): out of date.
        agrees = cl.check("xero_agrees")
        assert not agrees.passed and refs("xero_agrees") == {("compare", None)}
        assert "out of date" in agrees.records[0].reason

        with pytest.raises(SignOffRefused):
            sign_off(s, MONTH, "Ana", None, tenant_id=TENANT)
        row = sign_off(s, MONTH, "Ana", None, override_reason="auditor agreed", tenant_id=TENANT)
        assert row.override_reason == "auditor agreed"
        assert row.results["failed_resolved"] == {"passed": False, "count": 1, "checked": 6}


def test_month_must_be_yyyy_mm(store) -> None:
    with session_scope(store.sessions) as s, pytest.raises(ValueError):
        compute_checklist(s, TENANT, "March")


def test_checklist_counts_what_the_books_really_say(store) -> None:
    """Issue 13 case 10: allocations, needs-review items, payments that disagree with Xero's
    answer, and an overpayment filed under the payment's month all block the month."""
    from xsync_desktop.store.models import CreditAllocation, CreditNote

    with session_scope(store.sessions) as s:
        ids = _good_month(s)
        cust = s.get(Customer, ids["customer"])
        feb = _invoice(s, cust, "INV-FEB", date(2024, 2, 10))
        _link(s, "invoice", feb.id, canonical_hash(invoice_content(feb, "Exclusive")))
        cn = CreditNote(external_id="CN1", number="CN-1", customer_id=cust.id, issue_date=date(2024, 2, 1),
                        currency="NZD", status="authorised", subtotal=Decimal("10"), tax_total=Decimal("0"),
                        total=Decimal("10"))
        s.add(cn)
        s.flush()
        alloc = CreditAllocation(external_id="A1", credit_note_id=cn.id, invoice_id=ids["invoice"],
                                 date=date(2024, 3, 12), amount=Decimal("10.00"))
        s.add(alloc)
        # Xero answered the pushed payment with another amount than the ledger's.
        pay_link = s.query(Link).filter_by(entity="payment", local_id=ids["payment"]).one()
        pay_link.xero_snapshot = {"Status": "AUTHORISED", "Amount": "45.00", "Date": "2024-03-20"}
        run = SyncRun(trigger="manual", tenant_id=TENANT)
        s.add(run)
        s.flush()
        s.add(SyncItem(run_id=run.id, entity="invoice", local_id=ids["invoice"], action="update",
                       outcome="needs_review", message="Xero has a payment on it: not updated."))
        s.add(SyncItem(run_id=run.id, entity="invoice", local_id=ids["invoice"], action="reconcile",
                       outcome="needs_review", message="Due date changed on both sides (exception #7)"))
        # A Xero payment in March on February's invoice that would overpay it.
        s.add(ReconException(tenant_id=TENANT, kind="payment_overpays", entity="invoice", local_id=feb.id,
                             label="Payment 500.00 on INV-FEB", xero_value="500.00 on 2024-03-03",
                             fingerprint="fp-over", status="open"))
        s.flush()
        march = compute_checklist(s, TENANT, MONTH)
        reasons = {(r.entity, r.local_id): r.reason for r in march.check("payments_reconciled").records}
        assert reasons[("allocation", alloc.id)] == "credit not applied in Xero yet"
        assert "45.00" in reasons[("payment", ids["payment"])]
        failed = march.check("failed_resolved").records
        assert [(r.entity, r.local_id, r.reason) for r in failed] == [
            ("invoice", ids["invoice"], "Xero has a payment on it: not updated.")]
        over = [r for r in march.check("exceptions_reviewed").records if r.local_id == feb.id]
        assert over and "Payment 500.00" in over[0].label
        february = compute_checklist(s, TENANT, "2024-02")
        assert not [r for r in february.check("exceptions_reviewed").records if r.local_id == feb.id]


def test_records_nobody_can_send_are_excluded_not_failures(store) -> None:
    """Issue 13 case 10: a void invoice never pushed, an invoice and payment before the sync
    start date and a record a person skipped are listed as excluded, with the reason."""
    from xsync_desktop.store.settings import set_setting

    with session_scope(store.sessions) as s:
        ids = _good_month(s)
        cust = s.get(Customer, ids["customer"])
        set_setting(s, "sync_start_date", "2024-03-03")
        void = _invoice(s, cust, "INV-VOID", date(2024, 3, 8), status="void")
        early = _invoice(s, cust, "INV-EARLY", date(2024, 3, 1))
        early_pay = Payment(external_id="P-EARLY", invoice_id=early.id, date=date(2024, 3, 15),
                            amount=Decimal("5.00"), method="bank", source="ledger")
        skipped = _invoice(s, cust, "INV-SKIP", date(2024, 3, 9))
        s.add(early_pay)
        s.flush()
        s.add(Link(tenant_id=TENANT, entity="invoice", local_id=skipped.id, state="skipped", pending_hash="h"))
        run = SyncRun(trigger="manual", tenant_id=TENANT)
        s.add(run)
        s.flush()
        s.add(SyncItem(run_id=run.id, entity="invoice", local_id=skipped.id, action="create", outcome="skipped",
                       skip_reason="billed twice by mistake"))
        s.flush()
        cl = compute_checklist(s, TENANT, MONTH)
        inv_check = cl.check("invoices_in_xero")
        assert inv_check.passed, inv_check.records
        why = {r.local_id: r.reason for r in inv_check.excluded}
        assert "never sent" in why[void.id] and "sync start date" in why[early.id]
        assert why[skipped.id] == "skipped by a person: billed twice by mistake"
        pay_check = cl.check("payments_reconciled")
        assert pay_check.passed and [r.local_id for r in pay_check.excluded] == [early_pay.id]
