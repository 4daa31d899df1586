"""Reconcile rules for a linked invoice that changed in Xero (DESIGN.md's "Reconcile rules").

Due date, reference and a safe void are applied to the ledger; a void on a paid invoice, a
deletion, amounts, lines, currency, contact, and any field both sides changed are raised
as exceptions. The push phase asks the same rules before sending a ledger edit.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...store.models import Customer, Invoice, Link, ReconException
from ...store.states import ExceptionKind, ExceptionStatus, ItemOutcome
from ...store.types import utcnow
from ..changelog import write_back
from ..exceptions import Conflict, conflict_item, raise_conflict
from .snapshots import (
    STATUS_TO_XERO,
    UnreadableXeroValue,
    invoice_snapshot,
    money_text,
    parse_moment,
    push_snapshot,
)
from .write_backs import apply_void, find_link, invoice_has_payments, refresh_pushed_hash

if TYPE_CHECKING:
    from ..context import RunContext

def ledger_invoice_view(session: Session, tenant_id: str, inv: Invoice,
                        contact_xero_id: str | None = None) -> dict[str, Any]:
    """The ledger invoice in snapshot terms: what we pushed, when the snapshot is silent."""
    if contact_xero_id is None:
        contact_link = find_link(session, tenant_id, "contact", inv.customer_id)
        contact_xero_id = contact_link.xero_id if contact_link is not None else None
    view: dict[str, Any] = {
        "Status": STATUS_TO_XERO.get(inv.status, inv.status.upper()),
        "DueDate": inv.due_date.isoformat(),
        "Reference": inv.reference or "",
        "Total": money_text(inv.total),
        "CurrencyCode": inv.currency,
    }
    if contact_xero_id:
        view["ContactID"] = contact_xero_id
    return view


def _invoice_label(inv: Invoice) -> str:
    return f"Invoice {inv.number}"


def reconcile_invoice(ctx: RunContext, xi: dict[str, Any], link: Link, *, ledger_changed: bool | None = None,
                      review_items: bool = True, contact_xero_id: str | None = None) -> list[str]:
    """One linked Xero invoice: apply, absorb or raise, per DESIGN's table; returns the fields
    whose conflict was newly opened.

    The pull calls it as is. The push calls it before sending a ledger edit, with what it
    knows (``ledger_changed=True``: the ledger's content differs from what was pushed) and
    ``review_items=False`` (it records the held update as its own item).
    ``contact_xero_id`` spares a query when the caller already knows the customer's contact.
    """
    session = ctx.session
    inv = session.get(Invoice, link.local_id)
    if inv is None:
        return []
    label = _invoice_label(inv)
    applied: list[str] = []
    raised: list[str] = []
    reason = "Changed in Xero"

    def conflict(kind: ExceptionKind, field: str, ledger_value: Any, xero_value: Any, detail: str) -> None:
        c = Conflict(kind, "invoice", inv.id, link.xero_id, label, field, ledger_value, xero_value, detail)
        if review_items:
            if conflict_item(ctx, c, "reconcile"):
                raised.append(field)
        elif raise_conflict(ctx, c)[1]:
            raised.append(field)

    try:
        new = invoice_snapshot(xi)
    except UnreadableXeroValue as bad:
        # Nothing of Xero's copy is taken in, and the snapshot stays as last seen: once Xero's copy
        # can be read (corrected there), the next pull compares it with what we knew before.
        conflict(ExceptionKind.UNREADABLE_XERO_VALUE, bad.field, None, str(bad.raw),
                 f"Xero sent {label} with a {bad.field.replace('lines.', 'line ')} that cannot be read "
                 f"({bad.raw!r}). Nothing of Xero's copy was taken in. Check the invoice in Xero; once it is "
                 "corrected there, the next sync reconciles it.")
        return raised
    base = ledger_invoice_view(session, ctx.tenant_id, inv, contact_xero_id)
    base.update(invoice_snapshot(link.xero_snapshot or {}))
    if ledger_changed is None:
        ledger_unchanged = link.pushed_at is not None and inv.changed_at <= link.pushed_at
    else:
        ledger_unchanged = not ledger_changed

    status = new.get("Status")
    old_status = base.get("Status")
    stop = False
    if status == "DELETED" and old_status != "DELETED":
        conflict(ExceptionKind.INVOICE_DELETED, "status", inv.status, "DELETED",
                 "The invoice was deleted in Xero; the ledger still has it.")
        stop = True
    elif status == "VOIDED" and old_status != "VOIDED":
        if inv.status == "void":
            pass
        elif not invoice_has_payments(session, inv):
            apply_void(session, link, inv, "Voided in Xero", ctx.run.id)
            applied.append("voided")
        else:
            conflict(ExceptionKind.VOID_WITH_PAYMENTS, "status", inv.status, "VOIDED",
                     f"The invoice was voided in Xero, but the ledger has {format(inv.amount_paid, 'f')} "
                     "paid on it.")
        stop = True

    if not stop:
        for key, attr, kind in (("DueDate", "due_date", ExceptionKind.DUE_DATE_CONFLICT),
                                ("Reference", "reference", ExceptionKind.REFERENCE_CONFLICT)):
            if key not in new or new[key] == base.get(key):
                continue
            ledger_text = inv.due_date.isoformat() if attr == "due_date" else (inv.reference or "")
            if new[key] == ledger_text:
                pass  # both sides already agree
            elif ledger_unchanged or ledger_text == (base.get(key) or ""):
                # The ledger did not change *this* field (it still holds what Xero had): Xero's edit
                # is applied, and a ledger edit of another field still goes out (both merge).
                value: Any = date.fromisoformat(new[key]) if attr == "due_date" else (new[key] or None)
                with refresh_pushed_hash(session, link, inv):
                    write_back(session, inv, "invoice", attr, value, reason, ctx.run.id)
                applied.append(attr.replace("_", " "))
            else:
                conflict(kind, attr, ledger_text, new[key],
                         f"The {attr.replace('_', ' ')} was changed in Xero ({new[key] or 'blank'}) and in "
                         f"the ledger ({ledger_text or 'blank'}) since the last sync.")

        total_changed = "Total" in new and "Total" in base and new["Total"] != base["Total"]
        lines_changed = "LinesHash" in new and "LinesHash" in base and new["LinesHash"] != base["LinesHash"]
        if total_changed and new["Total"] == money_text(inv.total):
            total_changed = False
        if total_changed or lines_changed:
            conflict(ExceptionKind.AMOUNTS_CHANGED, "total" if total_changed else "lines", format(inv.total, "f"),
                     new.get("Total") if total_changed else f"lines {new['LinesHash'][:8]}",
                     "Amounts belong to the ledger, but the invoice's "
                     + ("total" if total_changed else "lines") + f" changed in Xero (total {new.get('Total')}).")
        if "CurrencyCode" in new and new["CurrencyCode"] != base.get("CurrencyCode", new["CurrencyCode"]) \
                and new["CurrencyCode"] != inv.currency:
            conflict(ExceptionKind.CURRENCY_CHANGED, "currency", inv.currency, new["CurrencyCode"],
                     "The invoice's currency was changed in Xero.")
        if "ContactID" in new and "ContactID" in base and new["ContactID"] != base["ContactID"]:
            cust_link = find_link(session, ctx.tenant_id, "contact", inv.customer_id)
            if cust_link is None or cust_link.xero_id != new["ContactID"]:
                cust = session.get(Customer, inv.customer_id)
                conflict(ExceptionKind.CONTACT_CHANGED, "contact", cust.name if cust else inv.customer_id,
                         (xi.get("Contact") or {}).get("Name") or new["ContactID"],
                         "The invoice was moved to another contact in Xero.")
    # Xero's values are now "seen": an open exception carries any conflict from here on.
    link.xero_snapshot = {**push_snapshot(xi), **new}
    link.xero_updated_utc = parse_moment(xi.get("UpdatedDateUTC")) or link.xero_updated_utc
    link.last_synced_at = utcnow()
    if applied:
        item = ctx.start_item("invoice", inv.id, "reconcile", label, xero_id=link.xero_id)
        ctx.count("invoices_reconciled")
        ctx.finish_item(item, ItemOutcome.SUCCEEDED, "Applied from Xero: " + ", ".join(applied) + ".")
    return raised


# Open exceptions that hold back a ledger edit of the invoice until a person decides: sending
# it would overwrite the very Xero value the exception keeps for them.
HOLDING_KINDS = (ExceptionKind.DUE_DATE_CONFLICT, ExceptionKind.REFERENCE_CONFLICT, ExceptionKind.AMOUNTS_CHANGED, ExceptionKind.CURRENCY_CHANGED,
                 ExceptionKind.CONTACT_CHANGED, ExceptionKind.INVOICE_DELETED, ExceptionKind.VOID_WITH_PAYMENTS)


# Dismissed both-sides conflicts on these fields: "leave both as they are". While the ledger still
# holds the value it had when the person dismissed, the update sends Xero's value for that field.
DISMISSED_FIELDS = {ExceptionKind.DUE_DATE_CONFLICT: "due_date", ExceptionKind.REFERENCE_CONFLICT: "reference"}
# Dismissed conflicts that cannot be left field by field: the ledger's update stays held while the
# ledger's value is still the dismissed one (the checklist shows the invoice as not sent).
DISMISSED_HOLDS = (ExceptionKind.AMOUNTS_CHANGED, ExceptionKind.CURRENCY_CHANGED, ExceptionKind.CONTACT_CHANGED)


def dismissed_overrides(session: Session, tenant_id: str, inv: Invoice) -> tuple[dict[str, str], bool]:
    """For an invoice about to be updated: the fields to send with Xero's value (a dismissed
    both-sides conflict whose ledger value is unchanged), and whether the update is held."""
    overrides: dict[str, str] = {}
    held = False
    rows = session.scalars(select(ReconException).where(
        ReconException.tenant_id == tenant_id, ReconException.entity == "invoice",
        ReconException.local_id == inv.id, ReconException.status == ExceptionStatus.DISMISSED,
        ReconException.kind.in_(tuple(DISMISSED_FIELDS) + DISMISSED_HOLDS)).order_by(ReconException.id))
    for exc in rows:
        if exc.kind in DISMISSED_FIELDS:
            field = DISMISSED_FIELDS[exc.kind]
            ledger_now = inv.due_date.isoformat() if field == "due_date" else (inv.reference or "")
            if ledger_now == (exc.ledger_value or ""):
                overrides[field] = exc.xero_value or ""
        elif exc.kind == ExceptionKind.AMOUNTS_CHANGED and (exc.ledger_value or "") == money_text(inv.total):
            held = True
        elif exc.kind == ExceptionKind.CURRENCY_CHANGED and (exc.ledger_value or "") == inv.currency:
            held = True
        elif exc.kind == ExceptionKind.CONTACT_CHANGED:
            held = True
    return overrides, held


def held_invoices(session: Session, tenant_id: str, invoice_ids: list[int]) -> set[int]:
    """Which of these ledger invoices have an open exception that holds back their edits."""
    out: set[int] = set()
    for start in range(0, len(invoice_ids), 500):
        chunk = invoice_ids[start:start + 500]
        out.update(i for i in session.scalars(
            select(ReconException.local_id).where(
                ReconException.tenant_id == tenant_id,
                ReconException.status == ExceptionStatus.OPEN,
                ReconException.entity == "invoice",
                ReconException.kind.in_(HOLDING_KINDS),
                ReconException.local_id.in_(chunk),
            )
        ) if i is not None)
    return out


def xero_side_changes(link: Link, xero_invoice: dict[str, Any]) -> list[str]:
    """What Xero changed since we last saw it that a ledger edit must not overwrite blindly.

    Status counts only when Xero voided or deleted it (PAID is money, handled apart).
    """
    status = str(xero_invoice.get("Status") or "").upper()
    return [f for f in xero_changed_fields(link, xero_invoice)
            if f != "status" or status in ("VOIDED", "DELETED")]


def xero_changed_fields(link: Link, xero_invoice: dict[str, Any]) -> list[str]:
    """Which fields Xero changed on a linked invoice since we last saw it (snapshot vs now).

    For the push phase: before updating an invoice the ledger edited, it can ask this
    with Xero's current copy; a field Xero changed too ("due_date", "reference") is a
    both-sides conflict that must not be overwritten but left to reconcile to raise.
    Fields: status, due_date, reference, total, lines, currency, contact.
    """
    old = invoice_snapshot(link.xero_snapshot or {})
    try:
        new = invoice_snapshot(xero_invoice)
    except UnreadableXeroValue as bad:
        return [bad.field]  # something changed that cannot be read: reconcile_invoice raises it
    names = {"Status": "status", "DueDate": "due_date", "Reference": "reference", "Total": "total",
             "LinesHash": "lines", "CurrencyCode": "currency", "ContactID": "contact"}
    return [name for key, name in names.items() if key in old and key in new and old[key] != new[key]]
