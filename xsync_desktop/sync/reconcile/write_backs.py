"""The ledger writes that reconcile rules and exception decisions make.

Write-backs never bump ``changed_at`` and never move ``Link.pushed_at`` (see changelog.py);
``refresh_pushed_hash`` re-stamps the push hash when the ledger was in step with Xero.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ...ledger.apply import derived_amounts, lock_invoice_amounts
from ...store.models import ChangeLog, Invoice, Link, Payment, ReconException
from ...store.settings import get_setting
from ...store.states import LinkState
from ...store.types import utcnow
from .. import payloads
from ..changelog import fit_column, write_back
from ..hashing import canonical_hash
from .snapshots import parse_day, parse_moment, payment_snapshot, to_decimal


def find_link(session: Session, tenant_id: str, entity: str, local_id: int) -> Link | None:
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

    No hash (another entity) just means "the push phase decides".
    """
    if link.entity == "invoice":
        lat = get_setting(session, "line_amount_types") or "Exclusive"
        return canonical_hash(payloads.invoice_content(record, lat))
    if link.entity == "payment":
        return canonical_hash(payloads.payment_content(record))
    if link.entity == "contact":
        return canonical_hash(payloads.contact_content(record))
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
        settle_amounts(session, tenant_id, inv, reason, run_id)
    return True


def settle_amounts(session: Session, tenant_id: str, inv: Invoice, reason: str, run_id: int | None) -> None:
    """Set the invoice's paid and credited amounts from its payments and allocations as they are
    in the database now, never from this session's copy: a run holds its copy for a while, and
    an import or a GUI decision may have added a payment since (the lost update of issue 13).

    The invoice's row is locked first (ledger/apply.py), so a concurrent writer waits and then
    sums with this payment in; the change is logged like any write-back.
    """
    session.flush()  # this session's own new or reversed payment counts
    stored = lock_invoice_amounts(session, [inv.id]).get(inv.id)
    if stored is not None:
        # What the database holds, not this session's possibly stale copy (no change is logged).
        set_committed_value(inv, "amount_paid", stored[0])
        set_committed_value(inv, "amount_credited", stored[1])
    paid, credited = derived_amounts(session, [inv.id])[inv.id]
    link = find_link(session, tenant_id, "invoice", inv.id)
    with refresh_pushed_hash(session, link, inv):
        write_back(session, inv, "invoice", "amount_paid", paid, reason, run_id)
        write_back(session, inv, "invoice", "amount_credited", credited, reason, run_id)


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
    amount = to_decimal(xp.get("Amount"))
    pay_date = parse_day(xp.get("Date"))
    if amount is None or pay_date is None:  # reconcile raises these as exceptions before getting here
        raise ValueError(f"Xero payment {pid} has an unreadable amount or date "
                         f"({xp.get('Amount')!r}, {xp.get('Date')!r}); it was not imported")
    now = utcnow()
    reference, cut = fit_column(Payment, "reference", xp.get("Reference") or None)
    reason += cut
    pay = Payment(
        external_id=f"xero:{pid}",
        invoice_id=inv.id,
        date=pay_date,
        amount=amount,
        method="xero",
        reference=reference,
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
    settle_amounts(session, tenant_id, inv, reason, run_id)
    session.add(
        Link(
            tenant_id=tenant_id,
            entity="payment",
            local_id=pay.id,
            xero_id=pid,
            natural_key=f"xero:{pid}",
            state=LinkState.LINKED,
            # The payment came from Xero: "pushed" as of its creation, so nothing
            # treats it as a ledger change to send.
            pushed_at=now,
            xero_updated_utc=parse_moment(xp.get("UpdatedDateUTC")),
            xero_snapshot=payment_snapshot(xp),
            last_synced_at=now,
        )
    )
    return pay


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
