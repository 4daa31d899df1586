"""Reconcile: what Xero changed on linked records, applied to the ledger or raised for a person.

The rules are DESIGN.md's "Reconcile rules" table. To know *which side* changed a field
we compare Xero's current value with ``Link.xero_snapshot`` (Xero's values as last seen or
as pushed), falling back to the ledger's value when the snapshot lacks the field (the
ledger value is what was pushed). "The ledger changed since the last push" is
``Invoice.changed_at > Link.pushed_at``.

Write-backs never bump ``changed_at`` and never move ``Link.pushed_at`` (see
changelog.py). When the ledger was in step with Xero before a write-back, the link's
``pushed_hash`` is refreshed to the new ledger state, so the push phase does not echo
Xero's own change back to Xero; when the ledger had an unpushed edit, the hash is left
alone so that edit is still pushed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..store.models import ChangeLog, Customer, Invoice, Link, Payment, ReconException, SyncItem
from ..store.types import utcnow
from .changelog import as_text, write_back
from .exceptions import Conflict, contact_archived_conflict, raise_conflict

if TYPE_CHECKING:
    from .context import RunContext

CENT = Decimal("0.01")
Q4 = Decimal("0.0001")
STATUS_TO_XERO = {"draft": "DRAFT", "authorised": "AUTHORISED", "void": "VOIDED"}


# -- normalising Xero's values -------------------------------------------------------------


def _dec(value: Any, quantum: Decimal = CENT) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, float):  # never from our codec, but be safe with hand-made data
        value = repr(value)
    try:
        return Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP)
    except (InvalidOperation, TypeError, ValueError):
        return None


def _money_text(value: Any) -> str | None:
    dec = _dec(value)
    return None if dec is None else format(dec, "f")


def parse_day(value: Any) -> date | None:
    """A calendar date from any form Xero or a snapshot may hold."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    from ..xero.dates import parse_xero_date

    return parse_xero_date(str(value))


def parse_moment(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    from ..xero.dates import parse_xero_datetime

    return parse_xero_datetime(str(value))


def lines_hash(lines: list[dict[str, Any]]) -> str:
    """A fingerprint of the amounts-bearing part of Xero's lines.

    Only what a request and a response agree on: description, quantity, unit amount,
    line amount (computed when absent) and account; tax types and tracking are left
    out because Xero fills them in from defaults.
    """
    parts = []
    for line in lines or []:
        qty = _dec(line.get("Quantity", 1), Q4) or Decimal("1.0000")
        unit = _dec(line.get("UnitAmount"), Q4) or Decimal("0.0000")
        amount = _dec(line.get("LineAmount"))
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
    """
    snap: dict[str, Any] = {}
    if "Status" in data:
        snap["Status"] = data.get("Status")
    if "DueDate" in data:
        due = parse_day(data.get("DueDate"))
        snap["DueDate"] = due.isoformat() if due else None
    if "Reference" in data or "Status" in data:
        snap["Reference"] = data.get("Reference") or ""
    if data.get("Total") is not None:
        snap["Total"] = _money_text(data.get("Total"))
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


def ledger_invoice_view(session: Session, tenant_id: str, inv: Invoice,
                        contact_xero_id: str | None = None) -> dict[str, Any]:
    """The ledger invoice in snapshot terms: what we pushed, when the snapshot is silent."""
    if contact_xero_id is None:
        contact_link = _link(session, tenant_id, "contact", inv.customer_id)
        contact_xero_id = contact_link.xero_id if contact_link is not None else None
    view: dict[str, Any] = {
        "Status": STATUS_TO_XERO.get(inv.status, inv.status.upper()),
        "DueDate": inv.due_date.isoformat(),
        "Reference": inv.reference or "",
        "Total": _money_text(inv.total),
        "CurrencyCode": inv.currency,
    }
    if contact_xero_id:
        view["ContactID"] = contact_xero_id
    return view


# -- links and hashes --------------------------------------------------------------------------


def _link(session: Session, tenant_id: str, entity: str, local_id: int) -> Link | None:
    return session.scalars(
        select(Link).where(Link.tenant_id == tenant_id, Link.entity == entity, Link.local_id == local_id)
    ).first()


def links_by_xero_id(session: Session, tenant_id: str, entity: str, xero_ids: list[str]) -> dict[str, Link]:
    """Links for many Xero ids at once (chunked: SQLite caps bound parameters)."""
    found: dict[str, Link] = {}
    ids = [i for i in dict.fromkeys(xero_ids) if i]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for link in session.scalars(
            select(Link).where(Link.tenant_id == tenant_id, Link.entity == entity, Link.xero_id.in_(chunk))
        ):
            if link.xero_id:
                found[link.xero_id] = link
    return found


def _push_hash(session: Session, link: Link, record: Any) -> str | None:
    """The push phase's hash of ``record`` as it would be pushed now (sync/payloads.py).

    Imported lazily so reconcile works even if the push code changes shape; no hash
    just means "the push phase decides".
    """
    try:
        from ..store.settings import get_setting
        from . import payloads
        from .hashing import canonical_hash

        if link.entity == "invoice":
            lat = get_setting(session, "line_amount_types") or "Exclusive"
            return canonical_hash(payloads.invoice_content(record, lat))
        if link.entity == "payment":
            return canonical_hash(payloads.payment_content(record))
        if link.entity == "contact":
            return canonical_hash(payloads.contact_content(record))
    except (ImportError, AttributeError, TypeError):
        return None
    return None


@contextmanager
def refresh_pushed_hash(
    session: Session, link: Link | None, record: Any, *, force: bool = False
) -> Iterator[None]:
    """Around a write-back: if the ledger was in step with what was pushed (or ``force``),
    re-stamp ``pushed_hash`` afterwards so the push phase sees nothing new to send."""
    in_step = False
    if link is not None and link.pushed_hash:
        before = _push_hash(session, link, record)
        in_step = force or (before is not None and before == link.pushed_hash)
    yield
    if in_step and link is not None:
        after = _push_hash(session, link, record)
        if after is not None:
            link.pushed_hash = after


def log_link_change(session: Session, link: Link, new_xero_id: str, reason: str) -> None:
    session.add(
        ChangeLog(
            at=utcnow(),
            entity=link.entity,
            local_id=link.local_id,
            field="xero_id",
            old_value=link.xero_id,
            new_value=new_xero_id,
            reason=reason,
            run_id=None,
        )
    )


def invoice_has_payments(session: Session, inv: Invoice) -> bool:
    if inv.amount_paid and inv.amount_paid != 0:
        return True
    return (
        session.scalar(
            select(Payment.id).where(Payment.invoice_id == inv.id, Payment.reversed_at.is_(None)).limit(1)
        )
        is not None
    )


# -- write-backs (shared with exception resolution) -------------------------------------------


def apply_void(session: Session, link: Link | None, inv: Invoice, reason: str, run_id: int | None) -> bool:
    with refresh_pushed_hash(session, link, inv):
        return write_back(session, inv, "invoice", "status", "void", reason, run_id)


def reverse_payment(session: Session, tenant_id: str, pay: Payment, reason: str, run_id: int | None) -> bool:
    """Undo a payment in the ledger (kept, marked reversed) and take it off the invoice."""
    if pay.reversed_at is not None:
        return False
    inv = session.get(Invoice, pay.invoice_id)
    write_back(session, pay, "payment", "reversed_at", utcnow(), reason, run_id)
    if inv is not None:
        link = _link(session, tenant_id, "invoice", inv.id)
        with refresh_pushed_hash(session, link, inv):
            write_back(session, inv, "invoice", "amount_paid", inv.amount_paid - pay.amount, reason, run_id)
    return True


def import_payment(
    session: Session,
    tenant_id: str,
    inv: Invoice,
    xp: dict[str, Any],
    reason: str,
    run_id: int | None,
) -> Payment:
    """A Xero payment becomes a ledger payment (source "xero") plus its Link."""
    pid = str(xp["PaymentID"])
    amount = _dec(xp.get("Amount")) or Decimal("0.00")
    pay_date = parse_day(xp.get("Date")) or utcnow().date()
    now = utcnow()
    pay = Payment(
        external_id=f"xero:{pid}",
        invoice_id=inv.id,
        date=pay_date,
        amount=amount,
        method="xero",
        reference=(xp.get("Reference") or None),
        source="xero",
        changed_at=now,
    )
    session.add(pay)
    session.flush()
    session.add(
        ChangeLog(
            at=now,
            entity="payment",
            local_id=pay.id,
            field="created",
            old_value=None,
            new_value=f"{format(amount, 'f')} on {pay_date.isoformat()}",
            reason=reason,
            run_id=run_id,
        )
    )
    inv_link = _link(session, tenant_id, "invoice", inv.id)
    with refresh_pushed_hash(session, inv_link, inv):
        write_back(session, inv, "invoice", "amount_paid", inv.amount_paid + amount, reason, run_id)
    session.add(
        Link(
            tenant_id=tenant_id,
            entity="payment",
            local_id=pay.id,
            xero_id=pid,
            natural_key=f"xero:{pid}",
            state="linked",
            # The payment came from Xero: "pushed" as of its creation, so nothing
            # treats it as a ledger change to send.
            pushed_at=now,
            xero_updated_utc=parse_moment(xp.get("UpdatedDateUTC")),
            xero_snapshot=payment_snapshot(xp),
            last_synced_at=now,
        )
    )
    return pay


def payment_snapshot(xp: dict[str, Any]) -> dict[str, Any]:
    return {
        "Status": xp.get("Status"),
        "Amount": _money_text(xp.get("Amount")),
        "InvoiceID": (xp.get("Invoice") or {}).get("InvoiceID"),
        "Reference": xp.get("Reference") or "",
    }


def import_payment_from_exception(session: Session, exc: ReconException, reason: str) -> None:
    """accept_xero on an overpaying payment: import it as it is (the ledger shows the overpayment)."""
    inv = session.get(Invoice, exc.local_id) if exc.local_id else None
    if inv is None or not exc.xero_id:
        raise ValueError("The invoice behind this payment no longer exists in the ledger.")
    tenant_id = exc.tenant_id or ""
    if links_by_xero_id(session, tenant_id, "payment", [exc.xero_id]):
        return  # already imported
    amount, _, day = (exc.xero_value or "").partition(" on ")
    xp = {"PaymentID": exc.xero_id, "Amount": amount, "Date": day or None, "Status": "AUTHORISED"}
    import_payment(session, tenant_id, inv, xp, reason, None)


# -- the rules ----------------------------------------------------------------------------------


def push_snapshot(data: dict[str, Any]) -> dict[str, Any]:
    """The push phase's snapshot form (all of Xero's scalar fields), kept so its readers
    (e.g. AmountPaid, Status before an update or void) see fresh values after a pull."""
    try:
        from .links import snapshot
    except ImportError:
        return {}
    return snapshot(data)


def _invoice_label(inv: Invoice) -> str:
    return f"Invoice {inv.number}"


def reconcile_payment(ctx: RunContext, xp: dict[str, Any], payment_links: dict[str, Link],
                      invoice_links: dict[str, Link]) -> None:
    """One Xero payment from the pull: import, reverse, raise, skip or ignore."""
    session = ctx.session
    pid = str(xp.get("PaymentID") or "")
    if not pid:
        return
    status = str(xp.get("Status") or "AUTHORISED").upper()
    xinv = xp.get("Invoice") or {}
    inv_type = str(xinv.get("Type") or "ACCREC").upper()
    amount = _dec(xp.get("Amount")) or Decimal("0.00")
    plink = payment_links.get(pid)

    if plink is not None:
        pay = session.get(Payment, plink.local_id)
        snap = dict(plink.xero_snapshot or {})
        plink.xero_updated_utc = parse_moment(xp.get("UpdatedDateUTC")) or plink.xero_updated_utc
        if status != "DELETED" or pay is None:
            return  # ours (pushed) or already pulled: nothing new
        if snap.get("Status") == "DELETED" or pay.reversed_at is not None:
            return  # deletion already handled
        snap["Status"] = "DELETED"
        plink.xero_snapshot = snap
        inv = session.get(Invoice, pay.invoice_id)
        label = f"Payment {format(pay.amount, 'f')} on {inv.number if inv else '?'}"
        if pay.source == "xero":
            item = ctx.start_item("payment", pay.id, "reverse", label, xero_id=pid)
            reverse_payment(session, ctx.tenant_id, pay, "Payment deleted in Xero", ctx.run.id)
            ctx.count("payments_pulled")
            ctx.finish_item(item, "succeeded", "Deleted in Xero: reversed in the ledger.")
        else:
            _conflict_item(
                ctx,
                Conflict(
                    kind="payment_deleted",
                    entity="payment",
                    local_id=pay.id,
                    xero_id=pid,
                    label=label,
                    field="status",
                    ledger_value=f"{format(pay.amount, 'f')} on {pay.date.isoformat()}",
                    xero_value="DELETED",
                    detail="This payment was recorded in the ledger and sent by the app; someone "
                    "deleted it in Xero. The ledger still shows it as received.",
                ),
                action="pull",
            )
        return

    if status == "DELETED" or inv_type != "ACCREC":
        return  # never imported (or a bill payment): nothing to undo, nothing of ours
    inv_id = str(xinv.get("InvoiceID") or "")
    ilink = invoice_links.get(inv_id)
    number = xinv.get("InvoiceNumber") or inv_id
    if ilink is None:
        _skip_unlinked_payment(ctx, pid, number, amount)
        return
    inv = session.get(Invoice, ilink.local_id)
    if inv is None:
        return
    if _is_own_reference(xp) or _pending_own_payment(ctx, inv, amount):
        return  # our own push whose outcome is not settled yet: the push phase settles it
    label = f"Payment {format(amount, 'f')} on {inv.number}"
    outstanding = inv.amount_due
    if inv.status == "void" or amount > outstanding:
        day = parse_day(xp.get("Date"))
        why = (
            "the ledger invoice is void"
            if inv.status == "void"
            else f"only {format(outstanding, 'f')} is outstanding in the ledger"
        )
        _conflict_item(
            ctx,
            Conflict(
                kind="payment_overpays",
                entity="invoice",
                local_id=inv.id,
                xero_id=pid,
                label=label,
                field="payment",
                ledger_value=format(outstanding, "f"),
                xero_value=f"{format(amount, 'f')} on {day.isoformat() if day else ''}",
                detail=f"A payment of {format(amount, 'f')} was recorded in Xero, but {why}. "
                "It was not imported.",
            ),
            action="pull",
        )
        return
    item = ctx.start_item("payment", None, "pull", label, xero_id=pid)
    pay = import_payment(session, ctx.tenant_id, inv, xp, "Payment recorded in Xero", ctx.run.id)
    item.local_id = pay.id
    ctx.count("payments_pulled")
    ctx.finish_item(item, "succeeded", f"Recorded in Xero; imported to invoice {inv.number}.")


def _is_own_reference(xp: dict[str, Any]) -> bool:
    """The push phase tags every payment it sends with its natural key in Reference."""
    try:
        from .payloads import PAYMENT_REF_PREFIX
    except ImportError:
        return False
    return str(xp.get("Reference") or "").startswith(PAYMENT_REF_PREFIX)


def _pending_own_payment(ctx: RunContext, inv: Invoice, amount: Decimal) -> bool:
    """A ledger payment on this invoice, same amount, whose push outcome is still unknown."""
    rows = ctx.session.execute(
        select(Link.state, Link.xero_id)
        .join(Payment, Payment.id == Link.local_id)
        .where(
            Link.tenant_id == ctx.tenant_id,
            Link.entity == "payment",
            Payment.invoice_id == inv.id,
            Payment.amount == amount,
            Payment.source == "ledger",
        )
    ).all()
    return any(state == "sending" for state, _xero_id in rows)


def _skip_unlinked_payment(ctx: RunContext, pid: str, number: str, amount: Decimal) -> None:
    """Logged once per Xero payment, not on every overlapping pull."""
    seen = ctx.session.scalar(
        select(SyncItem.id)
        .where(
            SyncItem.entity == "payment",
            SyncItem.local_id.is_(None),
            SyncItem.xero_id == pid,
            SyncItem.outcome == "skipped",
        )
        .limit(1)
    )
    if seen is not None:
        return
    item = ctx.start_item("payment", None, "pull", f"Payment {format(amount, 'f')} on {number}", xero_id=pid)
    ctx.finish_item(
        item,
        "skipped",
        f"Payment on invoice {number}, which this app never sent to Xero: not imported.",
    )


def _conflict_item(ctx: RunContext, conflict: Conflict, action: str) -> bool:
    """Raise the conflict; a newly opened one is also an item needing review in this run."""
    row, new = raise_conflict(ctx, conflict)
    if not new or row is None:
        return False
    item = ctx.start_item(conflict.entity, conflict.local_id, action, conflict.label, xero_id=conflict.xero_id)
    ctx.finish_item(item, "needs_review", f"{row.detail or conflict.kind} (exception #{row.id})")
    return True


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
    new = invoice_snapshot(xi)
    base = ledger_invoice_view(session, ctx.tenant_id, inv, contact_xero_id)
    base.update(invoice_snapshot(link.xero_snapshot or {}))
    label = _invoice_label(inv)
    if ledger_changed is None:
        ledger_unchanged = link.pushed_at is not None and inv.changed_at <= link.pushed_at
    else:
        ledger_unchanged = not ledger_changed
    applied: list[str] = []
    raised: list[str] = []
    reason = "Changed in Xero"

    def conflict(kind: str, field: str, ledger_value: Any, xero_value: Any, detail: str) -> None:
        c = Conflict(kind, "invoice", inv.id, link.xero_id, label, field, ledger_value, xero_value, detail)
        if review_items:
            if _conflict_item(ctx, c, "reconcile"):
                raised.append(field)
        elif raise_conflict(ctx, c)[1]:
            raised.append(field)

    status = new.get("Status")
    old_status = base.get("Status")
    stop = False
    if status == "DELETED" and old_status != "DELETED":
        conflict("invoice_deleted", "status", inv.status, "DELETED",
                 "The invoice was deleted in Xero; the ledger still has it.")
        stop = True
    elif status == "VOIDED" and old_status != "VOIDED":
        if inv.status == "void":
            pass
        elif not invoice_has_payments(session, inv):
            apply_void(session, link, inv, "Voided in Xero", ctx.run.id)
            applied.append("voided")
        else:
            conflict("void_with_payments", "status", inv.status, "VOIDED",
                     f"The invoice was voided in Xero, but the ledger has {format(inv.amount_paid, 'f')} "
                     "paid on it.")
        stop = True

    if not stop:
        for key, attr, kind in (("DueDate", "due_date", "due_date_conflict"),
                                ("Reference", "reference", "reference_conflict")):
            if key not in new or new[key] == base.get(key):
                continue
            ledger_text = inv.due_date.isoformat() if attr == "due_date" else (inv.reference or "")
            if new[key] == ledger_text:
                pass  # both sides already agree
            elif ledger_unchanged:
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
        if total_changed and new["Total"] == _money_text(inv.total):
            total_changed = False
        if total_changed or lines_changed:
            conflict("amounts_changed", "total" if total_changed else "lines", format(inv.total, "f"),
                     new.get("Total") if total_changed else f"lines {new['LinesHash'][:8]}",
                     "Amounts belong to the ledger, but the invoice's "
                     + ("total" if total_changed else "lines") + f" changed in Xero (total {new.get('Total')}).")
        if "CurrencyCode" in new and new["CurrencyCode"] != base.get("CurrencyCode", new["CurrencyCode"]) \
                and new["CurrencyCode"] != inv.currency:
            conflict("currency_changed", "currency", inv.currency, new["CurrencyCode"],
                     "The invoice's currency was changed in Xero.")
        if "ContactID" in new and "ContactID" in base and new["ContactID"] != base["ContactID"]:
            cust_link = _link(session, ctx.tenant_id, "contact", inv.customer_id)
            if cust_link is None or cust_link.xero_id != new["ContactID"]:
                cust = session.get(Customer, inv.customer_id)
                conflict("contact_changed", "contact", cust.name if cust else inv.customer_id,
                         (xi.get("Contact") or {}).get("Name") or new["ContactID"],
                         "The invoice was moved to another contact in Xero.")
    # Xero's values are now "seen": an open exception carries any conflict from here on.
    link.xero_snapshot = {**push_snapshot(xi), **new}
    link.xero_updated_utc = parse_moment(xi.get("UpdatedDateUTC")) or link.xero_updated_utc
    link.last_synced_at = utcnow()
    if applied:
        item = ctx.start_item("invoice", inv.id, "reconcile", label, xero_id=link.xero_id)
        ctx.count("invoices_reconciled")
        ctx.finish_item(item, "succeeded", "Applied from Xero: " + ", ".join(applied) + ".")
    return raised


def reconcile_contact(ctx: RunContext, xc: dict[str, Any], link: Link) -> None:
    """Archived or merged in Xero: never applied, always for a person."""
    session = ctx.session
    cust = session.get(Customer, link.local_id)
    if cust is None:
        return
    new = contact_snapshot(xc)
    old = dict(link.xero_snapshot or {})
    label = f"Customer {cust.name}"
    merged_to = new.get("MergedToContactID")
    if merged_to and merged_to != old.get("MergedToContactID"):
        _conflict_item(
            ctx,
            Conflict("contact_merged", "contact", cust.id, link.xero_id, label, "contact",
                     link.xero_id, merged_to,
                     "This contact was merged into another contact in Xero."),
            "reconcile",
        )
    elif new.get("ContactStatus") == "ARCHIVED" and old.get("ContactStatus") != "ARCHIVED":
        _conflict_item(
            ctx,
            contact_archived_conflict(cust.id, link.xero_id, label,
                                      "This contact was archived in Xero; new invoices cannot use it."),
            "reconcile",
        )
    link.xero_snapshot = {**old, **push_snapshot(xc), **new}
    link.xero_updated_utc = parse_moment(xc.get("UpdatedDateUTC")) or link.xero_updated_utc
    link.last_synced_at = utcnow()


__all__ = [
    "apply_void", "as_text", "contact_snapshot", "import_payment",
    "invoice_snapshot", "lines_hash", "reconcile_contact", "reconcile_invoice", "reconcile_payment",
    "refresh_pushed_hash", "reverse_payment",
]


# Open exceptions that hold back a ledger edit of the invoice until a person decides: sending
# it would overwrite the very Xero value the exception keeps for them.
HOLDING_KINDS = ("due_date_conflict", "reference_conflict", "amounts_changed", "currency_changed",
                 "contact_changed", "invoice_deleted", "void_with_payments")


def held_invoices(session: Session, tenant_id: str, invoice_ids: list[int]) -> set[int]:
    """Which of these ledger invoices have an open exception that holds back their edits."""
    out: set[int] = set()
    for start in range(0, len(invoice_ids), 500):
        chunk = invoice_ids[start:start + 500]
        out.update(i for i in session.scalars(
            select(ReconException.local_id).where(
                ReconException.tenant_id == tenant_id,
                ReconException.status == "open",
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
    new = invoice_snapshot(xero_invoice)
    names = {"Status": "status", "DueDate": "due_date", "Reference": "reference", "Total": "total",
             "LinesHash": "lines", "CurrencyCode": "currency", "ContactID": "contact"}
    return [name for key, name in names.items() if key in old and key in new and old[key] != new[key]]
