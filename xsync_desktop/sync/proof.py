"""Is this Xero object provably the one this app sent for a ledger record?

A number match alone is not proof: Xero's own default numbering (INV-0001, CN-0001) makes
collisions with a ledger's numbers likely, and linking a record to someone else's invoice
makes the books silently disagree. An invoice or credit note found by its number is taken
as the record's own only when
- its contact is the customer's linked contact,
- its total and each line (quantity and line amount, in order) equal the ledger's, and
- when we know when we sent it, it was last changed no earlier than that send (so an object
  that existed before the send, untouched since, is never taken for ours).
A payment found by its reference ``xsync:P-<id>`` (a key only this app writes) must also be on
the record's invoice with the ledger's amount.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from .payloads import money

# Xero's clock and this PC's differ; an object changed this long before our send still counts as
# possibly ours (it cannot be: Xero stamps the create when it saves it, after the send).
CLOCK_SKEW = timedelta(minutes=10)


def _as_decimal(value: Any) -> Decimal:
    return money(value).quantize(Decimal("0.0001"))


def document_differences(doc: Any, found: dict[str, Any], contact_xero_id: str | None,
                         sent_at: datetime | None = None) -> list[str]:
    """Why ``found`` (a Xero invoice/credit note with LineItems) is not ``doc``'s own; [] when it is."""
    out: list[str] = []
    contact = (found.get("Contact") or {}).get("ContactID") or found.get("ContactID")
    if not contact_xero_id or str(contact or "").lower() != contact_xero_id.lower():
        name = (found.get("Contact") or {}).get("Name") or "another contact"
        out.append(f"it belongs to {name}")
    if money(found.get("Total")).quantize(Decimal("0.01")) != money(doc.total).quantize(Decimal("0.01")):
        out.append(f"its total is {money(found.get('Total')):.2f}, the ledger's {money(doc.total):.2f}")
    lines = found.get("LineItems")
    if lines is not None:
        ours = list(doc.lines)
        if len(lines) != len(ours):
            out.append(f"it has {len(lines)} line(s), the ledger {len(ours)}")
        else:
            for n, (x, ln) in enumerate(zip(lines, ours, strict=True), start=1):
                if (_as_decimal(x.get("LineAmount")) != _as_decimal(ln.line_amount)
                        or _as_decimal(x.get("Quantity")) != _as_decimal(ln.quantity)):
                    out.append(f"line {n} differs")
                    break
    if sent_at is not None:
        updated = found.get("UpdatedDateUTC")
        if isinstance(updated, datetime) and updated < sent_at - CLOCK_SKEW:
            out.append("it existed in Xero before this app sent the record")
    return out


def payment_is_ours(payment: Any, found: dict[str, Any], invoice_xero_id: str | None) -> bool:
    """A payment with our reference, on the record's invoice, for the ledger's amount."""
    on = str((found.get("Invoice") or {}).get("InvoiceID") or "").lower()
    return (bool(invoice_xero_id) and on == str(invoice_xero_id).lower()
            and money(found.get("Amount")) == money(payment.amount))


def header_differs(doc: Any, found: dict[str, Any]) -> bool:
    """Reference or due date differ between the ledger and Xero's copy (not part of the proof:
    a bookkeeper may change them; the ledger's values are then sent again)."""
    if (found.get("Reference") or "").strip() != (doc.reference or "").strip():
        return True
    due = getattr(doc, "due_date", None)
    if due is None:
        return False
    got = found.get("DueDate")
    got_day = got.date() if isinstance(got, datetime) else got
    return got_day != due
