"""Reconcile rules for credit applied in Xero: allocations on linked credit notes.

The pull reads credit notes changed in Xero (their Allocations come with them) and compares
each one's live allocations with the ledger's linked ones:

- an allocation the bookkeeper made in Xero on a linked invoice is imported into the ledger
  (external id ``xero:<AllocationID>``), unless it credits more than the ledger has due: then
  an exception, as an overpaying payment is;
- an allocation removed in Xero is removed from the ledger when it came from Xero, and raised
  when the ledger's own (pushed) allocation was removed: amounts are the ledger's;
- while one of the credit note's allocations is still being sent (outcome unknown), the credit
  note is parked: the pull's bookmark stays before it and the next run looks again.

Paid and credited amounts are re-derived from the rows (write_backs.settle_amounts).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...store.models import ChangeLog, CreditAllocation, CreditNote, Invoice, Link, ReconException
from ...store.states import ExceptionKind, ExceptionStatus, ItemOutcome, LinkState
from ...store.types import utcnow
from ..exceptions import Conflict, conflict_item, raise_conflict
from ..hashing import canonical_hash
from ..payloads import allocation_content
from .snapshots import parse_day, to_decimal
from .write_backs import find_link, links_by_xero_id, settle_amounts

if TYPE_CHECKING:
    from ..context import RunContext

XERO_PREFIX = "xero:"


def reconcile_credit_note(ctx: RunContext, xc: dict[str, Any], link: Link, parked: list[str]) -> None:
    """One linked Xero credit note: its allocations against the ledger's."""
    session = ctx.session
    cn = session.get(CreditNote, link.local_id)
    if cn is None:
        return
    ledger = list(session.scalars(select(CreditAllocation).where(CreditAllocation.credit_note_id == cn.id)
                                  .order_by(CreditAllocation.id)))
    alloc_links = {lk.local_id: lk for lk in session.scalars(select(Link).where(
        Link.tenant_id == ctx.tenant_id, Link.entity == "allocation",
        Link.local_id.in_([a.id for a in ledger] or [-1])))}
    if any(lk.state == LinkState.SENDING for lk in alloc_links.values()):
        parked.append(str(link.xero_id))  # our own allocation's outcome is unknown: decide next run
        return
    live = {str(a.get("AllocationID") or "").lower(): a for a in xc.get("Allocations") or []
            if a.get("AllocationID") and not a.get("IsDeleted")}
    known = {(lk.xero_id or "").lower(): local_id for local_id, lk in alloc_links.items() if lk.xero_id}
    # An allocation the ledger deleted whose removal Xero refused (a lock date) keeps its link until
    # it is removed: it is the ledger's own, not credit the bookkeeper applied (allocation_withdrawals.py).
    withdrawing = {(x or "").lower() for x in session.scalars(select(Link.xero_id).where(
        Link.tenant_id == ctx.tenant_id, Link.entity == "allocation",
        Link.xero_id.in_([str(xa["AllocationID"]) for aid, xa in live.items() if aid not in known] or ["-"])))}
    for aid, xa in live.items():
        if aid not in known and aid not in withdrawing:
            _credit_applied_in_xero(ctx, cn, xa)
    by_id = {a.id: a for a in ledger}
    for xid, local_id in known.items():
        if xid not in live and local_id in by_id:
            _allocation_removed_in_xero(ctx, cn, by_id[local_id], alloc_links[local_id])


def _credit_applied_in_xero(ctx: RunContext, cn: CreditNote, xa: dict[str, Any]) -> None:
    session = ctx.session
    aid = str(xa["AllocationID"])
    inv_xero = str((xa.get("Invoice") or {}).get("InvoiceID") or "")
    inv_link = links_by_xero_id(session, ctx.tenant_id, "invoice", [inv_xero]).get(inv_xero)
    amount = to_decimal(xa.get("Amount")) or Decimal("0.00")
    label = f"Credit {cn.number}: {format(amount, 'f')} applied in Xero"
    inv = session.get(Invoice, inv_link.local_id) if inv_link is not None else None
    if inv is None:
        return  # applied to an invoice this app never sent: not the ledger's money
    day = parse_day(xa.get("Date")) or utcnow().date()
    if inv.status == "void" or amount > inv.amount_due:
        conflict_item(ctx, Conflict(
            ExceptionKind.CREDIT_OVERAPPLIED, "invoice", inv.id, aid, f"{label} to {inv.number}", "credit",
            format(inv.amount_due, "f"), f"{format(amount, 'f')} on {day.isoformat()}",
            f"Credit note {cn.number} was applied to invoice {inv.number} in Xero for {format(amount, 'f')}, but "
            f"only {format(inv.amount_due, 'f')} is due in the ledger. It was not imported."), "pull")
        return
    item = ctx.start_item("allocation", None, "pull", f"{label} to {inv.number}", xero_id=aid)
    now = utcnow()
    alloc = CreditAllocation(external_id=f"{XERO_PREFIX}{aid}"[:64], credit_note_id=cn.id, invoice_id=inv.id,
                             date=day, amount=amount, changed_at=now)
    session.add(alloc)
    session.flush()
    session.add(ChangeLog(at=now, entity="allocation", local_id=alloc.id, field="created", old_value=None,
                          new_value=f"{format(amount, 'f')} of {cn.number} to {inv.number}",
                          reason="Credit applied in Xero", run_id=ctx.run.id))
    session.add(Link(tenant_id=ctx.tenant_id, entity="allocation", local_id=alloc.id, xero_id=aid,
                     natural_key=f"{cn.number}>{inv.number}", state=LinkState.LINKED, pushed_at=now,
                     pushed_hash=canonical_hash(allocation_content(alloc)), last_synced_at=now))
    settle_amounts(session, ctx.tenant_id, inv, "Credit applied in Xero", ctx.run.id)
    item.local_id = alloc.id
    ctx.finish_item(item, ItemOutcome.SUCCEEDED, f"Applied in Xero: imported to invoice {inv.number}.")


def _allocation_removed_in_xero(ctx: RunContext, cn: CreditNote, alloc: CreditAllocation, link: Link) -> None:
    session = ctx.session
    inv = session.get(Invoice, alloc.invoice_id)
    number = inv.number if inv is not None else "?"
    label = f"Credit {cn.number}: {format(alloc.amount, 'f')} to {number}"
    if alloc.external_id.startswith(XERO_PREFIX):
        item = ctx.start_item("allocation", alloc.id, "reverse", label, xero_id=link.xero_id)
        session.add(ChangeLog(at=utcnow(), entity="allocation", local_id=alloc.id, field="deleted",
                              old_value=f"{format(alloc.amount, 'f')} to {number}", new_value=None,
                              reason="Credit allocation removed in Xero", run_id=ctx.run.id))
        session.delete(link)
        session.delete(alloc)
        if inv is not None:
            settle_amounts(session, ctx.tenant_id, inv, "Credit allocation removed in Xero", ctx.run.id)
        ctx.finish_item(item, ItemOutcome.SUCCEEDED, "Removed in Xero: removed from the ledger.", xero_id=link.xero_id)
        return
    conflict_item(ctx, Conflict(
        ExceptionKind.ALLOCATION_REMOVED, "allocation", alloc.id, link.xero_id, label, "status",
        f"{format(alloc.amount, 'f')} on {alloc.date.isoformat()}", "REMOVED",
        f"The ledger applies {format(alloc.amount, 'f')} of credit note {cn.number} to invoice {number}, and the app "
        "sent it; someone removed it in Xero. Keep the ledger's to apply it again, or correct the ledger."), "pull")


HELD_KIND = ExceptionKind.CREDIT_NOTE_BOTH_SIDES
BLANK = "blank"  # how a conflict shows an empty Xero value


def credit_note_held(ctx: RunContext, cn: CreditNote, link: Link, xc: dict[str, Any]) -> bool:
    """Before a ledger edit of a credit note is sent: the same both-sides rule invoices get.

    A field Xero changed since the app last saw it (reference, total, contact, a void or delete)
    is raised with both values and the ledger's update is held, not sent over it; it stays held
    while such an exception is open. Xero's values are absorbed into the link's snapshot, so the
    open exception, not the next pull, carries the conflict.
    """
    from ..links import snapshot
    from .snapshots import money_text

    old = dict(link.xero_snapshot or {})
    contact = str((xc.get("Contact") or {}).get("ContactID") or xc.get("ContactID") or "")
    status = str(xc.get("Status") or "").upper()
    now = {"reference": (xc.get("Reference") or ""), "total": money_text(xc.get("Total")), "contact": contact,
           "status": status if status in ("VOIDED", "DELETED") else ""}
    before = {"reference": (old.get("Reference") or ""), "total": money_text(old.get("Total")),
              "contact": str(old.get("ContactID") or ""),
              "status": str(old.get("Status") or "").upper() if str(old.get("Status") or "").upper()
              in ("VOIDED", "DELETED") else ""}
    ledger = {"reference": cn.reference or "", "total": money_text(cn.total), "contact": before["contact"],
              "status": cn.status.upper()}
    label = f"Credit note {cn.number}"
    for field, value in now.items():
        if field not in old and field != "status" and {"reference": "Reference", "total": "Total",
                                                       "contact": "ContactID"}[field] not in old:
            continue  # nothing seen before: nothing to compare with
        if value != before[field] and value != ledger[field]:
            raise_conflict(ctx, Conflict(
                HELD_KIND, "credit_note", cn.id, link.xero_id, label, field, ledger[field], value or BLANK,
                f"The credit note's {field} was changed in Xero ({value or 'blank'}) while the ledger changed the "
                "credit note too; the ledger's change was not sent. Keep the ledger's to send it, or change the "
                "ledger to match Xero."))
    link.xero_snapshot = {**old, **snapshot(xc)}
    held = ctx.session.scalar(select(ReconException.id).where(
        ReconException.tenant_id == ctx.tenant_id, ReconException.entity == "credit_note",
        ReconException.local_id == cn.id, ReconException.kind == HELD_KIND,
        ReconException.status == ExceptionStatus.OPEN).limit(1))
    return held is not None


def dismissed_credit_note_overrides(session: Session, tenant_id: str, cn: CreditNote) -> tuple[dict[str, str], bool]:
    """For a credit note about to be updated: what a dismissed both-sides conflict leaves alone.

    The invoices' rule (reconcile/invoices.py, dismissed_overrides): dismiss means "leave both as
    they are". While the ledger still holds the value it had when the person dismissed, a
    dismissed reference is sent with Xero's value (so another edit still goes out, without that
    field), and a dismissed total, contact or status holds the whole update (it cannot be left
    field by field). A new ledger value is a new decision and goes out as usual.
    """
    from .snapshots import money_text

    overrides: dict[str, str] = {}
    held = False
    ledger_now = {"reference": cn.reference or "", "total": money_text(cn.total), "status": cn.status.upper()}
    rows = session.scalars(select(ReconException).where(
        ReconException.tenant_id == tenant_id, ReconException.entity == "credit_note",
        ReconException.local_id == cn.id, ReconException.kind == HELD_KIND,
        ReconException.status == ExceptionStatus.DISMISSED).order_by(ReconException.id))
    for exc in rows:
        field = exc.field or ""
        if field == "contact":
            held = True
        elif field in ledger_now and ledger_now[field] == (exc.ledger_value or ""):
            if field == "reference":
                overrides[field] = "" if exc.xero_value == BLANK else (exc.xero_value or "")
            else:
                held = True
    return overrides, held


__all__ = ["dismissed_credit_note_overrides", "find_link", "reconcile_credit_note"]
