"""Is a month's latest Compare with Xero still current? (the checklist's sixth check)

Why: "Xero agrees with the ledger" is what the bookkeeper signs. A compare speaks only for the
books as they stood when it ran; after it, an import that changes the month's records, a sync that
sends or pulls something for them, or a decision on one of their exceptions can make the two
sides differ again. Any such change makes the compare out of date, and the check fails until the
month is compared again.

"After the compare" means after the compare *began* (a change made while it read Xero may not
be in what it read). Sync work is told apart by run id (runs are numbered in the order they
start, and the run lock keeps a sync from overlapping a compare); ledger edits and decisions by
their time stamps, the way the push tells a ledger edit from what it last sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..store.models import (
    CreditAllocation,
    CreditNote,
    Customer,
    Invoice,
    Payment,
    ReconException,
    SyncItem,
    SyncRun,
)
from ..store.states import ItemOutcome
from .months import month_bounds

# Item outcomes that mean a sync changed something on one side for that record: sent, pulled,
# applied, or found a new difference. A failed or skipped item changed nothing.
CHANGING_OUTCOMES = (ItemOutcome.SUCCEEDED, ItemOutcome.NEEDS_REVIEW)


@dataclass(frozen=True)
class CompareMark:
    """Where a kept compare result stood: when its run began, that run, the exceptions it named."""

    started: datetime
    run_id: int | None
    exceptions: frozenset[int]

    @classmethod
    def of(cls, result: dict[str, Any]) -> CompareMark | None:
        """From verify's kept result (a result kept before run ids were stored has only "at")."""
        raw = result.get("started") or result.get("at")
        try:
            started = datetime.fromisoformat(str(raw))
        except ValueError:
            return None
        run_id = result.get("run_id")
        ids = result.get("exceptions") or []
        return cls(started, int(run_id) if isinstance(run_id, int) else None,
                   frozenset(i for i in ids if isinstance(i, int)))


@dataclass
class _MonthRecords:
    """The records whose state a compare of the month read, by entity: (local id -> label)."""

    by_entity: dict[str, dict[int, str]]

    def label(self, entity: str, local_id: int | None) -> str | None:
        return self.by_entity.get(entity, {}).get(local_id) if local_id is not None else None


def later_change(session: Session, tenant_id: str | None, month: str, mark: CompareMark) -> str | None:
    """The first change to the month since the compare began, in words; None while it stands."""
    records = _records_of(session, month)
    return (_ledger_change(session, records, mark) or _sync_change(session, tenant_id, records, mark)
            or _decision(session, tenant_id, records, mark))


def _records_of(session: Session, month: str) -> _MonthRecords:
    start, end = month_bounds(month)
    invoices = {i: f"Invoice {n}" for i, n in session.execute(
        select(Invoice.id, Invoice.number).where(Invoice.issue_date >= start, Invoice.issue_date < end))}
    credit_notes = {i: f"Credit note {n}" for i, n in session.execute(
        select(CreditNote.id, CreditNote.number).where(CreditNote.issue_date >= start, CreditNote.issue_date < end))}
    month_invoices = select(Invoice.id).where(_in_month(Invoice.issue_date, start, end))
    month_credit_notes = select(CreditNote.id).where(_in_month(CreditNote.issue_date, start, end))
    customers = {i: f"Customer {n}" for i, n in session.execute(select(Customer.id, Customer.name).where(or_(
        Customer.id.in_(select(Invoice.customer_id).where(_in_month(Invoice.issue_date, start, end))),
        Customer.id.in_(select(CreditNote.customer_id).where(_in_month(CreditNote.issue_date, start, end))))))}
    # Money on the month's invoices counts whatever its own date: it changes their amounts due.
    payments = {i: f"Payment {format(a, 'f')} of {d.isoformat()}" for i, a, d in session.execute(
        select(Payment.id, Payment.amount, Payment.date).where(
            or_(_in_month(Payment.date, start, end), Payment.invoice_id.in_(month_invoices))))}
    allocations = {i: f"Credit {format(a, 'f')} applied on {d.isoformat()}" for i, a, d in session.execute(
        select(CreditAllocation.id, CreditAllocation.amount, CreditAllocation.date).where(
            or_(_in_month(CreditAllocation.date, start, end), CreditAllocation.invoice_id.in_(month_invoices),
                CreditAllocation.credit_note_id.in_(month_credit_notes))))}
    return _MonthRecords({"invoice": invoices, "credit_note": credit_notes, "contact": customers,
                          "payment": payments, "allocation": allocations})


def _ledger_change(session: Session, records: _MonthRecords, mark: CompareMark) -> str | None:
    """A record of the month changed in the ledger (an import, the billing system, a write-back)."""
    for entity, model in (("invoice", Invoice), ("credit_note", CreditNote), ("payment", Payment),
                          ("allocation", CreditAllocation), ("contact", Customer)):
        changed: Any = model.changed_at > mark.started
        if model is Payment:
            changed = or_(changed, Payment.reversed_at > mark.started)
        for local_id in session.scalars(select(model.id).where(changed).order_by(model.id)):
            label = records.label(entity, local_id)
            if label is not None:
                return f"{label} changed in the ledger"
    return None


def _sync_change(session: Session, tenant_id: str | None, records: _MonthRecords, mark: CompareMark) -> str | None:
    """A later sync (or retry, or a decision's re-send) sent or read something for the month."""
    query = (select(SyncItem.entity, SyncItem.local_id, SyncItem.action)
             .join(SyncRun, SyncRun.id == SyncItem.run_id)
             .where(SyncRun.trigger != "verify", SyncItem.outcome.in_(CHANGING_OUTCOMES),
                    SyncItem.local_id.is_not(None))
             .order_by(SyncItem.id))
    if mark.run_id is not None:
        query = query.where(SyncItem.run_id > mark.run_id)
    else:
        query = query.where(SyncItem.started_at > mark.started)
    if tenant_id:
        query = query.where(SyncRun.tenant_id == tenant_id)
    for entity, local_id, action in session.execute(query):
        label = records.label(entity, local_id)
        if label is not None:
            return f"{label} was synced with Xero ({action})"
    return None


def _decision(session: Session, tenant_id: str | None, records: _MonthRecords, mark: CompareMark) -> str | None:
    """A person decided an exception about the month (or one the compare named)."""
    query = select(ReconException).where(ReconException.resolved_at > mark.started).order_by(ReconException.id)
    if tenant_id:
        query = query.where(or_(ReconException.tenant_id == tenant_id, ReconException.tenant_id.is_(None)))
    for exc in session.scalars(query):
        if exc.id in mark.exceptions or records.label(exc.entity, exc.local_id) is not None:
            return f"exception #{exc.id} ({exc.label}) was decided"
    return None


def _in_month(column: Any, start: date, end: date) -> Any:
    return (column >= start) & (column < end)
