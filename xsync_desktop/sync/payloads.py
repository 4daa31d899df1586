"""Ledger records -> Xero request elements, plus the hash that says "changed since last push".

Two things per record:
- ``content``: the ledger's own facts (numbers, dates, amounts, charge types, the
  customer's local id). Its sha256 is compared with Link.pushed_hash, so only
  records whose *ledger* content changed are re-sent. Mapping choices are not in
  it on purpose: re-mapping a charge type must not rewrite every invoice already
  in Xero (most are paid or in locked periods); it applies to what is sent next.
- ``element``: the wire body, built from content + mappings + settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..store.models import CreditAllocation, CreditNote, Customer, Invoice, Payment
from .hashing import canonical_hash
from .mapping_check import MappingBook

PAYMENT_REF_PREFIX = "xsync:P-"


@dataclass
class Built:
    element: dict[str, Any]
    content_hash: str


def payment_reference(payment: Payment) -> str:
    """The natural key Xero keeps for a pushed payment (found again with where Reference==...)."""
    return f"{PAYMENT_REF_PREFIX}{payment.external_id}"


def contact_content(c: Customer) -> dict[str, Any]:
    return {
        "number": c.customer_number,
        "name": c.name.strip(),
        "email": (c.email or "").strip(),
        "phone": (c.phone or "").strip(),
        "address": (c.address or "").strip(),
    }


def contact_element(c: Customer, xero_id: str | None = None) -> Built:
    content = contact_content(c)
    el: dict[str, Any] = {"Name": content["name"], "ContactNumber": content["number"]}
    if xero_id:
        el["ContactID"] = xero_id
    if content["email"]:
        el["EmailAddress"] = content["email"]
    if content["phone"]:
        el["Phones"] = [{"PhoneType": "DEFAULT", "PhoneNumber": content["phone"]}]
    if content["address"]:
        el["Addresses"] = [{"AddressType": "STREET", "AddressLine1": content["address"][:500]}]
    return Built(el, canonical_hash(content))


def _lines_content(lines: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "charge_type": ln.charge_type,
            "description": ln.description,
            "quantity": ln.quantity,
            "unit_amount": ln.unit_amount,
            "tax_amount": ln.tax_amount,
            "line_amount": ln.line_amount,
        }
        for ln in lines
    ]


def _line_elements(lines: list[Any], book: MappingBook, facility_id: int | None) -> list[dict[str, Any]]:
    tracking = book.tracking_for(facility_id)
    out = []
    for ln in lines:
        account, tax = book.line_codes(ln.charge_type)
        el: dict[str, Any] = {
            "Description": ln.description or ln.charge_type,
            "Quantity": ln.quantity,
            "UnitAmount": ln.unit_amount,
            "LineAmount": ln.line_amount,
            "AccountCode": account,
        }
        if tax:
            el["TaxType"] = tax
        if ln.tax_amount is not None:
            el["TaxAmount"] = ln.tax_amount
        if tracking:
            el["Tracking"] = tracking
        out.append(el)
    return out


def _document_content(doc: Invoice | CreditNote, line_amount_types: str, *, due: bool) -> dict[str, Any]:
    """What an invoice or credit note holds that Xero keeps (its push hash is taken of this)."""
    content: dict[str, Any] = {
        "number": doc.number,
        "customer": doc.customer_id,
        "facility": doc.facility_id,
        "date": doc.issue_date,
        "currency": doc.currency,
        "reference": doc.reference or "",
        "status": doc.status,
        "lat": line_amount_types,
        "lines": _lines_content(list(doc.lines)),
    }
    if due:
        content["due"] = doc.due_date  # type: ignore[union-attr]  # invoices only
    return content


def _document_element(doc: Invoice | CreditNote, content: dict[str, Any], contact_id: str, book: MappingBook, *,
                      xero_type: str, number_key: str, id_key: str, status: str, line_amount_types: str,
                      xero_id: str | None, extra: dict[str, Any]) -> Built:
    """One Xero document element (Invoice or CreditNote): the two differ only in their keys and
    in the invoice's due date (`extra`)."""
    el: dict[str, Any] = {
        "Type": xero_type,
        "Contact": {"ContactID": contact_id},
        number_key: doc.number,
        "Date": doc.issue_date,
        **extra,
        "CurrencyCode": doc.currency,
        "Status": status,
        "LineAmountTypes": line_amount_types,
        "LineItems": _line_elements(list(doc.lines), book, doc.facility_id),
    }
    if xero_id:
        el[id_key] = xero_id
    if doc.reference:
        el["Reference"] = doc.reference
    return Built(el, canonical_hash(content))


def invoice_content(inv: Invoice, line_amount_types: str) -> dict[str, Any]:
    return _document_content(inv, line_amount_types, due=True)


def invoice_element(
    inv: Invoice, contact_id: str, book: MappingBook, *, status: str, line_amount_types: str,
    xero_id: str | None = None,
) -> Built:
    return _document_element(inv, invoice_content(inv, line_amount_types), contact_id, book, xero_type="ACCREC",
                             number_key="InvoiceNumber", id_key="InvoiceID", status=status,
                             line_amount_types=line_amount_types, xero_id=xero_id,
                             extra={"DueDate": inv.due_date})


def void_element(entity: str, xero_id: str, xero_status: str | None) -> dict[str, Any]:
    """A draft is deleted, an authorised document voided (Xero's status rules)."""
    target = "DELETED" if (xero_status or "").upper() in ("DRAFT", "SUBMITTED") else "VOIDED"
    key = "InvoiceID" if entity == "invoice" else "CreditNoteID"
    return {key: xero_id, "Status": target}


def credit_note_content(cn: CreditNote, line_amount_types: str) -> dict[str, Any]:
    return _document_content(cn, line_amount_types, due=False)


def credit_note_element(
    cn: CreditNote, contact_id: str, book: MappingBook, *, status: str, line_amount_types: str,
    xero_id: str | None = None,
) -> Built:
    return _document_element(cn, credit_note_content(cn, line_amount_types), contact_id, book,
                             xero_type="ACCRECCREDIT", number_key="CreditNoteNumber", id_key="CreditNoteID",
                             status=status, line_amount_types=line_amount_types, xero_id=xero_id, extra={})


def allocation_content(a: CreditAllocation) -> dict[str, Any]:
    return {"credit_note": a.credit_note_id, "invoice": a.invoice_id, "date": a.date, "amount": a.amount}


def allocation_element(a: CreditAllocation, invoice_xero_id: str) -> Built:
    el = {"Invoice": {"InvoiceID": invoice_xero_id}, "Amount": a.amount, "Date": a.date}
    return Built(el, canonical_hash(allocation_content(a)))


def payment_content(p: Payment) -> dict[str, Any]:
    return {"invoice": p.invoice_id, "date": p.date, "amount": p.amount, "method": p.method,
            "ref": payment_reference(p)}


def payment_element(p: Payment, invoice_xero_id: str, book: MappingBook) -> Built:
    el = {
        "Invoice": {"InvoiceID": invoice_xero_id},
        "Account": book.bank_account(p.method),
        "Date": p.date,
        "Amount": p.amount,
        "Reference": payment_reference(p),
    }
    return Built(el, canonical_hash(payment_content(p)))


def money(value: Any) -> Decimal:
    """Xero amounts (Decimal from the codec, or strings from a JSON cache) as Decimal."""
    if value is None:
        return Decimal("0")
    return value if isinstance(value, Decimal) else Decimal(str(value))
