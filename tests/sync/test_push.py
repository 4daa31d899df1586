"""Pushing a demo ledger to the sandbox: completeness, exact amounts, only-what-changed, settings."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.fixtures.sync import DEMO_TODAY, SyncRig, assert_no_duplicates, setup_engine
from xsync_desktop.store.models import (
    CreditAllocation,
    CreditNote,
    Customer,
    Invoice,
    Link,
    Mapping,
    Payment,
    SyncItem,
)
from xsync_desktop.store.settings import set_setting
from xsync_desktop.sync.progress import Progress


@pytest.fixture
def big_rig(xero_rig: Any, store: Any, profile: Any) -> Any:
    """A 250-invoice demo ledger: has drafts, voids, credit notes and allocations."""
    from xsync_desktop.ledger.demo import generate_demo_ledger
    from xsync_desktop.sandbox.admin_client import SandboxAdmin

    with store.sessions.begin() as s:
        generate_demo_ledger(s, invoices=250, seed=7, today=DEMO_TODAY)
    engine, tid = setup_engine(xero_rig, store, profile)
    with SandboxAdmin.of(xero_rig.srv) as admin:
        yield SyncRig(xero_rig, store, engine, admin, tid, profile)


def D(value: Any) -> Decimal:
    """The admin surface answers plain JSON (floats); amounts are compared exactly as text."""
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _by(rows: list[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(str(r.get(key)), []).append(r)
    return out


def test_demo_ledger_pushes_fully_with_exact_amounts(big_rig: SyncRig) -> None:
    seen: list[Progress] = []
    result = big_rig.run(progress=seen.append)
    assert result.outcome == "succeeded", result.message
    assert result.counts["failed"] == 0
    assert {p.phase for p in seen} >= {"settings", "contacts", "invoices", "credit_notes", "payments"}
    assert_no_duplicates(big_rig)

    contacts = _by(big_rig.objects("Contacts"), "ContactNumber")
    invoices = _by(big_rig.objects("Invoices"), "InvoiceNumber")
    credit_notes = _by(big_rig.objects("CreditNotes"), "CreditNoteNumber")
    payments = _by(big_rig.objects("Payments"), "Reference")
    with big_rig.store.sessions() as s:
        paid = dict(s.execute(select(Payment.invoice_id, func.sum(Payment.amount)).where(
            Payment.source == "ledger").group_by(Payment.invoice_id)).all())
        credited: Counter[int] = Counter()
        for a in s.scalars(select(CreditAllocation)):
            credited[a.invoice_id] += a.amount
        invoiced_customers = set()
        for inv in s.scalars(select(Invoice)):
            rows = invoices.get(inv.number, [])
            if inv.status == "draft":
                assert rows == [], "ledger drafts are not sent"
                continue
            if inv.status == "void":
                assert len(rows) <= 1
                continue
            invoiced_customers.add(inv.customer_id)
            assert len(rows) == 1, inv.number
            x = rows[0]
            assert D(x["Total"]) == inv.total and D(x["SubTotal"]) == inv.subtotal
            assert D(x["TotalTax"]) == inv.tax_total
            due = inv.total - Decimal(paid.get(inv.id, 0)) - credited[inv.id]
            assert D(x["AmountDue"]) == due, inv.number
            assert x["Status"] == ("PAID" if due == 0 else "AUTHORISED")
            assert x["Reference"] == (inv.reference or "")
            link = s.scalars(select(Link).where(Link.entity == "invoice", Link.local_id == inv.id)).one()
            assert link.xero_id == x["InvoiceID"] and link.state == "linked"
        for c in s.scalars(select(Customer).where(Customer.id.in_(invoiced_customers))):
            assert len(contacts.get(c.customer_number, [])) == 1
            assert contacts[c.customer_number][0]["Name"] == c.name
        cns = list(s.scalars(select(CreditNote)))
        assert cns, "the demo has credit notes"
        for cn in cns:
            assert len(credit_notes.get(cn.number, [])) == 1
            assert D(credit_notes[cn.number][0]["Total"]) == cn.total
        for p in s.scalars(select(Payment).where(Payment.source == "ledger")):
            rows = payments.get(f"xsync:P-{p.external_id}", [])
            assert len(rows) == 1 and D(rows[0]["Amount"]) == p.amount
        assert s.scalar(select(func.count()).select_from(SyncItem).where(SyncItem.outcome == "failed")) == 0


def test_second_run_sends_nothing_and_edits_are_updated(sync_rig: SyncRig) -> None:
    first = sync_rig.run()
    assert first.outcome == "succeeded", first.message
    second = sync_rig.run()
    assert second.outcome == "succeeded"
    pushed = sum(second.counts[k] for k in ("contacts_synced", "invoices_pushed", "payments_pushed"))
    assert pushed == 0
    writes = [i for i in sync_rig.items(second.run_id) if i.action in ("create", "update")]
    assert writes == []

    # edit an unpaid invoice's reference and due date in the ledger: it is updated, nothing else
    with sync_rig.store.sessions() as s:
        inv = s.scalars(select(Invoice).where(Invoice.status == "authorised", Invoice.amount_paid == 0)).first()
        assert inv is not None
        inv.reference = "Edited in ledger"
        inv.due_date = date(2025, 7, 31)
        number = inv.number
        s.commit()
    third = sync_rig.run()
    assert third.outcome == "succeeded", third.message
    assert third.counts["invoices_pushed"] == 1
    x = next(r for r in sync_rig.objects("Invoices") if r["InvoiceNumber"] == number)
    assert x["Reference"] == "Edited in ledger"
    assert_no_duplicates(sync_rig)


def test_ledger_void_voids_in_xero_and_paid_edit_needs_review(sync_rig: SyncRig) -> None:
    assert sync_rig.run().outcome == "succeeded"
    with sync_rig.store.sessions() as s:
        unpaid = s.scalars(select(Invoice).where(Invoice.status == "authorised", Invoice.amount_paid == 0)).first()
        paid = s.scalars(select(Invoice).where(Invoice.status == "authorised", Invoice.amount_paid > 0)).first()
        assert unpaid is not None and paid is not None
        unpaid.status = "void"
        paid.reference = "changed after payment"
        numbers = (unpaid.number, paid.number)
        s.commit()
    result = sync_rig.run()
    xs = {r["InvoiceNumber"]: r for r in sync_rig.objects("Invoices")}
    assert xs[numbers[0]]["Status"] == "VOIDED"
    assert xs[numbers[1]]["Reference"] != "changed after payment"
    items = {i.label: i for i in sync_rig.items(result.run_id)}
    review = items[f"Invoice {numbers[1]}"]
    assert review.outcome == "needs_review" and "payment" in (review.message or "")
    assert items[f"Invoice {numbers[0]}"].outcome == "succeeded"


def test_dry_run_sends_nothing(sync_rig: SyncRig) -> None:
    result = sync_rig.run(dry_run=True)
    assert result.outcome == "succeeded"
    assert sync_rig.objects("Invoices") == []
    with sync_rig.store.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Link)) == 0
    assert "invoice" in result.message


def test_sync_start_date_plans_nothing_before_it(sync_rig: SyncRig) -> None:
    start = date(2025, 3, 1)
    with sync_rig.store.sessions() as s:
        set_setting(s, "sync_start_date", start.isoformat())
        s.commit()
    assert sync_rig.run().outcome == "succeeded"
    dates = [r["DateString"][:10] for r in sync_rig.objects("Invoices")]
    assert dates and min(dates) >= start.isoformat()
    with sync_rig.store.sessions() as s:
        early = s.scalars(select(Invoice).where(Invoice.issue_date < start)).all()
        assert early
        assert not s.scalars(select(SyncItem).where(SyncItem.entity == "invoice",
                                                    SyncItem.local_id.in_([i.id for i in early]))).all()


def test_draft_setting_creates_drafts_and_holds_payments(sync_rig: SyncRig) -> None:
    with sync_rig.store.sessions() as s:
        set_setting(s, "invoice_status", "DRAFT")
        s.commit()
    result = sync_rig.run()
    xs = sync_rig.objects("Invoices")
    assert xs and {r["Status"] for r in xs} == {"DRAFT"}
    assert sync_rig.objects("Payments") == []
    held = [i for i in sync_rig.items(result.run_id) if i.entity == "payment"]
    assert held and all("draft" in (i.message or "") for i in held)


def test_unmapped_charge_type_fails_before_any_request_then_retry_succeeds(sync_rig: SyncRig) -> None:
    with sync_rig.store.sessions() as s:
        s.query(Mapping).filter(Mapping.kind == "charge_type", Mapping.key == "rent").delete()
        s.commit()
    result = sync_rig.run()
    assert result.outcome == "failed"
    failed = [i for i in sync_rig.items(result.run_id) if i.outcome == "failed"]
    assert failed and all(i.entity in ("invoice", "payment") for i in failed)
    rent = next(i for i in failed if i.entity == "invoice")
    assert rent.message.startswith("Charge type 'Rent' has no Xero account. Map it in Mapping, then retry.")
    assert rent.attempts == 0 and rent.idempotency_key is None  # nothing was sent
    assert not any(r["InvoiceNumber"] for r in sync_rig.objects("Invoices")
                   if any(ln.get("AccountCode") is None for ln in r.get("LineItems", [])))

    with sync_rig.store.sessions() as s:
        s.add(Mapping(kind="charge_type", key="rent", account_code="210", tax_type="OUTPUT2"))
        s.commit()
    retry = sync_rig.engine.retry_failed(result.run_id)
    assert retry.outcome == "succeeded", retry.message
    new_items = sync_rig.items(retry.run_id)
    assert new_items and all(i.outcome == "succeeded" for i in new_items)
    assert all(i.retry_of_id is not None for i in new_items if i.entity in ("invoice", "payment"))
    with sync_rig.store.sessions() as s:
        originals = s.scalars(select(SyncItem).where(SyncItem.run_id == result.run_id,
                                                     SyncItem.outcome == "failed")).all()
        assert originals and all(o.superseded_by_id is not None for o in originals)
    assert retry.counts["retried"] >= len(originals) - 1
    assert_no_duplicates(sync_rig)


def test_skip_item_keeps_the_record_out_until_it_changes(sync_rig: SyncRig) -> None:
    with sync_rig.store.sessions() as s:
        s.query(Mapping).filter(Mapping.kind == "charge_type", Mapping.key == "rent").delete()
        s.commit()
    first = sync_rig.run()
    item = next(i for i in sync_rig.items(first.run_id) if i.entity == "invoice" and i.outcome == "failed")
    sync_rig.engine.skip_item(item.id, "Billed outside Xero")
    second = sync_rig.run()
    assert not [i for i in sync_rig.items(second.run_id) if i.entity == "invoice" and i.local_id == item.local_id]
    with sync_rig.store.sessions() as s:
        skipped = s.get(SyncItem, item.id)
        assert skipped.outcome == "skipped" and skipped.skip_reason == "Billed outside Xero"


def test_mapping_check_and_suggestions(sync_rig: SyncRig) -> None:
    from xsync_desktop.sync.mapping_check import blocked_counts, check_mappings, suggest_mappings

    with sync_rig.store.sessions() as s:
        assert check_mappings(s, sync_rig.tenant_id) == []
        rent = s.scalars(select(Mapping).where(Mapping.kind == "charge_type", Mapping.key == "rent")).one()
        assert rent.account_code == "210"  # "Storage Rental"
        ins = s.scalars(select(Mapping).where(Mapping.kind == "charge_type", Mapping.key == "insurance")).one()
        assert ins.account_code == "220"  # "Protection Plan Income"
        rent.tax_type = "INPUT2"  # an expenses-only tax on a revenue account
        card = s.scalars(select(Mapping).where(Mapping.kind == "payment_method", Mapping.key == "card")).one()
        card.account_code = "200"  # Sales cannot take payments
        s.flush()
        problems = {(p.kind, p.key): p for p in check_mappings(s, sync_rig.tenant_id)}
        assert problems[("charge_type", "rent")].problem == "tax_invalid"
        assert problems[("payment_method", "card")].problem == "account_no_payments"
        assert "Map it in Mapping" in problems[("payment_method", "card")].message
        counts = blocked_counts(s, sync_rig.tenant_id)
        assert counts[("charge_type", "rent")] > 0 and counts[("payment_method", "card")] > 0
        s.rollback()
        assert suggest_mappings(s, sync_rig.tenant_id) == []  # everything is mapped already
