"""A database older than the organisation: adopt what Xero already holds before sending creates.

A restored backup, an emptied database file, or a fresh profile on a new PC importing the
same ledger knows nothing of objects this app already made in Xero. A payment with no link
would simply be created again (Xero has no uniqueness rule for payments, and the
Idempotency-Key window is six minutes). So before any create is sent:

1. a cheap check decides whether the full look-up is needed (``needs_adoption``): the sync
   generation in the database is behind the profile's marker file (generation.py), or this
   database has never linked anything for the organisation and Xero already holds ledger
   invoice numbers or this app's payment references (2 calls);
2. then every record about to be created is looked up by its natural key, with the same
   proof as a lost create (settle.py / proof.py): invoices and credit notes by number (40
   a call) with contact, total and lines; payments by their ``xsync:P-<id>`` reference
   (10 a call); credit allocations on their (adopted) credit note. Contacts are adopted
   by contact number in the contact phase, which reads Xero's contact list anyway.
Adopted records get an item "Already in Xero: adopted" (outcome succeeded).
"""

from __future__ import annotations

import logging
from itertools import islice
from pathlib import Path

from sqlalchemy import select

from ..store.models import CreditAllocation, CreditNote, Invoice, Link, Payment
from ..store.settings import get_setting
from ..store.states import LinkState
from .adopt import NUMBERS_CHUNK, held_by_number
from .batch_sender import Items
from .context import RunContext
from .documents import CREDIT_NOTE, INVOICE, Kind, Scope, content_of, iter_documents
from .generation import database_is_behind
from .hashing import canonical_hash
from .links import LinkBook
from .payloads import PAYMENT_REF_PREFIX, allocation_content
from .payments import payment_element_hash
from .settle import Settler

log = logging.getLogger(__name__)
ADOPTED = "Already in Xero: adopted (this database did not know it had been sent); not sent again."


def needs_adoption(ctx: RunContext, links: LinkBook, scope: Scope, marker: Path | None) -> str | None:
    """Why the full adoption look-up must run now (None: this database is up to date)."""
    if database_is_behind(ctx.session, ctx.tenant_id, marker):
        return "this database is older than the last sync of this profile (restored or replaced)"
    if links.any_linked(("invoice", "credit_note", "payment", "contact")):
        return None
    client = ctx.client
    assert client is not None
    numbers = list(islice((d.number for d in iter_documents(ctx, INVOICE)
                           if d.status == "authorised" and scope.wanted("invoice", d.id, d.issue_date)), NUMBERS_CHUNK))
    if numbers:
        data = client.get("/Invoices", params={"InvoiceNumbers": ",".join(numbers), "summaryOnly": "true"})
        if any(str(x.get("Status", "")).upper() != "DELETED" for x in data.get("Invoices") or []):
            return "Xero already holds invoices with this ledger's numbers (a new PC or an emptied database)"
    data = client.get("/Payments", params={"where": f'Reference.StartsWith("{PAYMENT_REF_PREFIX}")', "page": 1,
                                           "pageSize": 1})
    if data.get("Payments"):
        return "Xero already holds payments this app sent (a new PC or an emptied database)"
    return None


class Adoption:
    """The look-ups of step 2, phase by phase (each needs the links the previous phase made)."""

    def __init__(self, ctx: RunContext, links: LinkBook, items: Items, scope: Scope, reason: str) -> None:
        self.ctx, self.links, self.items, self.scope = ctx, links, items, scope
        self.settler = Settler(ctx, links, items, action="adopt", message=ADOPTED)
        self.lat = get_setting(ctx.session, "line_amount_types") or "Exclusive"
        log.info("adopting what Xero already holds before sending: %s", reason)
        ctx.report("adopt", 0, 1, "", "Checking what Xero already holds before sending")

    def _unknown(self, entity: str, local_id: int) -> bool:
        lk = self.links.get(entity, local_id)
        return lk is None or (not lk.xero_id and lk.state == LinkState.UNSENT)

    def _pending(self, entity: str, local_id: int, content_hash: str) -> Link:
        """Stage a record for the settler's look-up: "sending" with no send time (no age proof)."""
        lk = self.links.ensure(entity, local_id)
        LinkBook.mark_sending(lk, "create", "adopt", content_hash)
        lk.pending_since = None
        return lk

    def documents(self) -> None:
        for kind, model in ((INVOICE, Invoice), (CREDIT_NOTE, CreditNote)):
            pending = self._documents(kind)
            if pending:
                self.settler.documents(pending, model, kind.entity)
        self.ctx.commit()

    def _documents(self, kind: Kind) -> list[Link]:
        held = held_by_number(self.ctx, kind.entity)
        out = []
        for doc in iter_documents(self.ctx, kind, self.links):
            if (doc.status == "authorised" and self.scope.wanted(kind.entity, doc.id, doc.issue_date)
                    and doc.id not in held and self._unknown(kind.entity, doc.id)
                    and self.links.xero_id("contact", doc.customer_id)):
                out.append(self._pending(kind.entity, doc.id, content_of(kind, doc, self.lat)))
        return out

    def allocations(self) -> None:
        pending = [self._pending("allocation", a.id, canonical_hash(allocation_content(a)))
                   for a in self.ctx.session.scalars(select(CreditAllocation).order_by(CreditAllocation.id))
                   if self._unknown("allocation", a.id) and self.links.xero_id("credit_note", a.credit_note_id)
                   and self.links.xero_id("invoice", a.invoice_id)]
        if pending:
            self.settler.allocations(pending)
        self.ctx.commit()

    def payments(self) -> None:
        pending = [self._pending("payment", p.id, payment_element_hash(p))
                   for p in self.ctx.session.scalars(select(Payment).where(
                       Payment.source == "ledger", Payment.reversed_at.is_(None)).order_by(Payment.id))
                   if self._unknown("payment", p.id) and self.links.xero_id("invoice", p.invoice_id)]
        if pending:
            self.settler.payments(pending)
        self.ctx.commit()
