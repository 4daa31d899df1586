"""Xero's totals against the ledger's, on every create/update answer (issue 13.5).

Xero computes a document's totals itself: tax per line rounded to cents, the line-amount type
(Exclusive, Inclusive, NoTax) deciding whether a line holds its tax. A ledger whose billing system
rounds tax on the whole invoice, or a line-amount setting that does not fit the ledger's figures,
gives Xero another SubTotal, TotalTax or Total than the ledger, and the first push is where that
must be seen: afterwards Xero's answer is the comparison baseline. The ledger's subtotal is
without tax and its total with tax in every mode, so the three figures compare directly.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..store.states import ExceptionKind
from .context import RunContext
from .exceptions import Conflict, raise_conflict
from .payloads import money

CENT = Decimal("0.01")


def _m(value: Any) -> Decimal:
    return money(value).quantize(CENT)


def _figures(sub: Any, tax: Any, total: Any) -> str:
    return f"subtotal {_m(sub)}, tax {_m(tax)}, total {_m(total)}"


def line_differences(doc: Any, answer: dict[str, Any]) -> list[str]:
    """'line 2: ledger 0.05 + tax 0.00, Xero 0.05 + tax 0.01' for each line that differs."""
    out = []
    xero_lines = answer.get("LineItems") or []
    for n, ln in enumerate(doc.lines, start=1):
        x = xero_lines[n - 1] if n <= len(xero_lines) else {}
        ours = (_m(ln.line_amount), _m(ln.tax_amount))
        theirs = (_m(x.get("LineAmount")), _m(x.get("TaxAmount")))
        if ours != theirs:
            out.append(f"line {n}: ledger {ours[0]} + tax {ours[1]}, Xero {theirs[0]} + tax {theirs[1]}")
    for n in range(len(doc.lines) + 1, len(xero_lines) + 1):
        out.append(f"line {n}: only in Xero ({_m(xero_lines[n - 1].get('LineAmount'))})")
    return out


def compare_totals(ctx: RunContext, entity: str, title: str, doc: Any, answer: dict[str, Any],
                   line_amount_types: str) -> str | None:
    """None when Xero's SubTotal, TotalTax and Total equal the ledger's; otherwise opens a
    "totals differ" exception and returns the item message."""
    ours = (_m(doc.subtotal), _m(doc.tax_total), _m(doc.total))
    theirs = (_m(answer.get("SubTotal")), _m(answer.get("TotalTax")), _m(answer.get("Total")))
    if ours == theirs:
        return None
    label = f"{title} {doc.number}"
    lines = line_differences(doc, answer)
    per_line = "; ".join(lines) if lines else "every line agrees; the ledger's totals are not the sum of its lines"
    detail = (f"Xero's totals for {label} differ from the ledger's (line amounts sent as {line_amount_types}). "
              f"Ledger: {_figures(*ours)}. Xero: {_figures(*theirs)}. Per line: {per_line}. Check the ledger's "
              "tax rounding and the line-amount setting, then send the ledger's version again (keep the "
              "ledger's value) or dismiss with a note.")
    xero_id = str(answer.get("InvoiceID") or answer.get("CreditNoteID") or "") or None
    raise_conflict(ctx, Conflict(ExceptionKind.TOTALS_DIFFER, entity, doc.id, xero_id, label, "total", _figures(*ours),
                                 _figures(*theirs), detail))
    return (f"Sent, but Xero's totals differ from the ledger's ({_figures(*theirs)} in Xero, {_figures(*ours)} in "
            f"the ledger). See Exceptions for the per-line difference.")
