"""What the exceptions view lists, without Qt: one row per exception, open ones first.

The actions offered come from the engine (`sync.exceptions.available_actions`), so the
buttons can never offer something the resolver would refuse.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ...store.models import ReconException, SyncItem, SyncRun
from ...store.states import ExceptionStatus, ItemOutcome
from ...store.types import utcnow
from ...sync.exceptions import available_actions, kind_title, record_label

ACTION_TITLES = {
    "accept_xero": "Accept Xero's value",
    "keep_ledger": "Keep the ledger's value (re-push)",
    "link": "Link to a Xero object\u2026",
    "renumber": "Renumber in the ledger\u2026",
    "dismiss": "Dismiss with a note\u2026",
    "retry": "Retry now",
    "skip": "Skip with a reason\u2026",
}
#: a ledger change the sync held back ("needs review"), listed beside the exceptions
HELD_KIND = ItemOutcome.NEEDS_REVIEW  # the held item's outcome: never an exception kind
HELD_TITLE = "Held: needs review in Xero"
STATUS_TITLES = {ExceptionStatus.OPEN: "Open", ExceptionStatus.RESOLVED: "Resolved",
                 ExceptionStatus.DISMISSED: "Dismissed"}


#: the record's field a conflict is about, as people say it (the database keeps the code)
FIELD_TITLES = {"total": "Total", "amount_paid": "Amount paid", "status": "Status", "contact": "Contact",
                "currency": "Currency", "xero_id": "Link to Xero", "name": "Name", "email": "Email",
                "number": "Number", "date": "Date", "due_date": "Due date", "lines": "Lines"}


def field_title(field: str | None) -> str:
    """'amount_paid' -> 'Amount paid'; an unknown code gets its words ('lock_cut' -> 'Lock cut')."""
    if not field:
        return ""
    if field in FIELD_TITLES:
        return FIELD_TITLES[field]
    words = field.replace("_", " ")
    return words[:1].upper() + words[1:]


@dataclass(frozen=True)
class ExceptionRow:
    id: int
    kind: str
    kind_title: str
    entity: str
    local_id: int | None
    xero_id: str | None
    record: str
    field: str | None
    ledger_value: str | None
    xero_value: str | None
    detail: str | None
    status: str
    first_seen: datetime
    last_seen: datetime
    actions: tuple[str, ...]
    resolution: str | None
    resolution_note: str | None
    resolved_by: str | None
    resolved_at: datetime | None
    #: for a held change: the run item to retry or skip (the row's id is then -item_id)
    item_id: int | None = None
    version: int = 1  # what this desk saw: a decision on an older version is refused (another desk decided)

    @property
    def is_open(self) -> bool:
        return self.status == ExceptionStatus.OPEN

    @property
    def age(self) -> timedelta:
        return utcnow() - self.first_seen


def age_text(delta: timedelta) -> str:
    """"3 days", "5 h", "12 min": how long a conflict has waited for someone."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds >= 86400:
        days = seconds // 86400
        return f"{days} day{'s' if days != 1 else ''}"
    if seconds >= 3600:
        return f"{seconds // 3600} h"
    return f"{max(1, seconds // 60)} min"


def load_exceptions(session: Session, tenant_id: str | None, limit: int = 5000) -> list[ExceptionRow]:
    """Open exceptions first (oldest first: they have waited longest), then the history, newest first."""
    open_first = case((ReconException.status == ExceptionStatus.OPEN, 0), else_=1)
    q = select(ReconException).order_by(open_first, ReconException.resolved_at.desc(), ReconException.first_seen,
                                        ReconException.id).limit(limit)
    if tenant_id:
        q = q.where((ReconException.tenant_id == tenant_id) | ReconException.tenant_id.is_(None))
    rows = held_changes(session, tenant_id)
    for exc in session.scalars(q):
        rows.append(ExceptionRow(
            exc.id, exc.kind, kind_title(exc.kind), exc.entity, exc.local_id, exc.xero_id,
            record_label(session, exc), exc.field, exc.ledger_value, exc.xero_value, exc.detail, exc.status,
            exc.first_seen, exc.last_seen, tuple(available_actions(exc)), exc.resolution, exc.resolution_note,
            exc.resolved_by, exc.resolved_at, version=exc.version,
        ))
    return rows


def held_changes(session: Session, tenant_id: str | None) -> list[ExceptionRow]:
    """Ledger changes the sync held back as "needs review" that no open exception already shows.

    E.g. an edited invoice that has a payment in Xero: Xero refuses the update until the
    payment is removed there. Nothing else lists it where the bookkeeper looks, so it is an
    open row here, with the run item's own actions: retry (after fixing it in Xero) or skip.
    """
    q = (select(SyncItem).join(SyncRun, SyncRun.id == SyncItem.run_id)
         .where(SyncItem.outcome == ItemOutcome.NEEDS_REVIEW, SyncItem.superseded_by_id.is_(None),
                SyncItem.local_id.is_not(None))
         .order_by(SyncItem.started_at, SyncItem.id))
    if tenant_id:
        q = q.where((SyncRun.tenant_id == tenant_id) | SyncRun.tenant_id.is_(None))
    # An exception on the same record decides it: while open (it is listed itself), and once
    # someone resolved or dismissed it after the change was held (that was the decision). A
    # closed exception with no time recorded counts as decided after anything.
    open_keys: set[tuple[str, int | None]] = set()
    decided_at: dict[tuple[str, int | None], datetime | None] = {}
    for entity, local_id, status, resolved_at in session.execute(
            select(ReconException.entity, ReconException.local_id, ReconException.status,
                   ReconException.resolved_at).where(ReconException.local_id.is_not(None))):
        key = (entity, local_id)
        if status == ExceptionStatus.OPEN:
            open_keys.add(key)
        elif resolved_at is None:
            decided_at[key] = None  # closed at an unknown time: after anything
        elif key not in decided_at:
            decided_at[key] = resolved_at
        elif (latest := decided_at[key]) is not None:
            decided_at[key] = max(latest, resolved_at)
    shown: set[tuple[str, int | None]] = set()
    rows = []
    for item in session.scalars(q):
        key = (item.entity, item.local_id)
        if key in shown or key in open_keys:
            continue
        if key in decided_at:
            when = decided_at[key]
            if when is None or when >= item.started_at:
                continue
        shown.add(key)
        rows.append(ExceptionRow(
            -item.id, HELD_KIND, HELD_TITLE, item.entity, item.local_id, item.xero_id, item.label,
            item.action, "changed in the ledger", "not changed in Xero", item.message, "open",
            item.started_at, item.finished_at or item.started_at, ("retry", "skip"), None, None, None, None,
            item_id=item.id,
        ))
    return rows


def default_user() -> str:
    """Who is resolving: the OS user name (editable in the view)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):
        return os.environ.get("USERNAME") or os.environ.get("USER") or ""


def describe_object(entity: str, obj: dict[str, Any]) -> tuple[str, str, str]:
    """(name, details, xero id) of a Xero Contact or Invoice, for the link dialog's results."""
    if entity == "contact":
        details = ", ".join(str(v) for v in (obj.get("ContactNumber"), obj.get("EmailAddress"),
                                              obj.get("ContactStatus")) if v)
        return str(obj.get("Name", "")), details, str(obj.get("ContactID", ""))
    contact = (obj.get("Contact") or {}).get("Name", "")
    details = ", ".join(str(v) for v in (contact, obj.get("Status"), obj.get("Total"), obj.get("Reference")) if v)
    return str(obj.get("InvoiceNumber", "")), details, str(obj.get("InvoiceID", ""))


def link_collection(entity: str) -> str:
    """Which Xero list a link search queries for an exception on this entity."""
    return "Contacts" if entity == "contact" else "Invoices"


def open_count(session: Session, tenant_id: str | None) -> int:
    """How many rows the Exceptions view lists as open: open exceptions and held changes.

    For the dashboard's tile and the sidebar's badge, so the number a person sees there is
    the number of open rows they find when they click through."""
    q = select(func.count()).select_from(ReconException).where(ReconException.status == ExceptionStatus.OPEN)
    if tenant_id:
        q = q.where((ReconException.tenant_id == tenant_id) | ReconException.tenant_id.is_(None))
    return int(session.scalar(q) or 0) + len(held_changes(session, tenant_id))
