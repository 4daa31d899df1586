"""Compare with Xero (`xsync-desktop verify`, the Checklist's button): read every linked Xero
object of a period back and compare it field by field with the ledger.

Why: the pull only sees what Xero *says* changed since a watermark, and reconcile only checks
the fields its rules know. A verify reads the objects themselves, so any disagreement left by
a lost answer, a restored backup, a bug or a bookkeeper's change shows up, whatever its cause.

Reads, inside Xero's limits (the client paces itself): invoices and contacts by their IDs, 50 a
call; payments and credit notes by pages of 1,000 filtered on the period's dates, then by ID for
any linked one those pages did not hold. Every difference is either covered by an exception a
person already has (open, or one they dismissed: "leave both as they are") or becomes a new
"Xero differs" / "wrong link" exception with a needs-review item in the verify run. The result
per month is kept (setting ``verify:YYYY-MM``) for the checklist's sixth check.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..store.models import (
    CreditAllocation,
    CreditNote,
    Customer,
    Invoice,
    Link,
    Payment,
    ReconException,
    SyncItem,
)
from ..store.settings import get_setting, set_setting
from ..store.states import ExceptionKind, ExceptionStatus, ItemOutcome, LinkState
from ..store.types import utcnow
from .context import RunContext
from .exceptions import Conflict, raise_conflict
from .mapping_check import MappingBook
from .months import month_bounds
from .open_items import unresolved_item_conditions
from .verify_compare import (
    Difference,
    compare_contact,
    compare_credit_note,
    compare_invoice,
    compare_payment,
)

IDS_PER_CALL = 50  # 50 GUIDs keep the URL near 2 KB, well inside what Xero accepts
PAGE_SIZE = 1000
SETTING_PREFIX = "verify:"
DIFFERS, WRONG_LINK = ExceptionKind.XERO_DIFFERS, ExceptionKind.WRONG_LINK
HELD_ITEM = 0  # cover id meaning "an unresolved run item, not an exception"


@dataclass
class Finding:
    difference: Difference
    exception_id: int | None  # the exception that carries it (new or already there)
    new: bool  # True: this compare opened it; False: a person already has it


@dataclass
class CompareReport:
    month: str | None
    checked: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    @property
    def differences(self) -> int:
        return len(self.findings)

    @property
    def unexplained(self) -> int:
        """Differences no exception covered before this compare (each now has one)."""
        return sum(1 for f in self.findings if f.new)

    def text(self) -> str:
        scope = f"for {self.month}" if self.month else "for every month"
        read = ", ".join(f"{n} {k}" for k, n in self.checked.items())
        if not self.findings:
            return f"Xero agrees with the ledger {scope} ({read} compared)."
        covered = self.differences - self.unexplained
        return (f"{self.differences} difference(s) between Xero and the ledger {scope} ({read} compared): "
                f"{self.unexplained} new, each now an exception to decide; {covered} already covered by an "
                "exception or a held change. Open Exceptions to see them.")


# -- the run ------------------------------------------------------------------------------------
def compare_with_xero(ctx: RunContext, month: str | None) -> CompareReport:
    """Read, compare and file; the caller (the engine) holds the run lock and commits."""
    session = ctx.session
    start, end = month_bounds(month) if month else (None, None)
    report = CompareReport(month)
    links = _Links(session, ctx.tenant_id)
    diffs: list[Difference] = []

    invoices = _in_period(session, Invoice, Invoice.issue_date, start, end, Invoice.status != "draft")
    invoices = [i for i in invoices if links.get("invoice", i.id)]
    credit_notes = [c for c in _in_period(session, CreditNote, CreditNote.issue_date, start, end,
                                          CreditNote.status != "draft") if links.get("credit_note", c.id)]
    payments = [p for p in _in_period(session, Payment, Payment.date, start, end) if links.get("payment", p.id)]
    customer_ids = sorted({i.customer_id for i in invoices} | {c.customer_id for c in credit_notes})
    customers = [c for c in _chunked_get(session, Customer, customer_ids) if links.get("contact", c.id)]

    xero_invoices = _read_by_ids(ctx, "Invoices", [links.get("invoice", i.id) for i in invoices], {}, "invoices")
    live_payment_ids: dict[int, set[str]] = defaultdict(set)
    for p in session.scalars(select(Payment).where(Payment.reversed_at.is_(None))):
        pid = links.get("payment", p.id)
        if pid:
            live_payment_ids[p.invoice_id].add(pid)
    for inv in invoices:
        xid = links.get("invoice", inv.id)
        diffs += compare_invoice(inv, xid, xero_invoices.get(xid.lower()), links.get("contact", inv.customer_id),
                                 live_payment_ids.get(inv.id, set()))
    report.checked["invoices"] = len(invoices)

    xero_cns = _read_paged(ctx, "CreditNotes", start, end, [links.get("credit_note", c.id) for c in credit_notes],
                           "credit notes")
    allocs: dict[int, list[CreditAllocation]] = defaultdict(list)
    for a in session.scalars(select(CreditAllocation).order_by(CreditAllocation.id)):
        allocs[a.credit_note_id].append(a)
    for cn in credit_notes:
        xid = links.get("credit_note", cn.id)
        mine = [(a, links.get("allocation", a.id) or None, links.get("invoice", a.invoice_id) or None)
                for a in allocs.get(cn.id, [])]
        diffs += compare_credit_note(cn, xid, xero_cns.get(xid.lower()), links.get("contact", cn.customer_id), mine)
    report.checked["credit notes"] = len(credit_notes)

    xero_pays = _read_paged(ctx, "Payments", start, end, [links.get("payment", p.id) for p in payments],
                            "payments")
    book = MappingBook(session, ctx.tenant_id)
    numbers = {i.id: i.number for i in _chunked_get(session, Invoice, sorted({p.invoice_id for p in payments}))}
    for pay in payments:
        xid = links.get("payment", pay.id)
        account = _account_code(book, pay) if pay.source == "ledger" else None
        diffs += compare_payment(pay, xid, xero_pays.get(xid.lower()), numbers.get(pay.invoice_id, "?"),
                                 links.get("invoice", pay.invoice_id) or None, account)
    report.checked["payments"] = len(payments)

    xero_contacts = _read_by_ids(ctx, "Contacts", [links.get("contact", c.id) for c in customers],
                                 {"includeArchived": "true"}, "contacts")
    for cust in customers:
        xid = links.get("contact", cust.id)
        diffs += compare_contact(cust, xid, xero_contacts.get(xid.lower()))
    report.checked["contacts"] = len(customers)

    report.findings = _file(ctx, diffs, {i.id: i.customer_id for i in invoices})
    _remember(session, report, _months(start, invoices, credit_notes, payments), ctx.run.started_at, ctx.run.id)
    ctx.run.message = report.text()
    return report


# -- reading Xero ---------------------------------------------------------------------------------
def _read_by_ids(ctx: RunContext, collection: str, ids: list[str], params: dict[str, Any],
                 what: str) -> dict[str, dict[str, Any]]:
    """Objects by ID, IDS_PER_CALL a call (keyed by lower-case id)."""
    wanted = sorted({i for i in ids if i})
    out: dict[str, dict[str, Any]] = {}
    key = "InvoiceID" if collection == "Invoices" else "ContactID"
    for n, batch in enumerate(_batches(wanted, IDS_PER_CALL)):
        ctx.check_cancel()
        ctx.report("verify", n * IDS_PER_CALL, len(wanted), message=f"Reading {what} from Xero")
        assert ctx.client is not None
        body = ctx.client.get(f"/{collection}", params={**params, "IDs": ",".join(batch), "page": 1,
                                                       "pageSize": PAGE_SIZE})
        for obj in body.get(collection) or []:
            if isinstance(obj, dict) and obj.get(key):
                out[str(obj[key]).lower()] = obj
    return out


def _read_paged(ctx: RunContext, collection: str, start: date | None, end: date | None, ids: list[str],
                what: str) -> dict[str, dict[str, Any]]:
    """The period's objects by pages; then one call each for a linked one the pages lacked
    (its date in Xero is outside the period, or it is gone)."""
    key = "PaymentID" if collection == "Payments" else "CreditNoteID"
    wanted = {i.lower() for i in ids if i}
    out: dict[str, dict[str, Any]] = {}
    if not wanted:
        return out
    params: dict[str, Any] = {"pageSize": PAGE_SIZE}
    if start is not None and end is not None:
        params["where"] = (f"Date >= DateTime({start.year}, {start.month:02d}, {start.day:02d}) AND "
                           f"Date < DateTime({end.year}, {end.month:02d}, {end.day:02d})")
    page = 1
    assert ctx.client is not None
    while True:
        ctx.check_cancel()
        ctx.report("verify", len(out), len(wanted), message=f"Reading {what} from Xero")
        body = ctx.client.get(f"/{collection}", params={**params, "page": page})
        rows = [r for r in body.get(collection) or [] if isinstance(r, dict)]
        for obj in rows:
            if obj.get(key):
                out[str(obj[key]).lower()] = obj
        if len(rows) < PAGE_SIZE:
            break
        page += 1
    from ..xero.errors import NotFound

    for xid in sorted(wanted - set(out)):
        ctx.check_cancel()
        try:
            body = ctx.client.get(f"/{collection}/{xid}")
        except NotFound:
            continue
        for obj in body.get(collection) or []:
            if isinstance(obj, dict) and obj.get(key):
                out[str(obj[key]).lower()] = obj
    return out


# -- filing differences ---------------------------------------------------------------------------
def _file(ctx: RunContext, diffs: list[Difference], customer_of: dict[int, int]) -> list[Finding]:
    """Each difference: covered by an exception a person has, or a new exception."""
    covering = _covering_exceptions(ctx.session, ctx.tenant_id)
    findings: list[Finding] = []
    for d in diffs:
        cover = _cover(covering, d, customer_of)
        if cover is not None:
            findings.append(Finding(d, cover, False))
            continue
        kind = WRONG_LINK if d.wrong_link else DIFFERS
        detail = (f"Compare with Xero: the {d.field.replace('_', ' ')} differs (ledger {d.ledger_value or 'blank'}, "
                  f"Xero {d.xero_value or 'blank'}).")
        if d.wrong_link:
            detail = (f"Compare with Xero: this record is linked to a Xero object that is not its own (its "
                      f"{d.field.replace('_', ' ')} is {d.xero_value or 'blank'}, the ledger's is "
                      f"{d.ledger_value or 'blank'}). Link it to the right Xero object.")
        row, new = raise_conflict(ctx, Conflict(kind, d.entity, d.local_id, d.xero_id, d.label, d.field,
                                                d.ledger_value, d.xero_value, detail))
        if row is None:  # the same difference was already decided by a person: they chose to leave it
            findings.append(Finding(d, _decided_id(ctx, kind, d), False))
            continue
        if new:
            item = ctx.start_item(d.entity, d.local_id, "verify", d.label, xero_id=d.xero_id)
            ctx.finish_item(item, ItemOutcome.NEEDS_REVIEW, f"{detail} (exception #{row.id})", commit=False)
        findings.append(Finding(d, row.id, new))
    ctx.commit()
    return findings


def _covering_exceptions(session: Session, tenant_id: str) -> dict[tuple[Any, ...], int]:
    """Open exceptions by (entity, local id) and by ("xero", xero id); dismissed ones by
    (entity, local id, field, ledger value, Xero value): a person chose to leave that very
    difference as it is ("leave both as they are")."""
    out: dict[tuple[Any, ...], int] = {}
    rows = session.scalars(select(ReconException).where(ReconException.tenant_id == tenant_id,
                                                        ReconException.status.in_((ExceptionStatus.OPEN, ExceptionStatus.DISMISSED)),
                                                        ReconException.kind.notin_((DIFFERS, WRONG_LINK))))
    for exc in rows:
        if exc.status == ExceptionStatus.DISMISSED:
            out.setdefault((exc.entity, exc.local_id, exc.field, exc.ledger_value or "", exc.xero_value or ""),
                           exc.id)
            continue
        if exc.local_id is not None:
            out.setdefault((exc.entity, exc.local_id), exc.id)
        if exc.xero_id:
            out.setdefault(("xero", exc.xero_id.lower()), exc.id)
    # A held ledger change (failed or needs review, shown in Exceptions) explains a difference
    # on its record too: a person already has it in front of them (an item that opened an
    # exception is represented by that exception, found above).
    for entity, local_id in session.execute(
            select(SyncItem.entity, SyncItem.local_id)
            .where(SyncItem.local_id.is_not(None), *unresolved_item_conditions(with_exception_items=False))):
        out.setdefault((entity, local_id), HELD_ITEM)
    return out


def _cover(covering: dict[tuple[Any, ...], int], d: Difference, customer_of: dict[int, int]) -> int | None:
    """An open exception about the same record (or, for a payment, its invoice), or the same
    difference dismissed by a person, explains it."""
    for key in ((d.entity, d.local_id), ("xero", (d.xero_id or "").lower()),
                (d.entity, d.local_id, d.field, d.ledger_value, d.xero_value)):
        if key in covering:
            return covering[key]
    if d.field == "payment" and d.xero_value.startswith("payment "):
        return covering.get(("xero", d.xero_value.split()[1].lower()))
    if d.entity == "invoice" and d.local_id in customer_of:
        return covering.get(("contact", customer_of[d.local_id]))
    return None


def _decided_id(ctx: RunContext, kind: str, d: Difference) -> int | None:
    from .exceptions import fingerprint

    fp = fingerprint(kind, d.entity, d.local_id if d.local_id is not None else d.xero_id, d.field, d.xero_value)
    return ctx.session.scalar(select(ReconException.id).where(ReconException.tenant_id == ctx.tenant_id,
                                                              ReconException.fingerprint == fp[:128]).limit(1))


# -- the result kept for the checklist ----------------------------------------------------------
def _months(start: date | None, *groups: Iterable[Any]) -> set[str]:
    if start is not None:
        return {start.strftime("%Y-%m")}
    months: set[str] = set()
    for group in groups:
        for rec in group:
            day = getattr(rec, "issue_date", None) or getattr(rec, "date", None)
            if day is not None:
                months.add(day.strftime("%Y-%m"))
    return months


def _remember(session: Session, report: CompareReport, months: set[str], started: datetime | None = None,
              run_id: int | None = None) -> None:
    for month in months:
        mine = [f for f in report.findings if f.difference.month in (None, month) or report.month == month]
        remember_compare(session, month, len(mine), sum(1 for f in mine if f.new),
                         sorted({f.exception_id for f in mine if f.exception_id is not None}), started, run_id)


def remember_compare(session: Session, month: str, differences: int, unexplained: int,
                     exceptions: list[int], started: datetime | None = None, run_id: int | None = None) -> None:
    """Keep a compare's result for ``month`` (what the checklist's sixth check reads). ``started``
    and ``run_id`` say where the compare stood: a later change to the month makes it out of date
    (compare_freshness.py)."""
    now = utcnow()
    set_setting(session, SETTING_PREFIX + month, json.dumps({
        "at": now.isoformat(), "started": (started or now).isoformat(), "run_id": run_id,
        "differences": differences, "unexplained": unexplained, "exceptions": exceptions}))


def last_compare(session: Session, month: str) -> dict[str, Any] | None:
    """The latest compare's result for ``month`` ({"at", "differences", "unexplained", ...})."""
    raw = get_setting(session, SETTING_PREFIX + month)
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


# -- helpers ----------------------------------------------------------------------------------------
class _Links:
    """Every link of the organisation, loaded once: (entity, local id) -> Xero id (linked only)."""

    def __init__(self, session: Session, tenant_id: str) -> None:
        self.ids: dict[tuple[str, int], str] = {}
        rows = session.execute(select(Link.entity, Link.local_id, Link.xero_id, Link.state)
                               .where(Link.tenant_id == tenant_id, Link.xero_id.is_not(None)))
        for entity, local_id, xero_id, state in rows:
            if state != LinkState.SENDING:
                self.ids[(entity, local_id)] = xero_id

    def get(self, entity: str, local_id: int) -> str:
        return self.ids.get((entity, local_id), "")


def _in_period(session: Session, model: Any, column: Any, start: date | None, end: date | None,
               *extra: Any) -> list[Any]:
    query = select(model).where(*extra)
    if start is not None and end is not None:
        query = query.where(column >= start, column < end)
    return list(session.scalars(query.order_by(model.id)))


def _chunked_get(session: Session, model: Any, ids: list[int]) -> list[Any]:
    out: list[Any] = []
    for batch in _batches(ids, 500):
        out.extend(session.scalars(select(model).where(model.id.in_(batch))))
    return out


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _account_code(book: MappingBook, pay: Payment) -> str | None:
    try:
        return book.bank_account(pay.method).get("Code")
    except KeyError:
        return None
