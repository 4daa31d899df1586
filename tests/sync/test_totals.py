"""Issue 13.5: Xero's SubTotal, TotalTax and Total are compared with the ledger's on every answer."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from tests.fixtures.sync import SyncRig, copy_invoice
from xsync_desktop.store.models import Invoice, InvoiceLine, ReconException
from xsync_desktop.store.settings import set_setting
from xsync_desktop.sync.exceptions import available_actions
from xsync_desktop.sync.totals_check import line_differences

D = Decimal


def _set_lines(rig: SyncRig, inv_id: int, lines: list[tuple[str, str, str]], totals: tuple[str, str, str]) -> None:
    """(quantity, unit amount, tax) per line; line amount = quantity x unit; (subtotal, tax, total)."""
    with rig.store.sessions() as s:
        inv = s.get(Invoice, inv_id)
        charge = inv.lines[0].charge_type
        inv.lines.clear()
        s.flush()
        for n, (qty, unit, tax) in enumerate(lines, start=1):
            inv.lines.append(InvoiceLine(line_no=n, charge_type=charge, description=f"line {n}", quantity=D(qty),
                                         unit_amount=D(unit), tax_amount=D(tax),
                                         line_amount=(D(qty) * D(unit)).quantize(D("0.01"))))
        inv.subtotal, inv.tax_total, inv.total = (D(v) for v in totals)
        s.commit()


def _exceptions(rig: SyncRig, inv_id: int) -> list[ReconException]:
    with rig.store.sessions() as s:
        rows = s.scalars(select(ReconException).where(ReconException.kind == "totals_differ",
                                                      ReconException.local_id == inv_id)).all()
        for r in rows:
            s.expunge(r)
        return list(rows)


def test_a_ledger_total_that_xero_computes_otherwise_is_an_exception_on_the_first_push(sync_rig: SyncRig) -> None:
    """The billing system taxes the invoice total (0.15 x 15% = 0.02); Xero taxes each line (3 x 0.01)."""
    assert sync_rig.run().outcome == "succeeded"
    inv_id = copy_invoice(sync_rig, number="TAX-0001")
    _set_lines(sync_rig, inv_id, [("1", "0.05", "0.01")] * 3, ("0.15", "0.02", "0.17"))
    result = sync_rig.run()
    item = next(i for i in sync_rig.items(result.run_id) if i.entity == "invoice" and i.local_id == inv_id)
    assert item.outcome == "needs_review"
    assert "Xero's totals differ from the ledger's" in (item.message or "")
    (exc,) = _exceptions(sync_rig, inv_id)
    assert exc.ledger_value == "subtotal 0.15, tax 0.02, total 0.17"
    assert exc.xero_value == "subtotal 0.15, tax 0.03, total 0.18"
    assert "every line agrees" in (exc.detail or "")
    assert available_actions(exc) == ["keep_ledger", "dismiss"]
    lk = sync_rig.link("invoice", inv_id)
    assert lk is not None and lk.state == "linked"  # it is ours: linked, but not silently "in agreement"


@pytest.mark.parametrize(("mode", "lines", "totals"), [
    ("Exclusive", [("3", "10.1234", "4.56"), ("1", "0.05", "0.01")], ("30.42", "4.57", "34.99")),
    ("Inclusive", [("1", "115.00", "15.00"), ("1", "10.01", "1.31")], ("108.70", "16.31", "125.01")),
    ("NoTax", [("2", "40.00", "0.00")], ("80.00", "0.00", "80.00")),
])
def test_a_ledger_that_agrees_with_xero_raises_nothing_in_every_line_amount_mode(
        sync_rig: SyncRig, mode: str, lines: list[tuple[str, str, str]], totals: tuple[str, str, str]) -> None:
    with sync_rig.store.sessions() as s:
        set_setting(s, "line_amount_types", mode)
        s.commit()
    inv_id = copy_invoice(sync_rig, number=f"MODE-{mode}")
    _set_lines(sync_rig, inv_id, lines, totals)
    result = sync_rig.run()
    item = next(i for i in sync_rig.items(result.run_id) if i.entity == "invoice" and i.local_id == inv_id)
    assert item.outcome == "succeeded", item.message
    assert _exceptions(sync_rig, inv_id) == []


def test_the_per_line_difference_names_each_line() -> None:
    line = SimpleNamespace
    doc = SimpleNamespace(lines=[line(line_amount=D("100"), tax_amount=D("15")),
                                 line(line_amount=D("20"), tax_amount=D("3"))])
    answer = {"LineItems": [{"LineAmount": 100, "TaxAmount": 13.04}, {"LineAmount": 20, "TaxAmount": 3},
                            {"LineAmount": 1.5, "TaxAmount": 0}]}
    assert line_differences(doc, answer) == ["line 1: ledger 100.00 + tax 15.00, Xero 100.00 + tax 13.04",
                                             "line 3: only in Xero (1.50)"]
