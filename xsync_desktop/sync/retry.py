"""Retry and skip of failed items.

A retry is a small run of its own (trigger "retry") restricted to the retried
records plus what they depend on (an invoice needs its customer's contact; a
payment its invoice). It re-plans from the ledger and the current mappings, so a
failure fixed by a mapping change succeeds on retry. Each new item points at the
one it retries (retry_of_id) and the original is marked superseded.

Skipping marks this version of the record as not to be sent (Link state
"skipped" with the skipped content hash); if the ledger record changes later it
is planned again.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..store.models import CreditAllocation, CreditNote, Customer, Invoice, Payment, SyncItem
from ..store.settings import get_setting
from ..store.states import ItemOutcome, LinkState
from .documents import CREDIT_NOTE, INVOICE, content_of
from .hashing import canonical_hash
from .links import LinkBook
from .payloads import contact_element, payment_content


def records_for_items(
    session: Session, items: list[SyncItem]
) -> tuple[set[tuple[str, int]], dict[tuple[str, int], int]]:
    """(records the retry run may touch, {record: original item id})."""
    only: set[tuple[str, int]] = set()
    retry_of: dict[tuple[str, int], int] = {}
    for item in items:
        if item.local_id is None:
            continue
        key = (item.entity, item.local_id)
        retry_of[key] = item.id
        only |= _with_dependencies(session, item.entity, item.local_id)
    return only, retry_of


def _with_dependencies(session: Session, entity: str, local_id: int) -> set[tuple[str, int]]:
    out = {(entity, local_id)}
    if entity == "invoice" and (inv := session.get(Invoice, local_id)) is not None:
        out.add(("contact", inv.customer_id))
    elif entity == "credit_note" and (cn := session.get(CreditNote, local_id)) is not None:
        out.add(("contact", cn.customer_id))
    elif entity == "payment" and (p := session.get(Payment, local_id)) is not None:
        out |= _with_dependencies(session, "invoice", p.invoice_id)
    elif entity == "allocation" and (a := session.get(CreditAllocation, local_id)) is not None:
        out |= _with_dependencies(session, "invoice", a.invoice_id)
        out |= _with_dependencies(session, "credit_note", a.credit_note_id)
    return out


def current_hash(session: Session, entity: str, local_id: int) -> str | None:
    """The content hash the planner compares, for the record's current ledger state."""
    lat = get_setting(session, "line_amount_types") or "Exclusive"
    if entity == "contact" and (c := session.get(Customer, local_id)) is not None:
        return contact_element(c).content_hash
    if entity == "invoice" and (inv := session.get(Invoice, local_id)) is not None:
        return content_of(INVOICE, inv, lat)
    if entity == "credit_note" and (cn := session.get(CreditNote, local_id)) is not None:
        return content_of(CREDIT_NOTE, cn, lat)
    if entity == "payment" and (p := session.get(Payment, local_id)) is not None:
        return canonical_hash(payment_content(p))
    if entity == "allocation" and (a := session.get(CreditAllocation, local_id)) is not None:
        return canonical_hash({"credit_note": a.credit_note_id, "invoice": a.invoice_id,
                               "date": a.date, "amount": a.amount})
    return None


def skip_item(session: Session, tenant_id: str, item_id: int, reason: str) -> None:
    item = session.get(SyncItem, item_id)
    if item is None:
        raise ValueError(f"no sync item {item_id}")
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("a reason is required to skip an item")
    item.outcome = ItemOutcome.SKIPPED
    item.skip_reason = reason
    item.message = f"{item.message or ''} Skipped by a person: {reason}".strip()
    if item.local_id is None:
        return
    h = current_hash(session, item.entity, item.local_id)
    links = LinkBook(session, tenant_id)
    lk = links.ensure(item.entity, item.local_id)
    if lk.state != LinkState.SENDING:  # an unsettled send must be settled, never forgotten
        lk.state = LinkState.SKIPPED
        lk.pending_hash = h
