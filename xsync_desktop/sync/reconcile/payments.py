"""Reconcile rules for a payment seen in Xero by the pull.

A Xero payment on a linked invoice is imported (or raised when it overpays or the invoice is
void); a deleted payment is reversed (Xero's own) or raised (the ledger's); the app's own
pushes are recognised by their reference and left to the push phase to settle.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from ...store.models import Invoice, Link, Payment, SyncItem
from ...store.states import ExceptionKind, ItemOutcome
from ..exceptions import Conflict, conflict_item
from ..payloads import PAYMENT_REF_PREFIX
from .snapshots import parse_day, parse_moment, to_decimal
from .write_backs import import_payment, reverse_payment

if TYPE_CHECKING:
    from ..context import RunContext

def reconcile_payment(ctx: RunContext, xp: dict[str, Any], payment_links: dict[str, Link],
                      invoice_links: dict[str, Link], unsettled: set[str] | None = None,
                      parked: list[str] | None = None) -> None:
    """One Xero payment from the pull: import, reverse, raise, skip, park or ignore.

    ``unsettled``: Xero ids of invoices whose last send is not settled; a payment on one is
    *parked* (its id appended to ``parked``): the pull keeps its bookmark before it, and the run
    after the invoice settles imports it. Skipping it would lose it for good.
    """
    session = ctx.session
    pid = str(xp.get("PaymentID") or "")
    if not pid:
        return
    status = str(xp.get("Status") or "AUTHORISED").upper()
    xinv = xp.get("Invoice") or {}
    inv_type = str(xinv.get("Type") or "ACCREC").upper()
    amount = to_decimal(xp.get("Amount"))
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
            ctx.finish_item(item, ItemOutcome.SUCCEEDED, "Deleted in Xero: reversed in the ledger.")
        else:
            conflict_item(
                ctx,
                Conflict(
                    kind=ExceptionKind.PAYMENT_DELETED,
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
        if unsettled is not None and inv_id in unsettled:
            if parked is not None:
                parked.append(pid)
            return
        _skip_unlinked_payment(ctx, pid, number, _amount_text(xp, amount))
        return
    inv = session.get(Invoice, ilink.local_id)
    if inv is None or _is_own_reference(xp):
        return  # our own push: the push phase settles it
    day = _readable_day(xp.get("Date"))
    if amount is None or day is None:
        _unreadable_payment(ctx, inv, pid, xp, "Amount" if amount is None else "Date")
        return
    # Our own pushes are told apart by their Reference only (checked above), never by amount: a
    # bookkeeper's payment of the same amount as an unsettled ledger payment is theirs.
    label = f"Payment {format(amount, 'f')} on {inv.number}"
    outstanding = inv.amount_due
    if inv.status == "void" or amount > outstanding:
        why = (
            "the ledger invoice is void"
            if inv.status == "void"
            else f"only {format(outstanding, 'f')} is outstanding in the ledger"
        )
        conflict_item(
            ctx,
            Conflict(
                kind=ExceptionKind.PAYMENT_OVERPAYS,
                entity="invoice",
                local_id=inv.id,
                xero_id=pid,
                label=label,
                field="payment",
                ledger_value=format(outstanding, "f"),
                xero_value=f"{format(amount, 'f')} on {day.isoformat()}",
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
    ctx.finish_item(item, ItemOutcome.SUCCEEDED, f"Recorded in Xero; imported to invoice {inv.number}.")


def _readable_day(value: Any) -> date | None:
    """The payment's date, or None when Xero sent none or one that cannot be read."""
    try:
        return parse_day(value)
    except ValueError:
        return None


def _amount_text(xp: dict[str, Any], amount: Decimal | None) -> str:
    return format(amount, "f") if amount is not None else repr(xp.get("Amount"))


def _unreadable_payment(ctx: RunContext, inv: Invoice, pid: str, xp: dict[str, Any], field: str) -> None:
    """A payment whose amount or date cannot be read is a decision for a person, never a zero or today."""
    raw = xp.get(field)
    conflict_item(
        ctx,
        Conflict(
            kind=ExceptionKind.UNREADABLE_XERO_VALUE,
            entity="invoice",
            local_id=inv.id,
            xero_id=pid,
            label=f"Payment {_amount_text(xp, to_decimal(xp.get('Amount')))} on {inv.number}",
            field=f"payment.{field.lower()}",
            ledger_value=None,
            xero_value="(missing)" if raw is None or raw == "" else str(raw),
            detail=f"Xero sent a payment on {inv.number} whose {field.lower()} cannot be read "
            f"({raw!r}). It was not imported. Check the payment in Xero; once it is corrected there, "
            "the next sync imports it.",
        ),
        action="pull",
    )


def _is_own_reference(xp: dict[str, Any]) -> bool:
    """The push phase tags every payment it sends with its natural key in Reference."""
    return str(xp.get("Reference") or "").startswith(PAYMENT_REF_PREFIX)


def _skip_unlinked_payment(ctx: RunContext, pid: str, number: str, amount: str) -> None:
    """Logged once per Xero payment, not on every overlapping pull."""
    seen = ctx.session.scalar(
        select(SyncItem.id)
        .where(
            SyncItem.entity == "payment",
            SyncItem.local_id.is_(None),
            SyncItem.xero_id == pid,
            SyncItem.outcome == ItemOutcome.SKIPPED,
        )
        .limit(1)
    )
    if seen is not None:
        return
    item = ctx.start_item("payment", None, "pull", f"Payment {amount} on {number}", xero_id=pid)
    ctx.finish_item(
        item,
        ItemOutcome.SKIPPED,
        f"Payment on invoice {number}, which this app never sent to Xero: not imported.",
    )
