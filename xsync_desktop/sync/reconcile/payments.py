"""Reconcile rules for a payment seen in Xero by the pull.

A Xero payment on a linked invoice is imported (or raised when it overpays or the invoice is
void); a deleted payment is reversed (Xero's own) or raised (the ledger's); the app's own
pushes are recognised by their reference and left to the push phase to settle.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from ...store.models import Invoice, Link, Payment, SyncItem
from ..exceptions import Conflict, conflict_item
from ..payloads import PAYMENT_REF_PREFIX
from .snapshots import parse_day, parse_moment, to_decimal
from .write_backs import import_payment, reverse_payment

if TYPE_CHECKING:
    from ..context import RunContext

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
    amount = to_decimal(xp.get("Amount")) or Decimal("0.00")
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
            conflict_item(
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
        conflict_item(
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
