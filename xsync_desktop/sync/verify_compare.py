"""Field-by-field comparison of one linked ledger record with Xero's copy (Compare with Xero).

Pure functions: each takes a ledger record, what the ledger knows about its links, and Xero's
object as read, and returns the differences. verify.py reads Xero and files what these find.
A difference is either a field that disagrees or a *wrong link*: the Xero object the record is
linked to is provably not the record's own (another number, another contact, another reference).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..store.models import CreditAllocation, CreditNote, Customer, Invoice, Payment
from .payloads import payment_reference
from .reconcile.snapshots import parse_day, to_decimal

ZERO = Decimal("0.00")
# Ledger "authorised" is any live Xero state: PAID is money (compared apart), DRAFT/SUBMITTED
# when the organisation is set to create drafts.
LIVE = ("DRAFT", "SUBMITTED", "AUTHORISED", "PAID")
GONE = ("VOIDED", "DELETED")


@dataclass(frozen=True)
class Difference:
    """One way the ledger and Xero disagree about one record."""

    entity: str  # invoice, credit_note, payment, allocation, contact
    local_id: int | None
    xero_id: str | None
    label: str
    field: str
    ledger_value: str
    xero_value: str
    month: str | None = None  # the record's month (None: counts for every month compared)
    wrong_link: bool = False


def _money(value: Any) -> str:
    dec = to_decimal(value)
    return format(dec if dec is not None else ZERO, "f")


def _month(day: Any) -> str | None:
    return day.strftime("%Y-%m") if day is not None else None


class Finder:
    """Collects differences for one record with its label and month filled in."""

    def __init__(self, entity: str, local_id: int | None, xero_id: str | None, label: str,
                 month: str | None) -> None:
        self.entity, self.local_id, self.xero_id, self.label, self.month = entity, local_id, xero_id, label, month
        self.found: list[Difference] = []

    def differ(self, field: str, ledger: Any, xero: Any, *, wrong_link: bool = False) -> None:
        ledger_text = "" if ledger is None else str(ledger)
        xero_text = "" if xero is None else str(xero)
        if ledger_text != xero_text:
            self.found.append(Difference(self.entity, self.local_id, self.xero_id, self.label, field,
                                         ledger_text, xero_text, self.month, wrong_link))

    def missing(self) -> list[Difference]:
        self.found.append(Difference(self.entity, self.local_id, self.xero_id, self.label, "exists",
                                     "linked", "not found in Xero", self.month))
        return self.found


def _status_differs(ledger_status: str, xero_status: str) -> bool:
    if ledger_status == "void":
        return xero_status not in GONE
    return xero_status not in LIVE


def _document_head(f: Finder, number: str, xero_number: Any, contact_xero_id: str | None, xd: dict[str, Any],
                   ledger_status: str) -> str:
    """Number and contact (a mismatch is a wrong link), then status; returns Xero's status."""
    f.differ("number", number, xero_number, wrong_link=True)
    contact = str((xd.get("Contact") or {}).get("ContactID") or "")
    if contact_xero_id and contact:
        f.differ("contact", contact_xero_id, contact, wrong_link=True)
    status = str(xd.get("Status") or "").upper()
    if _status_differs(ledger_status, status):
        f.differ("status", ledger_status.upper(), status)
    return status


def compare_invoice(inv: Invoice, xero_id: str, xi: dict[str, Any] | None, contact_xero_id: str | None,
                    payment_ids: set[str]) -> list[Difference]:
    """``payment_ids``: the Xero ids of the ledger's live payments on this invoice."""
    f = Finder("invoice", inv.id, xero_id, f"Invoice {inv.number}", _month(inv.issue_date))
    if xi is None:
        return f.missing()
    status = _document_head(f, inv.number, xi.get("InvoiceNumber"), contact_xero_id, xi, inv.status)
    if status in GONE:
        return f.found  # amounts of a voided document are Xero's zeros; the status says it all
    f.differ("total", _money(inv.total), _money(xi.get("Total")))
    f.differ("amount_paid", _money(inv.amount_paid), _money(xi.get("AmountPaid")))
    f.differ("amount_credited", _money(inv.amount_credited), _money(xi.get("AmountCredited")))
    f.differ("amount_due", _money(inv.amount_due), _money(xi.get("AmountDue")))
    due = parse_day(xi.get("DueDate"))
    f.differ("due_date", inv.due_date.isoformat(), due.isoformat() if due else "")
    f.differ("reference", inv.reference or "", xi.get("Reference") or "")
    in_xero = {str(p.get("PaymentID")) for p in xi.get("Payments") or [] if p.get("PaymentID")}
    for pid in sorted(in_xero - payment_ids):
        f.differ("payment", "", f"payment {pid} not in the ledger")
    return f.found


def compare_credit_note(cn: CreditNote, xero_id: str, xc: dict[str, Any] | None, contact_xero_id: str | None,
                        allocations: list[tuple[CreditAllocation, str | None, str | None]]) -> list[Difference]:
    """``allocations``: the ledger's allocations of this credit note, each with its own Xero id
    (AllocationID) and its invoice's Xero id."""
    f = Finder("credit_note", cn.id, xero_id, f"Credit note {cn.number}", _month(cn.issue_date))
    if xc is None:
        return f.missing()
    status = _document_head(f, cn.number, xc.get("CreditNoteNumber"), contact_xero_id, xc, cn.status)
    if status in GONE:
        return f.found
    f.differ("total", _money(cn.total), _money(xc.get("Total")))
    f.differ("reference", cn.reference or "", xc.get("Reference") or "")
    applied = sum((a.amount for a, _, _ in allocations), ZERO)
    f.differ("remaining_credit", _money(cn.total - applied), _money(xc.get("RemainingCredit")))
    xero_allocs = {str(a.get("AllocationID") or ""): a for a in xc.get("Allocations") or []
                   if not a.get("IsDeleted")}
    seen: set[str] = set()
    for alloc, alloc_xero_id, inv_xero_id in allocations:
        name = f"allocation {alloc.external_id}"
        xa = xero_allocs.get(alloc_xero_id or "")
        if xa is None:
            # Not linked yet, or not found: match on invoice and amount (a bookkeeper's own
            # allocation of the same credit counts as the same money).
            xa = next((a for k, a in xero_allocs.items() if k not in seen
                       and str((a.get("Invoice") or {}).get("InvoiceID") or "") == inv_xero_id
                       and _money(a.get("Amount")) == _money(alloc.amount)), None)
        if xa is None:
            f.differ(name, f"{_money(alloc.amount)} to invoice {alloc.invoice_id}", "not in Xero")
            continue
        seen.add(str(xa.get("AllocationID") or ""))
        f.differ(f"{name} amount", _money(alloc.amount), _money(xa.get("Amount")))
        f.differ(f"{name} invoice", inv_xero_id or "", str((xa.get("Invoice") or {}).get("InvoiceID") or ""))
    for k, xa in xero_allocs.items():
        if k not in seen:
            inv_no = (xa.get("Invoice") or {}).get("InvoiceNumber") or ""
            f.differ(f"allocation {k}", "", f"{_money(xa.get('Amount'))} to {inv_no} not in the ledger")
    return f.found


def compare_payment(pay: Payment, xero_id: str, xp: dict[str, Any] | None, invoice_number: str,
                    invoice_xero_id: str | None, account_code: str | None) -> list[Difference]:
    """``account_code``: the bank account the ledger's payment method maps to (None: not compared)."""
    label = f"Payment {_money(pay.amount)} on {invoice_number}"
    f = Finder("payment", pay.id, xero_id, label, _month(pay.date))
    if xp is None:
        return f.missing()
    if pay.source == "ledger":
        f.differ("reference", payment_reference(pay), xp.get("Reference") or "", wrong_link=True)
    inv = str((xp.get("Invoice") or {}).get("InvoiceID") or "")
    if invoice_xero_id:
        f.differ("invoice", invoice_xero_id, inv, wrong_link=True)
    status = str(xp.get("Status") or "AUTHORISED").upper()
    expected = "DELETED" if pay.reversed_at is not None else "AUTHORISED"
    f.differ("status", expected, status)
    if status == "DELETED" or pay.reversed_at is not None:
        return f.found
    f.differ("amount", _money(pay.amount), _money(xp.get("Amount")))
    day = parse_day(xp.get("Date"))
    f.differ("date", pay.date.isoformat(), day.isoformat() if day else "")
    if account_code:
        f.differ("account", account_code, str((xp.get("Account") or {}).get("Code") or ""))
    return f.found


def compare_contact(cust: Customer, xero_id: str, xc: dict[str, Any] | None) -> list[Difference]:
    f = Finder("contact", cust.id, xero_id, f"Customer {cust.name}", None)
    if xc is None:
        return f.missing()
    number = xc.get("ContactNumber")
    if number:
        f.differ("contact_number", cust.customer_number, number, wrong_link=True)
    merged = xc.get("MergedToContactID")
    if merged:
        f.differ("merged", "", f"merged into {merged}")
    f.differ("status", "ACTIVE", str(xc.get("ContactStatus") or "ACTIVE").upper())
    f.differ("name", cust.name, xc.get("Name") or "")
    return f.found
