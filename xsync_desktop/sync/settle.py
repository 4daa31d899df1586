"""Crash recovery: settle every link left "sending" before anything is sent again.

A link is "sending" from just before its request left until its answer was
recorded. If the process died (or the answer was lost) in between, Xero may or
may not hold the object. We look it up by its natural key, which outlives Xero's
6-minute Idempotency-Key window:
- contact: ContactNumber (the customer number);
- invoice: InvoiceNumber (InvoiceNumbers=...); credit note: CreditNoteNumber;
- payment: Reference "xsync:P-<external id>";
- allocation: the credit note's allocations (invoice, amount, date).
Found -> linked, not sent again. Not found -> back to "unsent"; the planner sends it.
Updates, voids and deletes are re-checked against Xero's copy or simply re-planned
(sending the same update twice changes nothing).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from ..store.models import CreditAllocation, CreditNote, Customer, Invoice, Link, Payment
from ..store.states import ItemOutcome
from ..xero.errors import NotFound
from .adopt import (
    CREDIT_NOTE_KIND,
    INVOICE_KIND,
    OR_CHUNK,
    DocKind,
    chunks,
    decide,
    find_documents,
    number_taken,
    quote,
)
from .batch_sender import Items
from .context import RunContext
from .exceptions import replaced_xero_ids
from .links import LinkBook
from .payloads import money, payment_reference
from .proof import header_differs


def _prefer_live(found: list[dict[str, Any]], status_field: str = "Status") -> dict[str, Any] | None:
    if not found:
        return None
    live = [f for f in found if str(f.get(status_field, "")).upper() not in ("DELETED", "VOIDED", "ARCHIVED")]
    return (live or found)[0]


def _aware(value: datetime | None) -> datetime | None:
    """Stored times may come back naive (SQLite): they are UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None


FOUND = "Found in Xero after an interrupted sync; linked, not sent again."


class Settler:
    """Links "sending" records to what Xero holds. restore_check.py reuses it to adopt what a
    database older than Xero does not know (then ``action`` is "adopt", with its own message)."""

    def __init__(self, ctx: RunContext, links: LinkBook, items: Items, action: str = "settle",
                 message: str = FOUND) -> None:
        self.ctx, self.links, self.items = ctx, links, items
        self.action, self.message = action, message

    def run(self) -> int:
        """Settle every "sending" link; returns how many were found in Xero."""
        sending = self.links.sending(("contact", "invoice", "credit_note", "allocation", "payment"))
        if not sending:
            return 0
        ctx = self.ctx
        ctx.report("settle", 0, len(sending), "", "Checking what an interrupted sync left unfinished")
        creates: dict[str, list[Link]] = defaultdict(list)
        for lk in sending:
            if lk.xero_id:
                self._settle_change(lk)
            else:
                creates[lk.entity].append(lk)
        found = 0
        found += self._by_key(creates["contact"], Customer, lambda c: c.customer_number, self._contacts,
                              "ContactID", "Customer")
        found += self._documents(creates["invoice"], Invoice, INVOICE_KIND)
        found += self._documents(creates["credit_note"], CreditNote, CREDIT_NOTE_KIND)
        found += self._by_key(creates["payment"], Payment, payment_reference, self._payments, "PaymentID",
                              "Payment")
        found += self._allocations(creates["allocation"])
        ctx.commit()
        ctx.report("settle", len(sending), len(sending))
        return found

    # -- used by restore_check.py on records it staged as "sending" ------------------------------------
    def documents(self, pending: list[Link], model: Any, entity: str) -> int:
        return self._documents(pending, model, INVOICE_KIND if entity == "invoice" else CREDIT_NOTE_KIND)

    def payments(self, pending: list[Link]) -> int:
        return self._by_key(pending, Payment, payment_reference, self._payments, "PaymentID", "Payment")

    def allocations(self, pending: list[Link]) -> int:
        return self._allocations(pending)

    # -- updates / voids / deletes -----------------------------------------------------------------
    def _settle_change(self, lk: Link) -> None:
        if lk.entity == "payment" and lk.pending_action == "delete":
            client = self.ctx.client
            assert client is not None
            try:
                data = client.get(f"/Payments/{lk.xero_id}")
            except NotFound:
                data = {}
            rows = data.get("Payments") or []
            if rows and str(rows[0].get("Status", "")).upper() == "DELETED":
                LinkBook.mark_linked(lk, str(lk.xero_id), lk.pending_hash, None, rows[0])
                return
        # Re-planned from the ledger: the same update sent again changes nothing in Xero,
        # and a void re-reads Xero's status before it is sent.
        LinkBook.revert(lk)

    # -- creates, by natural key -------------------------------------------------------------------
    def _by_key(self, pending: list[Link], model: Any, key_of: Callable[[Any], str],
                lookup: Callable[[list[str]], dict[str, dict[str, Any]]], id_field: str, title: str) -> int:
        if not pending:
            return 0
        records = {r.id: r for r in self.ctx.session.scalars(
            select(model).where(model.id.in_([lk.local_id for lk in pending])))}
        keys: dict[int, str] = {lk.local_id: key_of(records[lk.local_id]) for lk in pending
                                if lk.local_id in records}
        hits = lookup(sorted(set(keys.values())))
        claimed = self.links.claimed_xero_ids(pending[0].entity)
        found = 0
        for lk in pending:
            key = keys.get(lk.local_id)
            data = hits.get(key or "")
            xero_id = str(data.get(id_field) or "") if data else ""
            if not xero_id or xero_id in claimed or xero_id in replaced_xero_ids(lk):
                # not there, someone else's, or the deleted object a deliberate re-send replaces
                LinkBook.revert(lk)  # never reached Xero: the planner sends it again
                continue
            claimed.add(xero_id)
            LinkBook.mark_linked(lk, xero_id, lk.pending_hash, key, data)
            found += 1
            self.items.fail_now(lk.entity, lk.local_id, self.action, f"{title} {key}", self.message,
                                outcome=ItemOutcome.SUCCEEDED, xero_id=xero_id)
        return found

    def _documents(self, pending: list[Link], model: Any, kind: DocKind) -> int:
        """A lost invoice/credit-note create: link only the object provably the one we sent."""
        if not pending:
            return 0
        records = {r.id: r for r in self.ctx.session.scalars(
            select(model).where(model.id.in_([lk.local_id for lk in pending])))}
        hits = find_documents(self.ctx, kind, [records[lk.local_id].number for lk in pending
                                                if lk.local_id in records])
        claimed = self.links.claimed_xero_ids(kind.entity)
        found = 0
        for lk in pending:
            doc = records.get(lk.local_id)
            if doc is None:
                LinkBook.revert(lk)
                continue
            contact = self.links.xero_id("contact", doc.customer_id)
            sent_at, sent_hash = _aware(lk.pending_since), lk.pending_hash
            d = decide(doc, hits.get(doc.number, []), contact, claimed, replaced_xero_ids(lk), kind.id_field,
                       sent_at)
            LinkBook.revert(lk)  # never reached Xero, or not provably ours: not linked by number alone
            label = f"{kind.title} {doc.number}"
            if d.found is None:
                continue
            xero_id = str(d.found.get(kind.id_field))
            if not d.ours:
                message = number_taken(self.ctx, kind, doc, d.found, d.differences)
                self.items.fail_now(kind.entity, doc.id, self.action, label, message, outcome=ItemOutcome.NEEDS_REVIEW)
                continue
            claimed.add(xero_id)
            # Xero's due date or reference differ (changed there since): the ledger's are sent again.
            LinkBook.mark_linked(lk, xero_id, None if header_differs(doc, d.found) else sent_hash, doc.number,
                                 d.found)
            found += 1
            self.items.fail_now(kind.entity, doc.id, self.action, label, self.message,
                                outcome=ItemOutcome.SUCCEEDED, xero_id=xero_id)
        return found

    def _where(self, collection: str, field: str, keys: list[str], extra: dict[str, str] | None = None
               ) -> list[dict[str, Any]]:
        client = self.ctx.client
        assert client is not None
        out: list[dict[str, Any]] = []
        for chunk in chunks(keys, OR_CHUNK):
            self.ctx.check_cancel()
            where = " OR ".join(f"{field}=={quote(k)}" for k in chunk)
            params = {"where": where, **(extra or {})}
            out.extend(client.iter_pages(collection, params))
        return out

    @staticmethod
    def _group(rows: list[dict[str, Any]], field: str) -> dict[str, dict[str, Any]]:
        grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in rows:
            if r.get(field):
                grouped[str(r[field])].append(r)
        return {k: v for k, rs in grouped.items() if (v := _prefer_live(rs)) is not None}

    def _contacts(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        rows = self._where("Contacts", "ContactNumber", keys, {"includeArchived": "true"})
        return self._group(rows, "ContactNumber")

    def _payments(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        return self._group(self._where("Payments", "Reference", keys), "Reference")

    # -- allocations ---------------------------------------------------------------------------------
    def _allocations(self, pending: list[Link]) -> int:
        if not pending:
            return 0
        client = self.ctx.client
        assert client is not None
        allocs = {a.id: a for a in self.ctx.session.scalars(
            select(CreditAllocation).where(CreditAllocation.id.in_([lk.local_id for lk in pending])))}
        claimed = self.links.claimed_xero_ids("allocation")
        by_cn: dict[str, list[Link]] = defaultdict(list)
        for lk in pending:
            a = allocs.get(lk.local_id)
            cn_x = self.links.xero_id("credit_note", a.credit_note_id) if a else None
            if cn_x:
                by_cn[cn_x].append(lk)
            else:
                LinkBook.revert(lk)
        found = 0
        for cn_x, lks in by_cn.items():
            self.ctx.check_cancel()
            try:
                data = client.get(f"/CreditNotes/{cn_x}")
            except NotFound:
                data = {}
            existing = [x for cn in data.get("CreditNotes") or [] for x in cn.get("Allocations") or []
                        if not x.get("IsDeleted")]
            for lk in lks:
                a = allocs[lk.local_id]
                inv_x = self.links.xero_id("invoice", a.invoice_id)
                match = next((x for x in existing
                              if str(x.get("AllocationID")) not in claimed
                              and str((x.get("Invoice") or {}).get("InvoiceID")) == inv_x
                              and money(x.get("Amount")) == a.amount
                              and _as_date(x.get("Date")) == a.date), None)
                if match is None:
                    LinkBook.revert(lk)
                    continue
                xero_id = str(match["AllocationID"])
                claimed.add(xero_id)
                LinkBook.mark_linked(lk, xero_id, lk.pending_hash, None, match)
                found += 1
                self.items.fail_now("allocation", lk.local_id, self.action, f"Credit allocation {a.external_id}",
                                    self.message,
                                    outcome=ItemOutcome.SUCCEEDED, xero_id=xero_id)
        return found
