"""Read-only queries the views need, shaped as plain dataclasses (no ORM objects leak to Qt).

Paged lists take ``offset``/``limit`` and have a matching ``count_*``; run items also
take ``after_id`` (keyset paging) because a run can have a million items and OFFSET
deep into them still walks the skipped rows. Every query here is covered by an index:
sync_item(run_id, outcome) (+ rowid) for run items, sync_item(entity, local_id) for a
record's history, recon_exception(status), change_log(entity, local_id).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from .models import (
    ChangeLog,
    CreditNote,
    Customer,
    Invoice,
    Link,
    Payment,
    ReconException,
    SyncItem,
    SyncRun,
)

MAX_PAGE = 1000


def _limit(limit: int) -> int:
    return max(1, min(int(limit), MAX_PAGE))


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# -- runs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunSummary:
    run_id: int
    trigger: str
    outcome: str
    started_at: datetime
    finished_at: datetime | None
    resume_at: datetime | None
    message: str | None
    contacts_synced: int
    invoices_pushed: int
    credit_notes_pushed: int
    payments_pushed: int
    payments_pulled: int
    invoices_reconciled: int
    failed: int
    retried: int
    skipped: int
    needs_review: int
    synced: int
    open_exceptions: int


def _summary(session: Session, run: SyncRun) -> RunSummary:
    return RunSummary(
        run_id=run.id,
        trigger=run.trigger,
        outcome=run.outcome,
        started_at=run.started_at,
        finished_at=run.finished_at,
        resume_at=run.resume_at,
        message=run.message,
        contacts_synced=run.contacts_synced or 0,
        invoices_pushed=run.invoices_pushed or 0,
        credit_notes_pushed=run.credit_notes_pushed or 0,
        payments_pushed=run.payments_pushed or 0,
        payments_pulled=run.payments_pulled or 0,
        invoices_reconciled=run.invoices_reconciled or 0,
        failed=run.failed or 0,
        retried=run.retried or 0,
        skipped=run.skipped or 0,
        needs_review=run.needs_review or 0,
        synced=run.synced,
        open_exceptions=count_exceptions(session, status="open"),
    )


def last_run_summary(session: Session, *, finished_only: bool = False) -> RunSummary | None:
    """The dashboard's "last sync": the newest run (or the newest finished one)."""
    query = select(SyncRun)
    if finished_only:
        query = query.where(SyncRun.finished_at.is_not(None))
    run = session.scalars(query.order_by(SyncRun.started_at.desc(), SyncRun.id.desc()).limit(1)).first()
    return None if run is None else _summary(session, run)


@dataclass(frozen=True)
class RunRow:
    run_id: int
    trigger: str
    outcome: str
    started_at: datetime
    finished_at: datetime | None
    synced: int
    failed: int
    skipped: int
    needs_review: int
    message: str | None


def recent_runs(session: Session, limit: int = 50, offset: int = 0) -> list[RunRow]:
    runs = session.scalars(
        select(SyncRun).order_by(SyncRun.started_at.desc(), SyncRun.id.desc()).offset(offset).limit(_limit(limit))
    )
    return [
        RunRow(r.id, r.trigger, r.outcome, r.started_at, r.finished_at, r.synced, r.failed or 0,
               r.skipped or 0, r.needs_review or 0, r.message)
        for r in runs
    ]


def count_runs(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(SyncRun)) or 0


# -- run items ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemRow:
    item_id: int
    run_id: int
    entity: str
    local_id: int | None
    xero_id: str | None
    label: str
    action: str
    outcome: str
    message: str | None
    xero_messages: list[str] | None
    started_at: datetime
    finished_at: datetime | None
    retry_of_id: int | None
    superseded_by_id: int | None


def _items_filter(
    query: Select[Any],
    run_id: int,
    outcome: str | list[str] | None,
    entity: str | None,
    text: str | None,
) -> Select[Any]:
    query = query.where(SyncItem.run_id == run_id)
    if outcome:
        outcomes = [outcome] if isinstance(outcome, str) else list(outcome)
        query = query.where(SyncItem.outcome.in_(outcomes))
    if entity:
        query = query.where(SyncItem.entity == entity)
    if text and text.strip():
        pattern = _like(text.strip())
        query = query.where(
            or_(SyncItem.label.ilike(pattern, escape="\\"), SyncItem.message.ilike(pattern, escape="\\"))
        )
    return query


def run_items_page(
    session: Session,
    run_id: int,
    offset: int = 0,
    limit: int = 100,
    outcome: str | list[str] | None = None,
    entity: str | None = None,
    text: str | None = None,
    *,
    after_id: int | None = None,
) -> list[ItemRow]:
    """Items of a run in the order they happened. Pass ``after_id`` (the last row's item_id)
    for the next page instead of a growing offset: it stays fast at any depth."""
    query = _items_filter(select(SyncItem), run_id, outcome, entity, text)
    if after_id is not None:
        query = query.where(SyncItem.id > after_id)
    else:
        query = query.offset(max(0, offset))
    rows = session.scalars(query.order_by(SyncItem.id).limit(_limit(limit)))
    return [
        ItemRow(i.id, i.run_id, i.entity, i.local_id, i.xero_id, i.label, i.action, i.outcome, i.message,
                i.xero_messages, i.started_at, i.finished_at, i.retry_of_id, i.superseded_by_id)
        for i in rows
    ]


def count_run_items(
    session: Session,
    run_id: int,
    outcome: str | list[str] | None = None,
    entity: str | None = None,
    text: str | None = None,
) -> int:
    query = _items_filter(select(func.count(SyncItem.id)), run_id, outcome, entity, text)
    return session.scalar(query) or 0


def run_item_counts(session: Session, run_id: int) -> dict[str, int]:
    """Items per outcome for one run (index-only on sync_item(run_id, outcome))."""
    rows = session.execute(
        select(SyncItem.outcome, func.count()).where(SyncItem.run_id == run_id).group_by(SyncItem.outcome)
    ).all()
    return {outcome: n for outcome, n in rows}


# -- exceptions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExceptionRow:
    exception_id: int
    kind: str
    entity: str
    local_id: int | None
    xero_id: str | None
    label: str
    field: str | None
    ledger_value: str | None
    xero_value: str | None
    detail: str | None
    status: str
    first_seen: datetime
    last_seen: datetime
    resolution: str | None
    resolution_note: str | None
    resolved_by: str | None
    resolved_at: datetime | None


def _exc_filter(query: Select[Any], status: str | None, kind: str | None, text: str | None) -> Select[Any]:
    if status:
        query = query.where(ReconException.status == status)
    if kind:
        query = query.where(ReconException.kind == kind)
    if text and text.strip():
        pattern = _like(text.strip())
        query = query.where(
            or_(ReconException.label.ilike(pattern, escape="\\"), ReconException.detail.ilike(pattern, escape="\\"))
        )
    return query


def exceptions_page(
    session: Session,
    offset: int = 0,
    limit: int = 100,
    status: str | None = None,
    kind: str | None = None,
    text: str | None = None,
) -> list[ExceptionRow]:
    """Open exceptions first (newest sighting first), then closed ones (newest decision first)."""
    open_first = case((ReconException.status == "open", 0), else_=1)
    query = _exc_filter(select(ReconException), status, kind, text).order_by(
        open_first, ReconException.last_seen.desc(), ReconException.id.desc()
    )
    rows = session.scalars(query.offset(max(0, offset)).limit(_limit(limit)))
    return [
        ExceptionRow(e.id, e.kind, e.entity, e.local_id, e.xero_id, e.label, e.field, e.ledger_value,
                     e.xero_value, e.detail, e.status, e.first_seen, e.last_seen, e.resolution,
                     e.resolution_note, e.resolved_by, e.resolved_at)
        for e in rows
    ]


# Older name kept for callers following the contract's wording.
exceptions_list = exceptions_page


def count_exceptions(
    session: Session, status: str | None = None, kind: str | None = None, text: str | None = None
) -> int:
    return session.scalar(_exc_filter(select(func.count(ReconException.id)), status, kind, text)) or 0


def exception_kinds(session: Session) -> list[str]:
    return list(session.scalars(select(ReconException.kind).distinct().order_by(ReconException.kind)))


# -- records with their sync status ------------------------------------------------------------

RECORD_KINDS = ("customers", "invoices", "payments", "credit_notes")
SYNC_STATUSES = ("linked", "pending", "failed", "exception")


@dataclass(frozen=True)
class RecordRow:
    entity: str  # link/item entity: contact, invoice, payment, credit_note
    local_id: int
    label: str  # number or name
    detail: str  # customer name, invoice number...
    day: date | None
    amount: Decimal | None
    ledger_status: str
    sync_status: str  # linked, pending, failed, exception
    xero_id: str | None


def _record_source(kind: str) -> tuple[str, Any, list[Any], Any, Any]:
    """(entity, model, columns, text columns, order) for one record kind."""
    if kind == "customers":
        return ("contact", Customer,
                [Customer.id, Customer.name, Customer.customer_number, literal(None), literal(None),
                 literal(""), Customer.changed_at],
                [Customer.name, Customer.customer_number, Customer.email], Customer.name)
    if kind == "invoices":
        return ("invoice", Invoice,
                [Invoice.id, Invoice.number, Customer.name, Invoice.issue_date, Invoice.total, Invoice.status,
                 Invoice.changed_at],
                [Invoice.number, Customer.name, Invoice.reference], Invoice.issue_date.desc())
    if kind == "payments":
        return ("payment", Payment,
                [Payment.id, Invoice.number, Payment.method, Payment.date, Payment.amount,
                 case((Payment.reversed_at.is_not(None), "reversed"), else_=Payment.source),
                 Payment.changed_at],
                [Invoice.number, Payment.reference, Payment.method], Payment.date.desc())
    if kind == "credit_notes":
        return ("credit_note", CreditNote,
                [CreditNote.id, CreditNote.number, Customer.name, CreditNote.issue_date, CreditNote.total,
                 CreditNote.status, CreditNote.changed_at],
                [CreditNote.number, Customer.name, CreditNote.reference], CreditNote.issue_date.desc())
    raise ValueError(f"unknown record kind {kind!r}; one of {RECORD_KINDS}")


def _records_query(
    session: Session, tenant_id: str | None, kind: str, columns_only: bool, status: str | None, text: str | None
) -> Select[Any]:
    entity, model, cols, text_cols, order = _record_source(kind)
    link = aliased(Link)
    later = aliased(SyncItem)
    link_on = and_(link.entity == entity, link.local_id == model.id)
    if tenant_id:
        link_on = and_(link_on, link.tenant_id == tenant_id)
    open_exc = exists().where(
        ReconException.entity == entity, ReconException.local_id == model.id, ReconException.status == "open"
    )
    failed = exists().where(
        SyncItem.entity == entity,
        SyncItem.local_id == model.id,
        SyncItem.outcome == "failed",
        SyncItem.superseded_by_id.is_(None),
        ~exists().where(
            later.entity == entity, later.local_id == model.id, later.id > SyncItem.id,
            later.outcome.in_(("succeeded", "skipped")),
        ),
    )
    changed_at = cols[6]
    pending = or_(
        link.id.is_(None), link.xero_id.is_(None), link.state != "linked", link.pushed_at.is_(None),
        changed_at > link.pushed_at,
    )
    status_expr = case(
        (open_exc, "exception"), (failed, "failed"), (pending, "pending"), else_="linked"
    ).label("sync_status")
    query = select(*cols, link.xero_id, status_expr) if not columns_only else select(func.count())
    query = query.select_from(model).outerjoin(link, link_on)
    if kind == "invoices" or kind == "credit_notes":
        query = query.join(Customer, Customer.id == model.customer_id)
    elif kind == "payments":
        query = query.join(Invoice, Invoice.id == Payment.invoice_id)
    if status:
        if status not in SYNC_STATUSES:
            raise ValueError(f"unknown sync status {status!r}")
        query = query.where(status_expr == status)
    if text and text.strip():
        pattern = _like(text.strip())
        query = query.where(or_(*[c.ilike(pattern, escape="\\") for c in text_cols]))
    if not columns_only:
        query = query.order_by(order, model.id)
    return query


def records_page(
    session: Session,
    tenant_id: str | None,
    kind: str,
    offset: int = 0,
    limit: int = 100,
    status: str | None = None,
    text: str | None = None,
) -> list[RecordRow]:
    """Customers / invoices / payments / credit notes with their sync status.

    Status precedence: an open exception, then an unresolved failed item, then "pending"
    (not linked yet, or changed in the ledger since the last push), else "linked".
    """
    entity = _record_source(kind)[0]
    query = _records_query(session, tenant_id, kind, False, status, text)
    rows = session.execute(query.offset(max(0, offset)).limit(_limit(limit))).all()
    return [
        RecordRow(entity, r[0], str(r[1]), str(r[2] or ""), r[3], r[4], str(r[5] or ""), r[8], r[7])
        for r in rows
    ]


def count_records(
    session: Session, tenant_id: str | None, kind: str, status: str | None = None, text: str | None = None
) -> int:
    return session.scalar(_records_query(session, tenant_id, kind, True, status, text)) or 0


# -- change log -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChangeRow:
    change_id: int
    at: datetime
    entity: str
    local_id: int
    field: str
    old_value: str | None
    new_value: str | None
    reason: str
    run_id: int | None


def _change_filter(query: Select[Any], entity: str | None, local_id: int | None, run_id: int | None) -> Select[Any]:
    if entity:
        query = query.where(ChangeLog.entity == entity)
    if local_id is not None:
        query = query.where(ChangeLog.local_id == local_id)
    if run_id is not None:
        query = query.where(ChangeLog.run_id == run_id)
    return query


def change_log_page(
    session: Session,
    offset: int = 0,
    limit: int = 100,
    entity: str | None = None,
    local_id: int | None = None,
    run_id: int | None = None,
) -> list[ChangeRow]:
    """Newest write-backs first."""
    query = _change_filter(select(ChangeLog), entity, local_id, run_id).order_by(ChangeLog.id.desc())
    return [
        ChangeRow(c.id, c.at, c.entity, c.local_id, c.field, c.old_value, c.new_value, c.reason, c.run_id)
        for c in session.scalars(query.offset(max(0, offset)).limit(_limit(limit)))
    ]


def count_changes(
    session: Session, entity: str | None = None, local_id: int | None = None, run_id: int | None = None
) -> int:
    return session.scalar(_change_filter(select(func.count(ChangeLog.id)), entity, local_id, run_id)) or 0
