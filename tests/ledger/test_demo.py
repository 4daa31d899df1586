"""The demo ledger: deterministic, sized on request, believable, and valid by the import rules."""

from __future__ import annotations

import json
import re
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.fixtures.ledger import DEMO_TODAY
from xsync_desktop.ledger import import_files, validate_files
from xsync_desktop.ledger.demo import LedgerNotEmpty, generate_demo_ledger
from xsync_desktop.ledger.export import export_ledger_json
from xsync_desktop.ledger.rules import CHARGE_TYPES, PAYMENT_METHODS
from xsync_desktop.profile import Profile
from xsync_desktop.store.models import (
    CreditAllocation,
    CreditNote,
    Customer,
    Facility,
    Invoice,
    InvoiceLine,
    Payment,
)
from xsync_desktop.store.store import open_store


def _demo_json(tmp_path: Path, name: str, **kwargs) -> str:
    profile = Profile(tmp_path / name).ensure()
    store = open_store(profile.database_url, profile.backups_dir)
    try:
        with store.sessions.begin() as s:
            generate_demo_ledger(s, today=DEMO_TODAY, **kwargs)
        with store.sessions() as s:
            return export_ledger_json(s, tmp_path / f"{name}.json").read_text(encoding="utf-8")
    finally:
        store.close()


def test_same_seed_same_ledger(tmp_path: Path) -> None:
    a = _demo_json(tmp_path, "a", invoices=80, seed=3)
    b = _demo_json(tmp_path, "b", invoices=80, seed=3)
    c = _demo_json(tmp_path, "c", invoices=80, seed=4)
    assert a == b
    assert a != c


@pytest.mark.parametrize("size", [1, 37, 250])
def test_size_is_the_number_of_invoices(store, size: int) -> None:
    with store.sessions.begin() as s:
        summary = generate_demo_ledger(s, invoices=size, seed=7, today=DEMO_TODAY)
    with store.sessions() as s:
        assert len(s.scalars(select(Invoice.id)).all()) == size == summary.invoices


def test_demo_ledger_passes_the_import_rules(store, tmp_path: Path) -> None:
    with store.sessions.begin() as s:
        generate_demo_ledger(s, invoices=600, seed=7, today=DEMO_TODAY)
    with store.sessions() as s:
        path = export_ledger_json(s, tmp_path / "demo.json")
    alone = validate_files([path])
    assert alone.ok, alone.summary_text()
    # Re-importing the export into the same ledger finds nothing to change.
    again = import_files(store, [path])
    assert again.ok and again.added == 0 and again.updated == 0, again.summary_text()


def test_demo_ledger_is_believable(demo_store) -> None:
    with demo_store.sessions() as s:
        facilities = s.scalars(select(Facility.name)).all()
        customers = s.scalars(select(Customer)).all()
        invoices = s.scalars(select(Invoice)).all()
        lines = s.scalars(select(InvoiceLine)).all()
        payments = s.scalars(select(Payment)).all()
        credit_notes = s.scalars(select(CreditNote)).all()
        allocated = s.scalars(select(CreditAllocation.amount)).all()
    assert "Harbourside Self Storage — Wellington" in facilities and 2 <= len(facilities) <= 3
    assert all(re.fullmatch(r"C-\d{5}", c.customer_number) for c in customers)
    assert all(re.fullmatch(r"[^@\s]+@example\.(com|net)", c.email or "") for c in customers)
    assert len({c.name for c in customers}) == len(customers)  # no same-name contacts by accident
    assert all(re.fullmatch(r"INV-1\d{5}", i.number) for i in invoices)
    assert all(re.fullmatch(r"CN-\d{6}", c.number) for c in credit_notes)
    assert {ln.charge_type for ln in lines} <= set(CHARGE_TYPES) and {"rent", "insurance"} <= {
        ln.charge_type for ln in lines}
    gst = [(ln.line_amount * Decimal("0.15")).quantize(Decimal("0.01"), ROUND_HALF_UP) for ln in lines]
    assert [ln.tax_amount for ln in lines] == gst  # 15% GST, exclusive, per line
    assert {p.method for p in payments} <= set(PAYMENT_METHODS)
    paid = Counter("full" if i.amount_paid == i.total else "part" if i.amount_paid else "none" for i in invoices)
    assert paid["full"] > len(invoices) / 2 and paid["none"] > 0
    assert all(a > 0 for a in allocated)
    months = {i.issue_date.replace(day=1) for i in invoices}
    assert len(months) == 12 and max(i.issue_date for i in invoices) <= DEMO_TODAY


def test_bigger_demo_has_voids_partials_and_credits(tmp_path: Path) -> None:
    doc = json.loads(_demo_json(tmp_path, "big", invoices=1500, seed=7))
    statuses = Counter(i["status"] for i in doc["invoices"])
    assert statuses["void"] > 0 and statuses["authorised"] > 1000
    totals = {i["id"]: Decimal(i["total"]) for i in doc["invoices"]}
    assert any(Decimal(p["amount"]) < totals[p["invoice_id"]] for p in doc["payments"])
    assert doc["credit_notes"] and doc["credit_allocations"]


def test_demo_refuses_a_ledger_that_has_records(demo_store) -> None:
    with demo_store.sessions() as s, pytest.raises(LedgerNotEmpty):
        generate_demo_ledger(s, invoices=10)
