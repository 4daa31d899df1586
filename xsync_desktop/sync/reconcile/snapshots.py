"""Xero's values normalised, and the snapshots the reconcile rules compare.

A snapshot holds Xero's values as last seen (or as pushed); comparing it with Xero's current
copy tells which side changed a field. Keys are present only when Xero's data had them, so a
partial snapshot falls back to the ledger for the rest.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ...xero.dates import parse_xero_date, parse_xero_datetime
from ..links import snapshot

CENT = Decimal("0.01")
Q4 = Decimal("0.0001")


STATUS_TO_XERO = {"draft": "DRAFT", "authorised": "AUTHORISED", "void": "VOIDED"}


def to_decimal(value: Any, quantum: Decimal = CENT) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, float):  # never from our codec, but be safe with hand-made data
        value = repr(value)
    try:
        return Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP)
    except (InvalidOperation, TypeError, ValueError):
        return None


class UnreadableXeroValue(ValueError):
    """Xero sent a value the app cannot read (a line's Quantity "one", a DueDate "soon").

    Raised instead of taking it as 1, 0.00, no total or today: a guess would make a changed
    invoice look unchanged, or an unchanged one look changed. Reconcile turns it into an
    'unreadable_xero_value' exception for a person.
    """

    def __init__(self, field: str, raw: Any) -> None:
        super().__init__(f"Xero's {field} cannot be read ({raw!r})")
        self.field = field  # "lines.quantity", "total", "duedate"
        self.raw = raw


def readable_decimal(value: Any, field: str, quantum: Decimal = CENT) -> Decimal | None:
    """Like `to_decimal`, but a value that is there and cannot be read raises `UnreadableXeroValue`."""
    dec = to_decimal(value, quantum)
    if dec is None and value is not None and value != "":
        raise UnreadableXeroValue(field, value)
    return dec


def money_text(value: Any) -> str | None:
    dec = to_decimal(value)
    return None if dec is None else format(dec, "f")


def parse_day(value: Any) -> date | None:
    """A calendar date from any form Xero or a snapshot may hold."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    return parse_xero_date(str(value))


def parse_moment(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return parse_xero_datetime(str(value))


def lines_hash(lines: list[dict[str, Any]]) -> str:
    """A fingerprint of the amounts-bearing part of Xero's lines.

    Only what a request and a response agree on: description, quantity, unit amount,
    line amount (computed when absent) and account; tax types and tracking are left
    out because Xero fills them in from defaults. A value that is there and cannot be read
    raises `UnreadableXeroValue`; one that is absent keeps its meaning (no quantity: one; no
    unit amount: none). A zero quantity reads as one, as it always has: stored fingerprints
    were made that way, and reading it otherwise would report every such invoice as changed.
    """
    parts = []
    for line in lines or []:
        qty = readable_decimal(line.get("Quantity", 1), "lines.quantity", Q4) or Decimal("1.0000")
        unit = readable_decimal(line.get("UnitAmount"), "lines.unitamount", Q4) or Decimal("0.0000")
        amount = readable_decimal(line.get("LineAmount"), "lines.lineamount")
        if amount is None:
            amount = (qty * unit).quantize(CENT, rounding=ROUND_HALF_UP)
        parts.append(
            "\x1f".join(
                [
                    str(line.get("Description") or "").strip(),
                    format(qty.normalize(), "f"),
                    format(unit.normalize(), "f"),
                    format(amount, "f"),
                    str(line.get("AccountCode") or ""),
                ]
            )
        )
    return hashlib.sha256("\x1e".join(parts).encode("utf-8")).hexdigest()[:32]


def invoice_snapshot(data: dict[str, Any]) -> dict[str, Any]:
    """Xero's invoice (raw API dict, or a snapshot made earlier) -> the JSON-safe snapshot.

    Keys present only when the input has them, so a partial snapshot falls back to the
    ledger for the rest. The push phase may store ``invoice_snapshot(response_invoice)``.
    A due date, total or line value that cannot be read raises `UnreadableXeroValue`.
    """
    snap: dict[str, Any] = {}
    if "Status" in data:
        snap["Status"] = data.get("Status")
    if "DueDate" in data:
        try:
            due = parse_day(data.get("DueDate"))
        except ValueError:
            raise UnreadableXeroValue("duedate", data.get("DueDate")) from None
        snap["DueDate"] = due.isoformat() if due else None
    if "Reference" in data or "Status" in data:
        snap["Reference"] = data.get("Reference") or ""
    if data.get("Total") is not None:
        total = readable_decimal(data.get("Total"), "total")
        snap["Total"] = None if total is None else format(total, "f")
    if data.get("CurrencyCode"):
        snap["CurrencyCode"] = data.get("CurrencyCode")
    contact = data.get("Contact")
    if isinstance(contact, dict) and contact.get("ContactID"):
        snap["ContactID"] = str(contact["ContactID"])
    elif data.get("ContactID"):
        snap["ContactID"] = str(data["ContactID"])
    if "LinesHash" in data:
        snap["LinesHash"] = data["LinesHash"]
    elif isinstance(data.get("LineItems"), list) and data["LineItems"]:
        snap["LinesHash"] = lines_hash(data["LineItems"])
    if data.get("UpdatedDateUTC"):
        moment = parse_moment(data["UpdatedDateUTC"])
        snap["UpdatedDateUTC"] = moment.isoformat() if moment else None
    return snap


def contact_snapshot(data: dict[str, Any]) -> dict[str, Any]:
    snap: dict[str, Any] = {}
    if "ContactStatus" in data:
        snap["ContactStatus"] = data.get("ContactStatus")
    if "MergedToContactID" in data or "ContactStatus" in data:
        snap["MergedToContactID"] = data.get("MergedToContactID") or None
    if "Name" in data:
        snap["Name"] = data.get("Name")
    return snap


def payment_snapshot(xp: dict[str, Any]) -> dict[str, Any]:
    return {
        "Status": xp.get("Status"),
        "Amount": money_text(xp.get("Amount")),
        "InvoiceID": (xp.get("Invoice") or {}).get("InvoiceID"),
        "Reference": xp.get("Reference") or "",
    }


def push_snapshot(data: dict[str, Any]) -> dict[str, Any]:
    """The push phase's snapshot form (all of Xero's scalar fields), kept so its readers
    (e.g. AmountPaid, Status before an update or void) see fresh values after a pull."""
    return snapshot(data)
