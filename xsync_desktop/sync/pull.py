"""Pull: what changed in Xero since the last watermark, handed to reconcile.

Four phases, each with its own watermark: payments first (so a bookkeeper who deleted
payments and then voided the invoice is seen in that order), then invoices, then credit
notes (credit applied or removed in Xero), then contacts. Each phase:

- asks with If-Modified-Since = the watermark and pageSize 1000 (one call when nothing
  changed);
- takes its cap from Xero's clock before its first page is read: the Date of the
  client's latest answer (a push batch or the previous phase), stamped before this
  phase's request left; with no earlier answer, the Date of its first answer less
  CAP_MARGIN. A record changed in Xero while the phase was reading, or just after, has
  an UpdatedDateUTC after the cap and is read again next time, whatever page it was on;
- records its page after each page, so a run stopped mid-way resumes at that page with
  the same cap (Watermark.resume_page / resume_upper);
- moves the watermark, only when every page was read and every record handled, to the
  earlier of the cap and the latest UpdatedDateUTC it saw, less a second (If-Modified-Since
  is exclusive and to the second). Both are Xero's own times, so a local clock that is
  wrong moves nothing, and a sync right after a sync reads back only the last second of
  changes (one call per collection), not everything the push just wrote. A record that
  failed leaves the watermark where it was, so it is read again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from .. import activity
from ..store.models import Customer, Invoice, Link, Payment, Watermark
from ..store.states import ItemOutcome, LinkState
from ..store.types import utcnow
from .context import RunContext
from .links import updated_utc
from .reconcile.contacts import reconcile_contact
from .reconcile.credits import reconcile_credit_note
from .reconcile.invoices import reconcile_invoice
from .reconcile.payments import reconcile_payment
from .reconcile.write_backs import links_by_xero_id

log = logging.getLogger(__name__)

PAGE_SIZE = 1000
# Used only when Xero's answer carries no Date: the local clock, with room for its error.
SAFETY_OVERLAP = timedelta(minutes=5)
# A Date stamped on the phase's own first answer comes a little after the page was read.
CAP_MARGIN = timedelta(seconds=5)
# If-Modified-Since is exclusive and to the second: one second back keeps that second's other changes.
SECOND = timedelta(seconds=1)
# With no watermark yet, look back this far before the earliest link: nothing of ours
# in Xero is older than our first push of it.
FIRST_PULL_MARGIN = timedelta(days=1)
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)

Handler = Callable[[RunContext, list[dict[str, Any]]], int]


#: a collection's records, as people say them ("1 credit note read from Xero")
_RECORD_WORDS = {"CreditNotes": "credit note"}

def pull_and_reconcile(ctx: RunContext) -> None:
    """The engine's pull/reconcile step, after its push phases (see module docstring)."""
    if ctx.client is None or ctx.dry_run or ctx.only_records is not None:
        # Dry runs send nothing and change nothing; a retry run only redoes its items.
        return
    _pull_phase(ctx, "pull_payments", "Payments", {}, "invoice", _handle_payments)
    # unitdp=4: unit amounts compared with the ledger's (4 places) must not come back rounded to 2
    _pull_phase(ctx, "pull_invoices", "Invoices", {"unitdp": 4}, "invoice", _handle_invoices)
    _pull_phase(ctx, "pull_credit_notes", "CreditNotes", {"unitdp": 4}, "credit_note", _handle_credit_notes)
    _pull_phase(ctx, "pull_contacts", "Contacts", {"includeArchived": "true"}, "contact", _handle_contacts)


def get_watermark(session: Any, tenant_id: str, name: str) -> Watermark | None:
    return session.scalars(
        select(Watermark).where(Watermark.tenant_id == tenant_id, Watermark.name == name)
    ).first()


def _first_since(ctx: RunContext, link_entity: str) -> datetime | None:
    earliest = ctx.session.scalar(
        select(func.min(func.coalesce(Link.pending_since, Link.pushed_at, Link.last_synced_at))).where(
            Link.tenant_id == ctx.tenant_id, Link.entity == link_entity
        )
    )
    if earliest is None:
        return None
    if isinstance(earliest, str):  # func.min loses the column type on SQLite
        earliest = datetime.fromisoformat(earliest)
    if earliest.tzinfo is None:
        earliest = earliest.replace(tzinfo=UTC)
    return earliest - FIRST_PULL_MARGIN


def _has_links(ctx: RunContext, entity: str) -> bool:
    return (
        ctx.session.scalar(
            select(Link.id).where(Link.tenant_id == ctx.tenant_id, Link.entity == entity).limit(1)
        )
        is not None
    )


def _pull_phase(
    ctx: RunContext,
    name: str,
    collection: str,
    params: dict[str, Any],
    link_entity: str,
    handle: Handler,
) -> None:
    session = ctx.session
    wm = get_watermark(session, ctx.tenant_id, name)
    cap: datetime | None = None
    page = 1
    if wm is not None and wm.resume_upper is not None:
        cap = wm.resume_upper
        page = max(1, wm.resume_page or 1)
    if not _has_links(ctx, link_entity):
        # Nothing linked: nothing in Xero can be ours yet. Later links start from their push.
        return
    since = wm.value if wm is not None else _first_since(ctx, link_entity)
    if wm is None:
        # No since at all (links without timestamps): read everything, from the epoch.
        wm = Watermark(tenant_id=ctx.tenant_id, name=name, value=since or EPOCH)
        session.add(wm)
    since_for_request = None if wm.value <= EPOCH else wm.value
    if cap is None:
        cap = _server_time(ctx)
    wm.resume_upper = cap
    wm.resume_page = page
    ctx.commit()

    phase = name
    failures = 0
    handled = 0
    latest: datetime | None = None  # the latest UpdatedDateUTC seen in this phase
    ctx.report(phase, 0, 0, message=f"Reading {collection.lower()} changed in Xero")
    while True:
        ctx.check_cancel()
        assert ctx.client is not None
        body = ctx.client.get(
            f"/{collection}",
            params={**params, "page": page, "pageSize": PAGE_SIZE},
            if_modified_since=since_for_request,
        )
        if cap is None:  # no earlier answer: this one's Date, less the time Xero took to answer
            server = _server_time(ctx)
            cap = server - CAP_MARGIN if server is not None else utcnow() - SAFETY_OVERLAP
            wm.resume_upper = cap
        items = [i for i in (body.get(collection) or []) if isinstance(i, dict)]
        latest = _latest(items, latest)
        if items:
            failures += handle(ctx, items)
            handled += len(items)
        word = _RECORD_WORDS.get(collection, collection.lower().rstrip("s"))
        ctx.report(phase, handled, handled, message=f"{activity.plural(handled, word)} read from Xero")
        pagination = body.get("pagination") or {}
        page_count = pagination.get("pageCount") if isinstance(pagination, dict) else None
        last = len(items) < PAGE_SIZE or (isinstance(page_count, int) and page >= page_count)
        if last:
            break
        page += 1
        wm.resume_page = page
        ctx.commit()

    if failures:
        # Read again from the old watermark next time: the failed records are not lost.
        log.warning("%s: %d record(s) failed; watermark not advanced", name, failures)
    else:
        assert cap is not None
        wm.value = max(next_watermark(cap, latest), wm.value)
    wm.resume_upper = None
    wm.resume_page = None
    ctx.commit()


def next_watermark(cap: datetime, latest: datetime | None) -> datetime:
    """Where the next pull starts: the earlier of the cap and the latest change seen, less a second.

    Nothing seen: nothing changed in Xero between the watermark and the cap, so the cap.
    """
    return (cap if latest is None else min(cap, latest)) - SECOND


def _server_time(ctx: RunContext) -> datetime | None:
    """Xero's clock as of the client's latest answer (its Date header); None before any answer."""
    server = getattr(ctx.client, "server_time", None)
    return server if isinstance(server, datetime) else None


def _latest(items: list[dict[str, Any]], latest: datetime | None) -> datetime | None:
    for item in items:
        value = updated_utc(item)
        if value is not None:
            value = value if value.tzinfo else value.replace(tzinfo=UTC)
            if latest is None or value > latest:
                latest = value
    return latest


def _guarded(ctx: RunContext, entity: str, label: str, xero_id: str | None, fn: Callable[[], None]) -> int:
    """Run one record's reconcile; a bug or bad data in one record fails that record only."""
    try:
        fn()
        return 0
    except Exception as exc:  # noqa: BLE001 - recorded as a failed item, phase continues
        from sqlalchemy.exc import OperationalError

        from ..xero.errors import XeroError
        from .progress import Cancelled

        # The database failing (disk full, locked, I/O) is not this record's fault: stop the run,
        # which then says so plainly, instead of failing every record after it.
        if isinstance(exc, Cancelled | XeroError | OperationalError):
            raise
        ctx.session.rollback()
        log.exception("reconcile of %s %s failed", entity, xero_id)
        item = ctx.start_item(entity, None, "reconcile", label, xero_id=xero_id)
        ctx.finish_item(item, ItemOutcome.FAILED, f"Could not reconcile this record: {type(exc).__name__}: {exc}")
        return 1


def _preload(ctx: RunContext, model: Any, ids: list[int]) -> list[Any]:
    """Load a page's ledger rows in a few queries, so reconcile's session.get() per record hits
    the identity map (the returned list keeps them there) instead of one query each."""
    wanted = sorted({i for i in ids if i is not None})
    out: list[Any] = []
    for start in range(0, len(wanted), 500):
        out.extend(ctx.session.scalars(select(model).where(model.id.in_(wanted[start:start + 500]))))
    return out


def _contact_ids(ctx: RunContext, invoices: list[Invoice]) -> dict[int, str]:
    """Customer id -> its Xero ContactID, for a page of invoices (one query per 500)."""
    customers = sorted({inv.customer_id for inv in invoices})
    out: dict[int, str] = {}
    for start in range(0, len(customers), 500):
        rows = ctx.session.execute(
            select(Link.local_id, Link.xero_id).where(
                Link.tenant_id == ctx.tenant_id, Link.entity == "contact",
                Link.local_id.in_(customers[start:start + 500]))
        )
        out.update({local_id: xero_id for local_id, xero_id in rows if xero_id})
    return out


def _handle_payments(ctx: RunContext, items: list[dict[str, Any]]) -> int:
    pay_links = links_by_xero_id(ctx.session, ctx.tenant_id, "payment", [str(p.get("PaymentID")) for p in items])
    inv_ids = [str((p.get("Invoice") or {}).get("InvoiceID") or "") for p in items]
    all_inv_links = links_by_xero_id(ctx.session, ctx.tenant_id, "invoice", inv_ids)
    inv_links = {k: v for k, v in all_inv_links.items() if v.state != LinkState.SENDING}
    # Invoices whose last send is not settled: their payments wait (see reconcile_payment).
    unsettled = {k for k, v in all_inv_links.items() if v.state == LinkState.SENDING}
    pays = _preload(ctx, Payment, [lk.local_id for lk in pay_links.values()])
    invs = _preload(ctx, Invoice, [lk.local_id for lk in inv_links.values()] + [p.invoice_id for p in pays])
    failures = 0
    parked: list[str] = []
    for xp in items:
        pid = str(xp.get("PaymentID") or "")
        failures += _guarded(
            ctx, "payment", f"Xero payment {pid}", pid,
            lambda xp=xp: reconcile_payment(ctx, xp, pay_links, inv_links, unsettled, parked),  # type: ignore[misc]
        )
    ctx.commit()
    if parked:
        # Never move the bookmark past a payment not applied yet: it is read again next run.
        log.info("pull_payments: %d payment(s) wait for their invoice's send to settle", len(parked))
        failures += len(parked)
    del pays, invs
    return failures


def _handle_invoices(ctx: RunContext, items: list[dict[str, Any]]) -> int:
    ours = [i for i in items if str(i.get("Type") or "ACCREC").upper() == "ACCREC"]
    links = links_by_xero_id(ctx.session, ctx.tenant_id, "invoice", [str(i.get("InvoiceID")) for i in ours])
    invs = _preload(ctx, Invoice, [lk.local_id for lk in links.values()])
    contact_of = _contact_ids(ctx, invs)
    customer_of = {inv.id: inv.customer_id for inv in invs}
    failures = 0
    for xi in ours:
        link = links.get(str(xi.get("InvoiceID")))
        if link is None or link.state == LinkState.SENDING:
            continue  # not ours, or a push still settling it
        contact = contact_of.get(customer_of.get(link.local_id, -1))
        failures += _guarded(
            ctx, "invoice", f"Invoice {xi.get('InvoiceNumber') or ''}", link.xero_id,
            lambda xi=xi, link=link, contact=contact: reconcile_invoice(  # type: ignore[misc]
                ctx, xi, link, contact_xero_id=contact),
        )
    ctx.commit()
    del invs
    return failures


def _linked_and_settled(ctx: RunContext, items: list[dict[str, Any]], entity: str,
                        id_key: str) -> Iterator[tuple[dict[str, Any], Link]]:
    """The Xero objects of a page that are linked to a ledger record, with their link; one whose
    last send is not settled ("sending") is left to the push, which settles it first."""
    links = links_by_xero_id(ctx.session, ctx.tenant_id, entity, [str(i.get(id_key)) for i in items])
    for item in items:
        link = links.get(str(item.get(id_key)))
        if link is not None and link.state != LinkState.SENDING:
            yield item, link


def _handle_credit_notes(ctx: RunContext, items: list[dict[str, Any]]) -> int:
    """Credit applied or removed in Xero on linked credit notes (reconcile/credits.py)."""
    failures = 0
    parked: list[str] = []
    for xc, link in _linked_and_settled(ctx, items, "credit_note", "CreditNoteID"):
        failures += _guarded(
            ctx, "credit_note", f"Credit note {xc.get('CreditNoteNumber') or ''}", link.xero_id,
            lambda xc=xc, link=link: reconcile_credit_note(ctx, xc, link, parked),  # type: ignore[misc]
        )
    ctx.commit()
    return failures + len(parked)  # a parked credit note holds the bookmark: read again next run


def _handle_contacts(ctx: RunContext, items: list[dict[str, Any]]) -> int:
    linked = list(_linked_and_settled(ctx, items, "contact", "ContactID"))
    # One query per 500 customers: a get() each ran a SELECT per contact after flushing the
    # previous contact's link, two statements per contact for a page of up to 1,000.
    customers = _preload(ctx, Customer, [link.local_id for _, link in linked])
    failures = 0
    for xc, link in linked:
        failures += _guarded(
            ctx, "contact", f"Contact {xc.get('Name') or ''}", link.xero_id,
            lambda xc=xc, link=link: reconcile_contact(ctx, xc, link),  # type: ignore[misc]
        )
    ctx.commit()
    del customers
    return failures
