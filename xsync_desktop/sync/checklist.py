"""Month-end checklist: six checks (DESIGN.md), the records behind each, sign-off, CSV export.

A check's ``count`` is the number of records that stop it passing (0 = passed);
``checked`` is how many records it looked at. "Records of the month" are the ledger
invoices (non-draft) and credit notes dated in the month, the payments dated in it, and
the customers invoiced in it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import activity
from ..store.models import (
    ChecklistSignoff,
    CreditAllocation,
    CreditNote,
    Customer,
    Invoice,
    Link,
    Payment,
    ReconException,
    SyncItem,
)
from ..store.settings import get_date_setting, get_setting
from ..store.states import ExceptionKind, ExceptionStatus, ItemOutcome, LinkState
from ..store.types import utcnow
from ..timestamps import local_iso
from .months import month_bounds
from .not_sent import not_needed_in_xero
from .open_items import unresolved_item_conditions

PAYMENTS_WATERMARK = "pull_payments"


@dataclass(frozen=True)
class RecordRef:
    entity: str  # invoice, payment, contact, credit_note, pull
    local_id: int | None
    label: str
    reason: str


@dataclass
class Check:
    key: str
    title: str
    passed: bool
    count: int
    records: list[RecordRef] = field(default_factory=list)
    checked: int = 0
    # Records nobody can or should send (void and never sent, before the sync start date, skipped
    # by a person): listed with the reason, never counted as failures.
    excluded: list[RecordRef] = field(default_factory=list)


@dataclass
class Checklist:
    month: str
    tenant_id: str | None
    checks: list[Check]
    computed_at: datetime = field(default_factory=utcnow)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def check(self, key: str) -> Check:
        return next(c for c in self.checks if c.key == key)


def _links(session: Session, tenant_id: str | None, entity: str, ids: list[int]) -> dict[int, Link]:
    out: dict[int, Link] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        query = select(Link).where(Link.entity == entity, Link.local_id.in_(chunk))
        if tenant_id:
            query = query.where(Link.tenant_id == tenant_id)
        for link in session.scalars(query):
            out[link.local_id] = link
    return out


def _content_hash(session: Session, entity: str, record: object) -> str | None:
    """The push phase's hash of the record now (None if the push code is unavailable)."""
    try:
        from . import payloads
        from .hashing import canonical_hash

        if entity == "invoice":
            lat = get_setting(session, "line_amount_types") or "Exclusive"
            return canonical_hash(payloads.invoice_content(record, lat))  # type: ignore[arg-type]
        if entity == "contact":
            return canonical_hash(payloads.contact_content(record))  # type: ignore[arg-type]
    except (ImportError, AttributeError, TypeError):
        return None
    return None


def _is_current(session: Session, entity: str, record: object, link: Link | None) -> tuple[bool, str]:
    if link is None or not link.xero_id:
        return False, "not in Xero yet"
    if link.state != LinkState.LINKED:
        return False, "sending to Xero (outcome not settled)"
    current = _content_hash(session, entity, record)
    if current is not None and link.pushed_hash is not None:
        if current != link.pushed_hash:
            return False, "changed in the ledger since it was last sent"
        return True, ""
    changed_at = getattr(record, "changed_at", None)
    if link.pushed_at is None or (changed_at is not None and changed_at > link.pushed_at):
        return False, "changed in the ledger since it was last sent"
    return True, ""


def compute_checklist(session: Session, tenant_id: str | None, month: str) -> Checklist:
    start, end = month_bounds(month)
    invoices = list(
        session.scalars(
            select(Invoice)
            .where(Invoice.issue_date >= start, Invoice.issue_date < end, Invoice.status != "draft")
            .order_by(Invoice.number)
        )
    )
    payments = list(
        session.scalars(
            select(Payment)
            .where(Payment.date >= start, Payment.date < end, Payment.reversed_at.is_(None))
            .order_by(Payment.date, Payment.id)
        )
    )
    credit_notes = list(
        session.scalars(
            select(CreditNote).where(CreditNote.issue_date >= start, CreditNote.issue_date < end)
        )
    )
    allocations = list(
        session.scalars(
            select(CreditAllocation)
            .where(CreditAllocation.date >= start, CreditAllocation.date < end)
            .order_by(CreditAllocation.date, CreditAllocation.id)
        )
    )
    sync_start = get_date_setting(session, "sync_start_date")
    customer_ids = sorted({i.customer_id for i in invoices})
    customers = (
        list(session.scalars(select(Customer).where(Customer.id.in_(customer_ids)).order_by(Customer.name)))
        if customer_ids
        else []
    )
    checks = [
        _check_invoices(session, tenant_id, invoices, credit_notes, sync_start),
        _check_payments(session, tenant_id, payments, allocations, end, sync_start),
        _check_contacts(session, tenant_id, customers),
    ]
    month_records: dict[str, dict[int, str]] = {
        "invoice": {i.id: f"Invoice {i.number}" for i in invoices},
        "payment": {p.id: f"Payment {p.amount} on {p.date.isoformat()}" for p in payments},
        "contact": {c.id: f"Customer {c.name}" for c in customers},
        "credit_note": {c.id: f"Credit note {c.number}" for c in credit_notes},
        "allocation": {a.id: f"Credit {a.amount} applied on {a.date.isoformat()}" for a in allocations},
    }
    checks.append(_check_failed(session, month_records))
    checks.append(_check_exceptions(session, tenant_id, month_records, start, end))
    checks.append(_check_compare(session, tenant_id, month, sum(len(v) for v in month_records.values())))
    return Checklist(month=month, tenant_id=tenant_id, checks=checks)


def _skipped(link: Link | None) -> bool:
    return link is not None and link.state == LinkState.SKIPPED


def _skip_reasons(session: Session, entity: str, ids: list[int]) -> dict[int, str]:
    """The reason a person gave when skipping each record's latest skipped item."""
    out: dict[int, str] = {}
    for i in range(0, len(ids), 500):
        rows = session.execute(
            select(SyncItem.local_id, SyncItem.skip_reason)
            .where(SyncItem.entity == entity, SyncItem.local_id.in_(ids[i:i + 500]), SyncItem.outcome == ItemOutcome.SKIPPED)
            .order_by(SyncItem.id)
        )
        out.update({local_id: reason or "skipped" for local_id, reason in rows})
    return out


def _check_invoices(session: Session, tenant_id: str | None, invoices: list[Invoice],
                    credit_notes: list[CreditNote], sync_start: date | None) -> Check:
    """Invoices and credit notes of the month in Xero with their current content."""
    bad: list[RecordRef] = []
    excluded: list[RecordRef] = []
    for entity, docs, title in (("invoice", invoices, "Invoice"), ("credit_note", credit_notes, "Credit note")):
        links = _links(session, tenant_id, entity, [d.id for d in docs])
        skipped = _skip_reasons(session, entity, [d.id for d in docs if _skipped(links.get(d.id))])
        for doc in docs:
            label = f"{title} {doc.number}"
            link = links.get(doc.id)
            why_not = not_needed_in_xero(doc.issue_date, doc.status, link.xero_id if link else None, sync_start)
            if why_not:
                excluded.append(RecordRef(entity, doc.id, label, why_not))
                continue
            if doc.status == "draft":
                continue
            if doc.id in skipped:
                excluded.append(RecordRef(entity, doc.id, label, f"skipped by a person: {skipped[doc.id]}"))
                continue
            ok, why = _is_current(session, entity, doc, link)
            if not ok:
                bad.append(RecordRef(entity, doc.id, label, why))
    checked = len(invoices) + len(credit_notes)
    return Check("invoices_in_xero", "All invoices in Xero", not bad, len(bad), bad, checked, excluded)


def _check_payments(session: Session, tenant_id: str | None, payments: list[Payment],
                    allocations: list[CreditAllocation], end: date, sync_start: date | None) -> Check:
    """Every payment and credit allocation of the month is in Xero *as it is in the ledger*
    (amount, date, bank account), and Xero's payments were pulled past the month's end."""
    from .mapping_check import MappingBook

    links = _links(session, tenant_id, "payment", [p.id for p in payments])
    invoices = {i.id: i for i in _by_ids(session, Invoice, sorted({p.invoice_id for p in payments}
                                                                   | {a.invoice_id for a in allocations}))}
    skipped = _skip_reasons(session, "payment", [p.id for p in payments if _skipped(links.get(p.id))])
    book = MappingBook(session, tenant_id) if tenant_id else None
    bad: list[RecordRef] = []
    excluded: list[RecordRef] = []
    for pay in payments:
        label = f"Payment {pay.amount} on {pay.date.isoformat()}"
        inv = invoices.get(pay.invoice_id)
        if sync_start is not None and inv is not None and inv.issue_date < sync_start:
            excluded.append(RecordRef("payment", pay.id, label, f"on invoice {inv.number}, dated before the sync "
                                                                f"start date ({sync_start.isoformat()}): not sent"))
            continue
        if pay.id in skipped:
            excluded.append(RecordRef("payment", pay.id, label, f"skipped by a person: {skipped[pay.id]}"))
            continue
        link = links.get(pay.id)
        if link is None or not link.xero_id or link.state != LinkState.LINKED:
            bad.append(RecordRef("payment", pay.id, label, "not in Xero yet"))
            continue
        why = _payment_disagrees(pay, link, book)
        if why:
            bad.append(RecordRef("payment", pay.id, label, why))
    alloc_links = _links(session, tenant_id, "allocation", [a.id for a in allocations])
    for alloc in allocations:
        label = f"Credit {alloc.amount} applied on {alloc.date.isoformat()}"
        inv = invoices.get(alloc.invoice_id)
        if sync_start is not None and inv is not None and inv.issue_date < sync_start:
            excluded.append(RecordRef("allocation", alloc.id, label, "on an invoice dated before the sync start date"))
            continue
        link = alloc_links.get(alloc.id)
        if link is None or not link.xero_id or link.state != LinkState.LINKED:
            bad.append(RecordRef("allocation", alloc.id, label, "credit not applied in Xero yet"))
        elif link.pushed_hash and link.pushed_hash != _allocation_hash(alloc):
            bad.append(RecordRef("allocation", alloc.id, label, "changed in the ledger since it was applied in Xero"))
    from ..store.models import Watermark

    query = select(func.max(Watermark.value)).where(Watermark.name == PAYMENTS_WATERMARK)
    if tenant_id:
        query = query.where(Watermark.tenant_id == tenant_id)
    pulled_to = session.scalar(query)
    if isinstance(pulled_to, str):
        pulled_to = datetime.fromisoformat(pulled_to)
    if pulled_to is not None and pulled_to.tzinfo is None:
        pulled_to = pulled_to.replace(tzinfo=UTC)
    month_end = datetime(end.year, end.month, end.day, tzinfo=UTC)
    if pulled_to is None or pulled_to < month_end:
        when = pulled_to.strftime("%Y-%m-%d %H:%M UTC") if pulled_to else "never"
        bad.append(RecordRef("pull", None, "Payments recorded in Xero",
                             f"pulled up to {when}; a sync after the month's end is needed"))
    return Check("payments_reconciled", "Payments reconciled", not bad, len(bad), bad,
                 len(payments) + len(allocations), excluded)


def _payment_disagrees(pay: Payment, link: Link, book: Any) -> str:
    """Why the Xero payment behind ``link`` is not the ledger's, from what Xero answered ("" = agrees)."""
    from .reconcile.snapshots import money_text, parse_day

    snap = link.xero_snapshot or {}
    if str(snap.get("Status") or "AUTHORISED").upper() == "DELETED":
        return "deleted in Xero"
    if snap.get("Amount") is not None and money_text(snap.get("Amount")) != money_text(pay.amount):
        return f"Xero has {money_text(snap.get('Amount'))}, the ledger {money_text(pay.amount)}"
    day = parse_day(snap.get("Date")) if snap.get("Date") else None
    if day is not None and day != pay.date:
        return f"Xero has it on {day.isoformat()}, the ledger on {pay.date.isoformat()}"
    if pay.source == "ledger" and book is not None and snap.get("AccountCode"):
        try:
            expected = book.bank_account(pay.method).get("Code")
        except KeyError:
            expected = None
        if expected and expected != snap.get("AccountCode"):
            return (f"Xero has it in account {snap.get('AccountCode')}, the mapping for {pay.method} says "
                    f"{expected}")
    return ""


def _allocation_hash(alloc: CreditAllocation) -> str | None:
    from .hashing import canonical_hash
    from .payloads import allocation_content

    return canonical_hash(allocation_content(alloc))


def _by_ids(session: Session, model: Any, ids: list[int]) -> list[Any]:
    out: list[Any] = []
    for i in range(0, len(ids), 500):
        out.extend(session.scalars(select(model).where(model.id.in_(ids[i:i + 500]))))
    return out


def _check_contacts(session: Session, tenant_id: str | None, customers: list[Customer]) -> Check:
    links = _links(session, tenant_id, "contact", [c.id for c in customers])
    bad = []
    for cust in customers:
        ok, why = _is_current(session, "contact", cust, links.get(cust.id))
        if not ok:
            bad.append(RecordRef("contact", cust.id, f"Customer {cust.name}", why))
    return Check("contacts_up_to_date", "Contacts up to date", not bad, len(bad), bad, len(customers))


def _check_failed(session: Session, month_records: dict[str, dict[int, str]]) -> Check:
    """An item counts while it is failed and nothing later (retry, skip, success) dealt with it."""
    bad: list[RecordRef] = []
    for entity, labels in month_records.items():
        ids = list(labels)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            rows = session.execute(
                select(SyncItem.local_id, SyncItem.message)
                .where(
                    SyncItem.entity == entity,
                    SyncItem.local_id.in_(chunk),
                    # Needs-review items are unresolved too, except those that opened an exception
                    # (the exceptions check counts those, and closing it is what resolves them).
                    *unresolved_item_conditions(with_exception_items=False),
                )
                .order_by(SyncItem.id)
            ).all()
            seen: set[int] = set()
            for local_id, message in rows:
                if local_id in seen:
                    continue
                seen.add(local_id)
                bad.append(RecordRef(entity, local_id, labels[local_id], message or "failed"))
    checked = sum(len(v) for v in month_records.values())
    return Check("failed_resolved", "Failed and needs-review items resolved", not bad, len(bad), bad, checked)


def _check_exceptions(
    session: Session, tenant_id: str | None, month_records: dict[str, dict[int, str]], start: date, end: date
) -> Check:
    """Open exceptions about the month's records. A Xero payment that would overpay is about the
    payment, so it belongs to the month of the payment's date, not of its invoice."""
    bad: list[RecordRef] = []
    for entity, labels in month_records.items():
        ids = list(labels)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            query = select(ReconException).where(
                ReconException.entity == entity,
                ReconException.local_id.in_(chunk),
                ReconException.status == ExceptionStatus.OPEN,
                ReconException.kind != OVERPAYS,
            )
            if tenant_id:
                query = query.where(ReconException.tenant_id == tenant_id)
            for exc in session.scalars(query.order_by(ReconException.id)):
                bad.append(RecordRef(entity, exc.local_id, labels.get(exc.local_id or 0, exc.label),
                                     f"open exception #{exc.id}: {exc.label or exc.kind}"))
    query = select(ReconException).where(ReconException.kind == OVERPAYS, ReconException.status == ExceptionStatus.OPEN)
    if tenant_id:
        query = query.where(ReconException.tenant_id == tenant_id)
    for exc in session.scalars(query.order_by(ReconException.id)):
        day = _payment_day(exc)
        if day is not None and start <= day < end:
            bad.append(RecordRef(exc.entity, exc.local_id, exc.label or "Payment recorded in Xero",
                                 f"open exception #{exc.id}: {exc.label or exc.kind}"))
    checked = sum(len(v) for v in month_records.values())
    return Check("exceptions_reviewed", "Exceptions reviewed", not bad, len(bad), bad, checked)


OVERPAYS = ExceptionKind.PAYMENT_OVERPAYS


def _payment_day(exc: ReconException) -> date | None:
    """The payment's date from an overpayment exception's Xero value ("50.00 on 2025-06-30")."""
    _, _, day = (exc.xero_value or "").partition(" on ")
    try:
        return date.fromisoformat(day.strip()) if day.strip() else None
    except ValueError:
        return None


def _check_compare(session: Session, tenant_id: str | None, month: str, checked: int) -> Check:
    """Passes only after a Compare with Xero for the month found no difference that was not
    already an exception (sync/verify.py keeps each month's latest result), and only while nothing
    touched the month since that compare began (compare_freshness.py): then it must run again."""
    from .compare_freshness import CompareMark, later_change
    from .verify import last_compare

    title = "Xero agrees with the ledger"
    result = last_compare(session, month)
    if result is None:
        why = "the month has not been compared with Xero yet: press Compare with Xero (or run verify)"
        return Check("xero_agrees", title, False, 1, [RecordRef("compare", None, "Compare with Xero", why)],
                     checked)
    when = str(result.get("at", ""))[:16].replace("T", " ")
    mark = CompareMark.of(result)
    change = later_change(session, tenant_id, month, mark) if mark is not None else "its time is unreadable"
    if change is not None:
        why = (f"the compare of {when} UTC is out of date: {change} since. Press Compare with Xero "
               "(or run verify) again")
        return Check("xero_agrees", title, False, 1, [RecordRef("compare", None, "Compare with Xero", why)],
                     checked)
    unexplained = int(result.get("unexplained") or 0)
    if unexplained:
        why = (f"the compare of {when} UTC found {unexplained} "
               "difference(s) no exception covered; each is now an exception: decide them, then compare again")
        return Check("xero_agrees", title, False, unexplained,
                     [RecordRef("compare", None, "Compare with Xero", why)], checked)
    return Check("xero_agrees", title, True, 0, [], checked)


# -- sign-off and export --------------------------------------------------------------------------


class SignOffRefused(ValueError):
    """Signing off a month whose checks do not pass needs an override reason."""


class AlreadySignedOff(SignOffRefused):
    """Another desk signed the month off after this one last looked; nothing was recorded here."""

    def __init__(self, signoff: ChecklistSignoff) -> None:
        self.signoff = signoff
        self.user_message = (
            f"{signoff.month} was signed off by {signoff.signed_by} on "
            f"{signoff.signed_at.astimezone():%Y-%m-%d at %H:%M}, perhaps at another desk, after this "
            "checklist was shown. Your sign-off was not recorded; the checklist now shows theirs."
        )
        super().__init__(self.user_message)


def sign_off(
    session: Session,
    month: str,
    name: str,
    note: str | None,
    override_reason: str | None = None,
    *,
    tenant_id: str | None = None,
    seen: ChecklistSignoff | None | Literal["any"] = "any",
) -> ChecklistSignoff:
    """Record that ``name`` signed the month off now, with the checklist as it stood.

    A month that does not pass can only be signed off with an override reason.
    ``seen`` is the sign-off the person was looking at (None: the month looked unsigned);
    if another desk signed since, AlreadySignedOff says who and when. The row's
    (month, version) is unique, so two desks signing at the same instant both write the
    same version and the database keeps exactly one (the caller's flush raises
    AlreadySignedOff for the other).
    """
    if not name or not name.strip():
        raise SignOffRefused("Enter the name of the person signing off.")
    tenant_id = tenant_id or get_setting(session, "tenant_id")
    checklist = compute_checklist(session, tenant_id, month)
    if not checklist.passed and not (override_reason and override_reason.strip()):
        failing = ", ".join(c.title for c in checklist.checks if not c.passed)
        raise SignOffRefused(f"These checks do not pass: {failing}. Give a reason to sign off anyway.")
    latest = latest_signoff(session, month)
    if seen != "any" and (latest.id if latest else None) != (seen.id if seen else None):
        assert latest is not None  # a sign-off never disappears
        raise AlreadySignedOff(latest)
    row = ChecklistSignoff(
        month=month,
        version=(latest.version if latest else 0) + 1,
        signed_by=name.strip()[:255],
        signed_at=utcnow(),
        note=note,
        override_reason=override_reason if not checklist.passed else None,
        results={
            c.key: {"passed": c.passed, "count": c.count, "checked": c.checked} for c in checklist.checks
        },
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # the same version was written by another desk a moment ago
        session.rollback()  # the caller's transaction is over either way: nothing of it is kept
        raise AlreadySignedOff(latest_signoff(session, month) or row) from None
    activity.log.info("Month %s signed off by %s%s.", month, row.signed_by,
                      f", although checks failed, because: {override_reason.strip()}" if row.override_reason else "")
    return row


def latest_signoff(session: Session, month: str) -> ChecklistSignoff | None:
    return session.scalars(
        select(ChecklistSignoff).where(ChecklistSignoff.month == month).order_by(ChecklistSignoff.version.desc())
    ).first()


def export_checklist_csv(
    checklist: Checklist, path: str | Path, signoff: ChecklistSignoff | None = None
) -> Path:
    """One row per check, then one per record behind a failing check; UTF-8 with BOM for Excel."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", newline="", encoding="utf-8-sig") as fh:
        out = csv.writer(fh)
        out.writerow(["month", "check", "title", "passed", "count", "checked", "entity", "record_id", "record",
                      "reason"])
        for c in checklist.checks:
            out.writerow([checklist.month, c.key, c.title, "yes" if c.passed else "no", c.count, c.checked,
                          "", "", "", ""])
            for r in c.records:
                out.writerow([checklist.month, c.key, c.title, "yes" if c.passed else "no", c.count, c.checked,
                              r.entity, "" if r.local_id is None else r.local_id, _safe(r.label),
                              _safe(r.reason)])
            for r in c.excluded:
                out.writerow([checklist.month, c.key, c.title, "yes" if c.passed else "no", c.count, c.checked,
                              r.entity, "" if r.local_id is None else r.local_id, _safe(r.label),
                              _safe("excluded: " + r.reason)])
        if signoff is not None:
            out.writerow([])
            out.writerow(["signed_off_by", _safe(signoff.signed_by), "at", local_iso(signoff.signed_at),
                          "note", _safe(signoff.note or ""), "override_reason",
                          _safe(signoff.override_reason or "")])
    return target


def _safe(text: str) -> str:
    """Stop a spreadsheet from running a cell as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
