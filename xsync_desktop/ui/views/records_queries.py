"""What the records view shows: ledger records with their sync status, and the change log.

Plain SQLAlchemy, no Qt: the view runs these in the background runner with a session of
its own, so a ledger of tens of thousands of invoices never freezes the window.

A record's status, most urgent first:
- "exception": an open reconciliation exception names it;
- "failed": the latest sync item for it failed (and no later retry or skip dealt with it);
- "linked": it has a Xero id and the ledger has not changed since the last push;
- "not_needed": an invoice or credit note the sync will never send (void and never sent, or
  dated before the sync start date): the checklist's rule (sync/not_sent.py), so Records and
  the checklist agree;
- "pending": everything else (never sent, being sent, or changed since).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...store.models import (
    ChangeLog,
    CreditNote,
    Customer,
    Invoice,
    Link,
    Payment,
    ReconException,
    SyncItem,
)
from ...store.settings import get_date_setting
from ...store.states import ExceptionStatus, ItemOutcome, LinkState
from ...sync.exceptions import kind_title
from ...sync.not_sent import not_needed_in_xero

# The records view's tabs: (view kind, Link/SyncItem entity name, title).
RECORD_KINDS: tuple[tuple[str, str, str], ...] = (
    ("customer", "contact", "Customers"),
    ("invoice", "invoice", "Invoices"),
    ("payment", "payment", "Payments"),
    ("credit_note", "credit_note", "Credit notes"),
)
ENTITY_OF = {kind: entity for kind, entity, _ in RECORD_KINDS}


class RecordStatus(StrEnum):
    """A record's sync status as the records view shows it (derived, never stored), most urgent first."""

    EXCEPTION = "exception"
    FAILED = "failed"
    NOT_NEEDED = "not_needed"
    LINKED = "linked"
    PENDING = "pending"


#: the status filter's order
STATUSES = (RecordStatus.LINKED, RecordStatus.PENDING, RecordStatus.NOT_NEEDED, RecordStatus.FAILED,
            RecordStatus.EXCEPTION)


@dataclass(frozen=True)
class RecordRow:
    kind: str  # customer, invoice, payment, credit_note
    entity: str  # the sync-state name: contact, invoice, payment, credit_note
    local_id: int
    label: str  # customer number / invoice number / payment reference
    party: str  # the customer's name
    day: date | None
    amount: Decimal | None
    ledger_status: str  # the ledger's own status (authorised, void, reversed...)
    status: RecordStatus
    status_detail: str  # why: the failure message or the exception's label
    last_sync: datetime | None
    xero_id: str | None


@dataclass(frozen=True)
class ChangeRow:
    at: datetime
    entity: str
    local_id: int
    record: str
    field: str
    old_value: str | None
    new_value: str | None
    reason: str
    run_id: int | None


def _links(session: Session, tenant_id: str | None, entity: str) -> dict[int, Link]:
    q = select(Link).where(Link.entity == entity)
    if tenant_id:
        q = q.where(Link.tenant_id == tenant_id)
    return {link.local_id: link for link in session.scalars(q)}


def _open_exceptions(session: Session, entity: str) -> dict[int, str]:
    q = select(ReconException.local_id, ReconException.label, ReconException.kind).where(
        ReconException.entity == entity, ReconException.status == ExceptionStatus.OPEN, ReconException.local_id.is_not(None)
    )
    return {local_id: f"{kind_title(kind)}: {label}" for local_id, label, kind in session.execute(q)}


def _failed(session: Session, entity: str) -> dict[int, str]:
    """Records whose latest item failed and was not superseded by a retry or a skip."""
    latest = (
        select(func.max(SyncItem.id).label("id"))
        .where(SyncItem.entity == entity, SyncItem.local_id.is_not(None))
        .group_by(SyncItem.local_id)
        .subquery()
    )
    q = select(SyncItem.local_id, SyncItem.message).join(latest, SyncItem.id == latest.c.id).where(
        SyncItem.outcome == ItemOutcome.FAILED, SyncItem.superseded_by_id.is_(None)
    )
    return {local_id: message or "failed" for local_id, message in session.execute(q)}


def _status(
    local_id: int, changed_at: datetime | None, links: dict[int, Link], exc: dict[int, str], failed: dict[int, str],
    not_needed: str | None = None,
) -> tuple[RecordStatus, str, datetime | None, str | None]:
    link = links.get(local_id)
    last_sync = link.last_synced_at if link else None
    xero_id = link.xero_id if link else None
    if local_id in exc:
        return RecordStatus.EXCEPTION, exc[local_id], last_sync, xero_id
    if local_id in failed:
        return RecordStatus.FAILED, failed[local_id], last_sync, xero_id
    if not_needed:
        return RecordStatus.NOT_NEEDED, not_needed, last_sync, xero_id
    if link is None or not link.xero_id:
        return RecordStatus.PENDING, "not in Xero yet", last_sync, xero_id
    if link.state != LinkState.LINKED:
        return RecordStatus.PENDING, f"being sent ({link.state})", last_sync, xero_id
    if link.pushed_hash is None:
        return RecordStatus.PENDING, "to be sent again", last_sync, xero_id
    if changed_at is not None and link.pushed_at is not None and changed_at > link.pushed_at:
        return RecordStatus.PENDING, "changed in the ledger since the last push", last_sync, xero_id
    return RecordStatus.LINKED, "", last_sync, xero_id


def load_records(session: Session, tenant_id: str | None, kind: str) -> list[RecordRow]:
    """Every ledger record of one kind with its sync status (one query per source table)."""
    entity = ENTITY_OF[kind]
    links = _links(session, tenant_id, entity)
    exc = _open_exceptions(session, entity)
    failed = _failed(session, entity)
    sync_start = get_date_setting(session, "sync_start_date")
    rows: list[RecordRow] = []

    def add(local_id: int, label: str, party: str, day: date | None, amount: Decimal | None,
            ledger_status: str, changed_at: datetime | None, document: bool = False) -> None:
        link = links.get(local_id)
        why_not = not_needed_in_xero(day, ledger_status, link.xero_id if link else None, sync_start) \
            if document and day is not None else None
        status, detail, last_sync, xero_id = _status(local_id, changed_at, links, exc, failed, why_not)
        rows.append(RecordRow(kind, entity, local_id, label, party, day, amount, ledger_status,
                              status, detail, last_sync, xero_id))

    if kind == "customer":
        for c in session.scalars(select(Customer).order_by(Customer.customer_number)):
            add(c.id, c.customer_number, c.name, None, None, c.email or "", c.changed_at)
    elif kind == "invoice":
        q = select(Invoice, Customer.name).join(Customer, Invoice.customer_id == Customer.id)
        for inv, name in session.execute(q.order_by(Invoice.issue_date.desc(), Invoice.number)):
            add(inv.id, inv.number, name, inv.issue_date, inv.total, inv.status, inv.changed_at, document=True)
    elif kind == "payment":
        q = (
            select(Payment, Invoice.number, Customer.name)
            .join(Invoice, Payment.invoice_id == Invoice.id)
            .join(Customer, Invoice.customer_id == Customer.id)
        )
        for pay, number, name in session.execute(q.order_by(Payment.date.desc(), Payment.id)):
            state = "reversed" if pay.reversed_at else f"{pay.method} ({pay.source})"
            add(pay.id, f"{number} / {pay.reference or pay.external_id}", name, pay.date, pay.amount,
                state, pay.changed_at)
    elif kind == "credit_note":
        q = select(CreditNote, Customer.name).join(Customer, CreditNote.customer_id == Customer.id)
        for cn, name in session.execute(q.order_by(CreditNote.issue_date.desc(), CreditNote.number)):
            add(cn.id, cn.number, name, cn.issue_date, cn.total, cn.status, cn.changed_at, document=True)
    else:
        raise ValueError(f"unknown record kind {kind!r}")
    return rows


def _record_labels(session: Session, pairs: set[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """Human names for (entity, id) pairs in the change log."""
    out: dict[tuple[str, int], str] = {}
    by_entity: dict[str, set[int]] = {}
    for entity, local_id in pairs:
        by_entity.setdefault(entity, set()).add(local_id)
    sources = {
        "invoice": (Invoice, lambda r: f"Invoice {r.number}"),
        "credit_note": (CreditNote, lambda r: f"Credit note {r.number}"),
        "contact": (Customer, lambda r: f"Customer {r.customer_number} {r.name}"),
        "customer": (Customer, lambda r: f"Customer {r.customer_number} {r.name}"),
        "payment": (Payment, lambda r: f"Payment {r.reference or r.external_id}"),
    }
    for entity, ids in by_entity.items():
        src = sources.get(entity)
        if src is None:
            continue
        model, name = src
        for rec in session.scalars(select(model).where(model.id.in_(ids))):
            out[(entity, rec.id)] = name(rec)
    return out


def load_change_log(session: Session, limit: int = 2000) -> list[ChangeRow]:
    """The latest write-backs from Xero to the ledger, newest first."""
    logs = list(session.scalars(select(ChangeLog).order_by(ChangeLog.at.desc(), ChangeLog.id.desc()).limit(limit)))
    labels = _record_labels(session, {(c.entity, c.local_id) for c in logs})
    return [
        ChangeRow(c.at, c.entity, c.local_id, labels.get((c.entity, c.local_id), f"{c.entity} #{c.local_id}"),
                  c.field, c.old_value, c.new_value, c.reason, c.run_id)
        for c in logs
    ]
