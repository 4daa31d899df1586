"""Invoices and credit notes: create, update (while Xero has no money on them), void.

Every check that can be made locally is made before a request: lock date,
mappings, the customer's contact (linked, not archived). Updates and voids first
read Xero's copy (50 per call) because Xero refuses to edit a document with a
payment or credit allocated, and a draft is deleted rather than voided.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, exists, or_
from sqlalchemy.orm import selectinload

from ..store.models import CreditNote, Customer, Invoice, Link
from ..store.settings import get_setting
from ..store.states import ItemOutcome, LinkState
from .adopt import (
    ADOPTED,
    CREDIT_NOTE_KIND,
    INVOICE_KIND,
    adopt,
    decide,
    find_documents,
    held_by_number,
    number_taken,
)
from .batch_sender import BatchSender, Items, Work
from .contacts import is_archived, open_archived_exception
from .context import RunContext
from .hashing import canonical_hash
from .links import LinkBook
from .mapping_check import MappingBook
from .payloads import (
    credit_note_content,
    credit_note_element,
    invoice_content,
    invoice_element,
    money,
    void_element,
)
from .reconcile.credits import dismissed_credit_note_overrides
from .reconcile.invoices import dismissed_overrides, held_invoices, reconcile_invoice, xero_side_changes
from .settings_refresh import currency_problem, enabled_currencies
from .streaming import by_ids, iter_pages, slices
from .totals_check import compare_totals
from .unchanged import CheckMarks, needs_a_look


@dataclass(frozen=True)
class Kind:
    entity: str  # invoice, credit_note
    collection: str  # Invoices, CreditNotes
    id_field: str
    number_field: str
    title: str
    count_field: str
    phase: str


INVOICE = Kind("invoice", "Invoices", "InvoiceID", "InvoiceNumber", "Invoice", "invoices_pushed", "invoices")
CREDIT_NOTE = Kind("credit_note", "CreditNotes", "CreditNoteID", "CreditNoteNumber", "Credit note",
                   "credit_notes_pushed", "credit_notes")


@dataclass
class Scope:
    """What this run may push: nothing dated before the sync start date (simply not planned),
    and on a retry only the records being retried (and what they depend on)."""

    start_date: date | None
    lock_date: date | None
    only: set[tuple[str, int]] | None

    def wanted(self, entity: str, local_id: int, day: date) -> bool:
        if self.start_date is not None and day < self.start_date:
            return False
        return self.only is None or (entity, local_id) in self.only

    def locked(self, day: date) -> bool:
        return self.lock_date is not None and day <= self.lock_date


def fmt(day: date) -> str:
    return day.strftime("%d %b %Y")


def lock_message(label: str, day: date, lock: date) -> str:
    return (f"{label} is dated {fmt(day)}, on or before Xero's lock date ({fmt(lock)}), so Xero will not accept "
            "it. Ask your accountant to move the lock date, or date it later in the ledger; or skip it.")


def content_of(kind: Kind, doc: Any, lat: str) -> str:
    return canonical_hash(invoice_content(doc, lat) if kind is INVOICE else credit_note_content(doc, lat))


def _model(kind: Kind) -> Any:
    return Invoice if kind is INVOICE else CreditNote


def _with_lines(kind: Kind) -> tuple[Any, ...]:
    model_lines: Any = _model(kind).lines
    return (selectinload(model_lines),)


def iter_documents(ctx: RunContext, kind: Kind, links: LinkBook | None = None, *criteria: Any) -> Iterator[Any]:
    """Every document of a kind (matching `criteria`) with its lines, in id order, a page at a time
    (streaming.py); with `links`, each page's own links (and its customers' contact links) are read with it."""
    def prefetch(page: list[Any]) -> None:
        assert links is not None
        links.prefetch(kind.entity, [d.id for d in page], ("contact", [d.customer_id for d in page]))

    return iter_pages(ctx.session, _model(kind), *criteria, options=_with_lines(kind),
                      on_page=prefetch if links is not None else None)


def documents_by_id(ctx: RunContext, kind: Kind, ids: list[int]) -> list[Any]:
    return by_ids(ctx.session, _model(kind), ids, _with_lines(kind))


def _not_in_xero(ctx: RunContext, kind: Kind) -> Any:
    """SQL: the document has no link to a Xero object and none on its way ("sending")."""
    model = _model(kind)
    return ~exists().where(Link.tenant_id == ctx.tenant_id, Link.entity == kind.entity, Link.local_id == model.id,
                           or_(and_(Link.xero_id.is_not(None), Link.xero_id != ""), Link.state == LinkState.SENDING))


def needed_customers(ctx: RunContext, links: LinkBook, scope: Scope) -> set[int]:
    """Customers whose documents this run will create: they must have a contact first.

    Only authorised documents not yet in Xero are read (the database leaves the others out),
    without their lines (a skipped one's are read to hash it): with nothing new to send this
    reads nothing, instead of every document of the ledger before the first Xero call.
    """
    lat = get_setting(ctx.session, "line_amount_types") or "Exclusive"
    out: set[int] = set()
    for kind in (INVOICE, CREDIT_NOTE):
        model = _model(kind)
        for doc in iter_pages(ctx.session, model, model.status == "authorised", _not_in_xero(ctx, kind),
                              on_page=lambda page, k=kind: links.prefetch(k.entity, [d.id for d in page])):
            if doc.status != "authorised" or not scope.wanted(kind.entity, doc.id, doc.issue_date):
                continue
            lk = links.get(kind.entity, doc.id)
            if lk is not None and (lk.xero_id or lk.state == LinkState.SENDING):
                continue
            if lk is not None and lk.state == LinkState.SKIPPED and lk.pending_hash == content_of(kind, doc, lat):
                continue
            out.add(doc.customer_id)
    return out


class DocumentPhase:
    def __init__(self, ctx: RunContext, links: LinkBook, items: Items, sender: BatchSender,
                 book: MappingBook, scope: Scope, kind: Kind) -> None:
        self.ctx, self.links, self.items, self.sender = ctx, links, items, sender
        self.book, self.scope, self.kind = book, scope, kind
        self.lat = get_setting(ctx.session, "line_amount_types") or "Exclusive"
        self.create_status = (get_setting(ctx.session, "invoice_status") or "AUTHORISED").upper()
        self.currencies = enabled_currencies(ctx.session, ctx.tenant_id)

    def label(self, doc: Any) -> str:
        return f"{self.kind.title} {doc.number}"

    def run(self) -> None:
        """Plan from a page of documents at a time (ids only are kept), then load, build and send a
        slice at a time: creates, then updates and voids (which read Xero's copies first).

        Documents proven unchanged since they were sent are left out by the database (unchanged.py);
        one found unchanged here is proven so for the next plan."""
        kind, links, scope = self.kind, self.links, self.scope
        creates: list[int] = []
        updates: list[int] = []
        voids: list[int] = []
        model = _model(kind)
        marks = CheckMarks(self.ctx.session)
        for doc in iter_documents(self.ctx, kind, links, model.status.in_(("authorised", "void")),
                                  needs_a_look(self.ctx.tenant_id, kind.entity, model)):
            if doc.status not in ("authorised", "void") or not scope.wanted(kind.entity, doc.id, doc.issue_date):
                continue
            lk = links.get(kind.entity, doc.id)
            if lk is not None and lk.state == LinkState.SENDING:
                continue
            if doc.status == "void" and (lk is None or not lk.xero_id):
                continue  # void and never in Xero: nothing to send, ever
            h = content_of(kind, doc, self.lat)
            if lk is not None and lk.state == LinkState.SKIPPED and lk.pending_hash == h:
                continue
            linked = lk is not None and bool(lk.xero_id)
            if linked and lk is not None and lk.state == LinkState.LINKED and lk.pushed_hash == h:
                marks.add(lk, doc.revision, h)
            if doc.status == "authorised":
                if not linked:
                    creates.append(doc.id)
                elif lk is not None and lk.pushed_hash != h:
                    updates.append(doc.id)
            elif linked and lk is not None and lk.pushed_hash != h:
                voids.append(doc.id)
        marks.flush()
        if kind is INVOICE and updates:
            # An open exception on the invoice (both sides changed, amounts changed in Xero...)
            # keeps Xero's value for a person to decide: the ledger's edit waits, quietly (the
            # exception says why), and costs no request.
            held = held_invoices(self.ctx.session, self.ctx.tenant_id, updates)
            updates = [i for i in updates if i not in held]
        if creates:
            # Xero has another document with this number (exception open): nothing is sent
            # until a person links it or renumbers the ledger record.
            held_numbers = held_by_number(self.ctx, kind.entity)
            creates = [i for i in creates if i not in held_numbers]
        total = len(creates) + len(updates) + len(voids)
        if total == 0:
            return
        self.ctx.report(kind.phase, 0, total, "", f"{total} to send")
        done = 0
        for ids in slices(creates):
            docs = self._slice(ids)
            works = [w for doc in docs if (w := self._create_work(doc)) is not None]
            self.sender.send(kind.phase, kind.collection, "PUT", works, kind.id_field, done_offset=done, total=total)
            self._archived_from_rejections(works, {d.id: d for d in docs})
            self._numbers_taken(works, {d.id: d for d in docs})
            done += len(ids)
        void_ids = set(voids)
        for ids in slices(updates + voids):
            docs = self._slice(ids)
            current = self._xero_copies(docs)
            upd = [w for doc in docs if doc.id not in void_ids and (w := self._update_work(doc, current)) is not None]
            self.sender.send(kind.phase, kind.collection, "POST", upd, kind.id_field, done_offset=done, total=total)
            done += sum(1 for i in ids if i not in void_ids)
            vds = [w for doc in docs if doc.id in void_ids and (w := self._void_work(doc, current)) is not None]
            self.sender.send(kind.phase, kind.collection, "POST", vds, kind.id_field, done_offset=done, total=total)
            done += sum(1 for i in ids if i in void_ids)
        self.ctx.commit()

    def _slice(self, ids: list[int]) -> list[Any]:
        """A slice of documents with their lines, their links and their customers' contact links."""
        docs = documents_by_id(self.ctx, self.kind, ids)
        self.links.prefetch(self.kind.entity, ids, ("contact", [d.customer_id for d in docs]))
        return docs

    def _archived_from_rejections(self, works: list[Work], docs: dict[int, Any]) -> None:
        """Xero refused a document because its contact is archived: that needs a person."""
        for w in works:
            text = " ".join((w.item.xero_messages or []) if w.item else []).lower()
            if w.item is None or w.item.outcome != ItemOutcome.FAILED or "archived" not in text:
                continue
            doc = docs[w.local_id]
            lk = self.links.get("contact", doc.customer_id)
            if lk is not None and lk.xero_id:
                snap = dict(lk.xero_snapshot or {})
                snap["ContactStatus"] = "ARCHIVED"
                lk.xero_snapshot = snap
                open_archived_exception(self.ctx, doc.customer, lk.xero_id, str(snap.get("Name") or ""))
        self.ctx.commit()

    def _numbers_taken(self, works: list[Work], docs: dict[int, Any]) -> None:
        """Xero refused a create because its number is taken: ours (a database older than Xero),
        adopted; someone else's, a "number already used in Xero" exception. Costs calls only
        when Xero refused a number."""
        refused = [w for w in works if w.item is not None and w.item.outcome == ItemOutcome.FAILED
                   and "must be unique" in " ".join(w.item.xero_messages or []).lower()]
        if not refused:
            return
        kind = INVOICE_KIND if self.kind is INVOICE else CREDIT_NOTE_KIND
        hits = find_documents(self.ctx, kind, [docs[w.local_id].number for w in refused])
        claimed = self.links.claimed_xero_ids(kind.entity)
        for w in refused:
            doc = docs[w.local_id]
            item = w.item
            assert item is not None
            d = decide(doc, hits.get(doc.number, []), self.links.xero_id("contact", doc.customer_id), claimed, (),
                       kind.id_field)
            if d.found is None:
                continue
            if d.ours:
                xero_id = str(d.found.get(kind.id_field))
                claimed.add(xero_id)
                adopt(self.links, kind.entity, doc.id, xero_id, w.content_hash, doc.number, d.found)
                self.ctx.reclassify_item(item, ItemOutcome.SUCCEEDED, ADOPTED, xero_id)
            else:
                self.ctx.reclassify_item(item, ItemOutcome.NEEDS_REVIEW, number_taken(self.ctx, kind, doc, d.found, d.differences))
        self.ctx.commit()

    # -- checks shared by create and update -------------------------------------------------------
    def _precheck(self, doc: Any, action: str, check_contact: bool) -> str | None:
        label = self.label(doc)
        if self.scope.locked(doc.issue_date):
            assert self.scope.lock_date is not None
            self.items.fail_now(self.kind.entity, doc.id, action, label,
                                lock_message(label, doc.issue_date, self.scope.lock_date))
            return None
        if action != "void":
            wrong_currency = currency_problem(self.ctx.session, self.ctx.tenant_id, label, doc.currency,
                                              self.currencies)
            if wrong_currency:
                self.items.fail_now(self.kind.entity, doc.id, action, label, wrong_currency)
                return None
            problems = self.book.document_problems([ln.charge_type for ln in doc.lines], doc.facility_id)
            if problems:
                self.items.fail_now(self.kind.entity, doc.id, action, label,
                                    " ".join(p.message for p in problems))
                return None
        if not check_contact:
            return ""
        contact_link = self.links.get("contact", doc.customer_id)
        customer: Customer = doc.customer
        if contact_link is None or not contact_link.xero_id or contact_link.state == LinkState.SENDING:
            self.items.fail_now(self.kind.entity, doc.id, action, label,
                                f"Customer {customer.name} is not in Xero yet, so {label} was not sent. "
                                "Fix the customer's item first (see this run's contacts), then retry.")
            return None
        if is_archived(contact_link.xero_snapshot):
            open_archived_exception(self.ctx, customer, contact_link.xero_id,
                                    str((contact_link.xero_snapshot or {}).get("Name") or customer.name))
            self.items.fail_now(self.kind.entity, doc.id, action, label,
                                f"The Xero contact for {customer.name} is archived, and archived contacts are never "
                                "used for new invoices. Restore it in Xero or decide in Exceptions, then retry.")
            return None
        return contact_link.xero_id

    def _build(self, doc: Any, contact_id: str, xero_id: str | None, status: str | None) -> Any:
        if self.kind is INVOICE:
            built = invoice_element(doc, contact_id, self.book, status=status or self.create_status,
                                    line_amount_types=self.lat, xero_id=xero_id)
        else:
            built = credit_note_element(doc, contact_id, self.book, status=status or self.create_status,
                                        line_amount_types=self.lat, xero_id=xero_id)
        if status is None:
            built.element.pop("Status", None)  # an update keeps Xero's status
        return built

    def _create_work(self, doc: Any) -> Work | None:
        contact_id = self._precheck(doc, "create", True)
        if not contact_id:
            return None
        built = self._build(doc, contact_id, None, self.create_status)
        return Work(self.kind.entity, doc.id, "create", self.label(doc), built.element, built.content_hash,
                    natural_key=doc.number, count_field=self.kind.count_field, after=self._totals_of(doc),
                    revision=doc.revision)

    # -- updates and voids read Xero's copy first ----------------------------------------------------
    def _xero_copies(self, docs: list[Any]) -> dict[str, dict[str, Any]]:
        ids = [xid for d in docs if (xid := self.links.xero_id(self.kind.entity, d.id))]
        out: dict[str, dict[str, Any]] = {}
        client = self.ctx.client
        assert client is not None or not ids
        for start in range(0, len(ids), 50):
            chunk = ids[start:start + 50]
            self.ctx.check_cancel()
            if self.kind is INVOICE:
                data = client.get("/Invoices", params={"IDs": ",".join(chunk), "pageSize": 100, "unitdp": 4})
                for x in data.get("Invoices") or []:
                    out[str(x.get("InvoiceID"))] = x
            else:
                for xid in chunk:
                    data = client.get(f"/CreditNotes/{xid}", params={"unitdp": 4})
                    for x in data.get("CreditNotes") or []:
                        out[str(x.get("CreditNoteID"))] = x
        return out

    def _money_on(self, x: dict[str, Any]) -> bool:
        if self.kind is INVOICE:
            return money(x.get("AmountPaid")) > 0 or money(x.get("AmountCredited")) > 0 or x.get("Status") == "PAID"
        return (x.get("Status") == "PAID" or bool(x.get("Allocations")) or bool(x.get("Payments")))

    def _update_work(self, doc: Any, current: dict[str, dict[str, Any]]) -> Work | None:
        label = self.label(doc)
        xero_id = self.links.xero_id(self.kind.entity, doc.id)
        contact_id = self._precheck(doc, "update", True)
        if not contact_id or not xero_id:
            return None
        x = current.get(xero_id)
        if x is not None and self.kind is INVOICE and not self._xero_side_settled(doc, x):
            return None
        if x is not None and self.kind is CREDIT_NOTE and self._credit_note_held(doc, x):
            return None
        if x is None or x.get("Status") in ("VOIDED", "DELETED"):
            self.items.fail_now(self.kind.entity, doc.id, "update", label,
                                f"{label} changed in the ledger, but Xero's copy is voided or deleted, so the change "
                                "was not sent. Check Exceptions after the sync.", outcome=ItemOutcome.NEEDS_REVIEW,
                                xero_id=xero_id)
            return None
        if self._money_on(x):
            self.items.fail_now(self.kind.entity, doc.id, "update", label,
                                f"{label} changed in the ledger, but Xero has a payment or credit on it, so Xero will "
                                "not accept the change. Remove the payment in Xero (or credit the difference in the "
                                "ledger), then retry.", outcome=ItemOutcome.NEEDS_REVIEW, xero_id=xero_id)
            return None
        built = self._build(doc, contact_id, xero_id, None)
        element = built.element
        if self.kind is INVOICE:
            overrides, held = dismissed_overrides(self.ctx.session, self.ctx.tenant_id, doc)
        else:
            overrides, held = dismissed_credit_note_overrides(self.ctx.session, self.ctx.tenant_id, doc)
        if held:
            self.items.fail_now(self.kind.entity, doc.id, "update", label,
                                f"{label} changed in the ledger, but a difference with Xero on it was dismissed "
                                "(\"leave both as they are\"), so nothing was sent. Change the ledger again or "
                                "decide in Xero.", outcome=ItemOutcome.SKIPPED, xero_id=xero_id)
            return None
        # A dismissed both-sides conflict: Xero keeps its value for that field.
        if "due_date" in overrides:
            element = {**element, "DueDate": date.fromisoformat(overrides["due_date"])}
        if "reference" in overrides:
            element = {**element, "Reference": overrides["reference"]}
        return Work(self.kind.entity, doc.id, "update", label, element, built.content_hash,
                    natural_key=doc.number, count_field=self.kind.count_field, after=self._totals_of(doc),
                    revision=doc.revision)

    def _totals_of(self, doc: Any) -> Any:
        """The check run on Xero's answer: its SubTotal, TotalTax and Total against the ledger's."""
        def check(_work: Work, answer: dict[str, Any]) -> str | None:
            return compare_totals(self.ctx, self.kind.entity, self.kind.title, doc, answer, self.lat)
        return check

    def _credit_note_held(self, doc: Any, x: dict[str, Any]) -> bool:
        """Credit notes get the invoices' both-sides rule (reconcile/credits.py): held, raised."""
        from .reconcile.credits import credit_note_held

        lk = self.links.get(CREDIT_NOTE.entity, doc.id)
        if lk is None or not credit_note_held(self.ctx, doc, lk, x):
            return False
        label = self.label(doc)
        self.items.fail_now(self.kind.entity, doc.id, "update", label,
                            f"{label} changed in the ledger, but someone changed it in Xero too, so the ledger's "
                            "change was not sent and Xero's values are kept. Decide in Exceptions.",
                            outcome=ItemOutcome.NEEDS_REVIEW, xero_id=lk.xero_id)
        return True

    def _xero_side_settled(self, doc: Any, x: dict[str, Any]) -> bool:
        """Did Xero change this invoice too since we last saw it? Then never overwrite it blindly.

        Xero's change goes through the same rules as the pull (reconcile_invoice), told that the
        ledger changed: due date or reference changed on both sides, amounts, contact or currency
        changed, deleted -> an exception keeps both values and the update is held (needs review);
        voided with no ledger payments -> the void is applied. True when the update may still go
        (e.g. both sides made the same change).
        """
        lk = self.links.get(INVOICE.entity, doc.id)
        if lk is None or not xero_side_changes(lk, x):
            return True
        raised = reconcile_invoice(self.ctx, x, lk, ledger_changed=True, review_items=False,
                                   contact_xero_id=self.links.xero_id("contact", doc.customer_id))
        if doc.status != "authorised":
            return False  # Xero's void was applied to the ledger: nothing left to update
        if not held_invoices(self.ctx.session, self.ctx.tenant_id, [doc.id]):
            return True
        label = self.label(doc)
        fields = ", ".join(f.replace("_", " ") for f in raised) or "it"
        self.items.fail_now(self.kind.entity, doc.id, "update", label,
                            f"{label} changed in the ledger, but someone changed {fields} in Xero too, so the "
                            "ledger's change was not sent and Xero's values are kept. Decide in Exceptions "
                            "(accept Xero's value or keep the ledger's).", outcome=ItemOutcome.NEEDS_REVIEW,
                            xero_id=lk.xero_id)
        return False

    def _void_work(self, doc: Any, current: dict[str, dict[str, Any]]) -> Work | None:
        label = self.label(doc)
        xero_id = self.links.xero_id(self.kind.entity, doc.id)
        if not xero_id or self._precheck(doc, "void", False) is None:
            return None
        lk = self.links.get(self.kind.entity, doc.id)
        assert lk is not None
        h = content_of(self.kind, doc, self.lat)
        x = current.get(xero_id)
        if x is not None and x.get("Status") in ("VOIDED", "DELETED"):
            LinkBook.mark_linked(lk, xero_id, h, doc.number, x)
            self.items.fail_now(self.kind.entity, doc.id, "void", label, "Already void in Xero; nothing sent.",
                                outcome=ItemOutcome.SUCCEEDED, xero_id=xero_id)
            return None
        if x is not None and self._money_on(x):
            self.items.fail_now(self.kind.entity, doc.id, "void", label,
                                f"{label} is void in the ledger, but Xero has a payment or credit on it, so Xero "
                                "will not void it. Remove the payment in Xero, then retry.", outcome=ItemOutcome.NEEDS_REVIEW,
                                xero_id=xero_id)
            return None
        status = (x or {}).get("Status") or (lk.xero_snapshot or {}).get("Status")
        element = void_element(self.kind.entity, xero_id, status)
        return Work(self.kind.entity, doc.id, "void", label, element, h, natural_key=doc.number,
                    count_field=self.kind.count_field, success_message="Voided in Xero." if
                    element["Status"] == "VOIDED" else "Deleted in Xero (it was a draft).", revision=doc.revision)
