"""Credit-note allocations and ledger payments, after the documents they apply to.

Payments carry the natural key ``xsync:P-<external_id>`` in Reference so a lost
answer is found again (settle.py). Xero cannot edit a payment: a ledger payment
reversed after it was pushed is deleted in Xero; one changed after it was pushed
needs a person.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..store.models import CreditAllocation, CreditNote, Invoice, Payment
from ..store.states import ItemOutcome, LinkState
from .allocation_withdrawals import Withdrawals
from .batch_sender import BatchSender, Items, Work
from .context import RunContext
from .documents import Scope, lock_message
from .hashing import canonical_hash
from .links import LinkBook, snapshot_value
from .mapping_check import MappingBook
from .payloads import allocation_content, allocation_element, payment_element, payment_reference
from .streaming import by_ids, iter_pages, slices
from .unchanged import CheckMarks, needs_a_look


def payment_label(p: Payment, inv: Invoice | None) -> str:
    """'Payment 120.00 of 2025-06-12 on invoice INV-0042': what the person knows it by (not an export id)."""
    on = f" on invoice {inv.number}" if inv is not None else ""
    return f"Payment {format(p.amount, 'f')} of {p.date.isoformat()}{on}"


def deleted_hash(p: Payment) -> str:
    return canonical_hash({"payment": p.id, "deleted": True})


class AllocationPhase:
    def __init__(self, ctx: RunContext, links: LinkBook, items: Items, sender: BatchSender, scope: Scope) -> None:
        self.ctx, self.links, self.items, self.sender, self.scope = ctx, links, items, sender, scope

    def run(self) -> None:
        ctx, links = self.ctx, self.links
        pending: dict[str, list[Work]] = defaultdict(list)
        # Allocations proven unchanged since they were sent are left out by the database (unchanged.py).
        allocs = list(ctx.session.scalars(select(CreditAllocation).options(
            selectinload(CreditAllocation.credit_note), selectinload(CreditAllocation.invoice))
            .where(needs_a_look(ctx.tenant_id, "allocation", CreditAllocation)).order_by(CreditAllocation.id)))
        marks = CheckMarks(ctx.session)
        links.prefetch("allocation", [a.id for a in allocs], ("credit_note", [a.credit_note_id for a in allocs]),
                       ("invoice", [a.invoice_id for a in allocs]))
        withdrawals = Withdrawals(ctx, links, self.items)
        withdrawals.deleted(self.scope.only)
        for a in allocs:
            cn: CreditNote = a.credit_note
            inv: Invoice = a.invoice
            if cn.status != "authorised" or inv.status != "authorised":
                continue
            if not self.scope.wanted("allocation", a.id, a.date):
                continue
            if self.scope.start_date and (cn.issue_date < self.scope.start_date
                                          or inv.issue_date < self.scope.start_date):
                continue
            lk = links.get("allocation", a.id)
            label = f"Credit {cn.number} applied to invoice {inv.number}"
            built_hash = canonical_hash(allocation_content(a))
            # Xero cannot edit an allocation: a ledger edit has Xero's copy removed, then the
            # ledger's version applied anew (below), once it is known the new one can be sent.
            edited = bool(lk is not None and lk.xero_id and lk.state == LinkState.LINKED and lk.pushed_hash
                          and lk.pushed_hash != built_hash)
            if lk is not None and lk.xero_id and lk.state == LinkState.LINKED and lk.pushed_hash == built_hash:
                marks.add(lk, a.revision, built_hash)
            if lk is not None and (lk.xero_id or lk.state == LinkState.SENDING) and not edited:
                continue
            if lk is not None and lk.state == LinkState.SKIPPED and lk.pending_hash == built_hash:
                continue
            cn_x = links.xero_id("credit_note", cn.id)
            inv_x = links.xero_id("invoice", inv.id)
            if self.scope.locked(a.date):
                assert self.scope.lock_date is not None
                self.items.fail_now("allocation", a.id, "allocate", label,
                                    lock_message(label, a.date, self.scope.lock_date))
                continue
            if not cn_x or not inv_x:
                missing = f"credit note {cn.number}" if not cn_x else f"invoice {inv.number}"
                self.items.fail_now("allocation", a.id, "allocate", label,
                                    f"The {missing} is not in Xero yet, so the credit was not applied. "
                                    "Fix that item first, then retry.")
                continue
            if edited and (lk is None or not withdrawals.changed(a.id, cn_x, lk, label)):
                continue
            built = allocation_element(a, inv_x)
            pending[cn_x].append(Work("allocation", a.id, "allocate", label, built.element, built.content_hash,
                                      natural_key=f"{cn.number}>{inv.number}", revision=a.revision))
        marks.flush()
        total = sum(len(v) for v in pending.values())
        done = 0
        for cn_x, works in pending.items():
            self.sender.send("allocations", "Allocations", "PUT", works, "AllocationID",
                             path=f"/CreditNotes/{cn_x}/Allocations", done_offset=done, total=total)
            done += len(works)


WITH_INVOICE = (selectinload(Payment.invoice),)


class PaymentPhase:
    def __init__(self, ctx: RunContext, links: LinkBook, items: Items, sender: BatchSender,
                 book: MappingBook, scope: Scope) -> None:
        self.ctx, self.links, self.items, self.sender = ctx, links, items, sender
        self.book, self.scope = book, scope

    def run_deletions(self) -> None:
        """Payments reversed in the ledger are deleted in Xero *before* the document phase, so a
        refund and a void in one run go in that order: Xero voids only an invoice with no payment,
        and the void's message must not ask a person to remove a payment this run removes."""
        self.run(creates=False)

    def run(self, *, creates: bool = True) -> None:
        """Send new ledger payments (and any deletion run_deletions did not already send)."""
        self._run(creates)

    def _run(self, send_creates: bool) -> None:
        ctx, links, scope = self.ctx, self.links, self.scope
        creates: list[int] = []  # payment ids: loaded and built a slice at a time
        deletes: list[tuple[Payment, str]] = []

        def prefetch(page: list[Payment]) -> None:
            links.prefetch("payment", [p.id for p in page], ("invoice", [p.invoice_id for p in page]))

        # A page of payments at a time, each with its invoice and both links (a few queries a page).
        # Deletions alone (run_deletions) concern reversed payments only: the others are not read.
        # Payments proven unchanged since they were sent are left out by the database (unchanged.py).
        only_reversed = () if send_creates else (Payment.reversed_at.is_not(None),)
        marks = CheckMarks(ctx.session)
        for p in iter_pages(ctx.session, Payment, Payment.source == "ledger", *only_reversed,
                            needs_a_look(ctx.tenant_id, "payment", Payment), options=WITH_INVOICE, on_page=prefetch):
            inv: Invoice = p.invoice
            if not scope.wanted("payment", p.id, p.date):
                continue
            if scope.start_date and inv.issue_date < scope.start_date:
                continue  # its invoice is not synced, so neither is the payment
            lk = links.get("payment", p.id)
            if lk is not None and lk.state == LinkState.SENDING:
                continue
            label = payment_label(p, inv)
            sent_as = (deleted_hash(p) if p.reversed_at is not None else payment_element_hash(p))
            if lk is not None and lk.xero_id and lk.state == LinkState.LINKED and lk.pushed_hash == sent_as:
                marks.add(lk, p.revision, sent_as)
            if p.reversed_at is not None:
                if lk is not None and lk.xero_id and lk.pushed_hash != deleted_hash(p):
                    deletes.append((p, lk.xero_id))
                continue
            if not send_creates:
                continue
            if inv.status != "authorised":
                continue
            inv_link = links.get("invoice", inv.id)
            if lk is not None and lk.xero_id:
                if lk.pushed_hash != payment_element_hash(p) and not (
                        lk.state == LinkState.SKIPPED and lk.pending_hash == payment_element_hash(p)):
                    self.items.fail_now(
                        "payment", p.id, "update", label,
                        "This payment changed in the ledger after it was sent, and Xero does not allow changing a "
                        "payment. Reverse it in the ledger and record the correct payment (or skip this item).",
                        outcome=ItemOutcome.NEEDS_REVIEW, xero_id=lk.xero_id)
                continue
            if lk is not None and lk.state == LinkState.SKIPPED and lk.pending_hash == payment_element_hash(p):
                continue
            if scope.locked(p.date):
                assert scope.lock_date is not None
                self.items.fail_now("payment", p.id, "create", label, lock_message(label, p.date, scope.lock_date))
                continue
            problem = self.book.problem("payment_method", p.method)
            if problem is not None:
                self.items.fail_now("payment", p.id, "create", label, problem.message)
                continue
            inv_x = links.xero_id("invoice", inv.id)
            if not inv_x:
                self._invoice_not_in_xero(p, inv)
                continue
            if inv_link is not None and snapshot_value(ctx.session, inv_link, "Status") == "DRAFT":
                self.items.fail_now("payment", p.id, "create", label,
                                    f"Invoice {inv.number} is a draft in Xero, and Xero takes payments only on approved "
                                    "invoices. Approve it in Xero, then retry.")
                continue
            creates.append(p.id)
        marks.flush()
        total = len(creates) + len(deletes)
        if total == 0:
            return
        done = 0
        for chunk in slices(creates):
            works = []
            payments = by_ids(ctx.session, Payment, chunk, WITH_INVOICE)
            prefetch(payments)
            for p in payments:
                inv_x = links.xero_id("invoice", p.invoice_id)
                if not inv_x:  # linked when planned; said as the plan would say it if that changed
                    self._invoice_not_in_xero(p, p.invoice)
                    continue
                built = payment_element(p, inv_x, self.book)
                works.append(Work("payment", p.id, "create", payment_label(p, p.invoice), built.element,
                                  built.content_hash, natural_key=payment_reference(p), count_field="payments_pushed",
                                  revision=p.revision))
            self.sender.send("payments", "Payments", "PUT", works, "PaymentID", done_offset=done, total=total)
            done += len(chunk)
        for i, (p, xero_id) in enumerate(deletes):
            w = Work("payment", p.id, "delete", payment_label(p, p.invoice), {"Status": "DELETED"},
                     deleted_hash(p), natural_key=payment_reference(p), count_field="payments_pushed",
                     success_message="Reversed in the ledger, so deleted in Xero.", revision=p.revision)
            self.sender.send("payments", "Payments", "POST", [w], "PaymentID", path=f"/Payments/{xero_id}",
                             done_offset=len(creates) + i, total=total)


    def _invoice_not_in_xero(self, p: Payment, inv: Invoice) -> None:
        self.items.fail_now("payment", p.id, "create", payment_label(p, inv),
                            f"Invoice {inv.number} is not in Xero yet, so its payment was not sent. "
                            "Fix the invoice's item first, then retry.")


def payment_element_hash(p: Payment) -> str:
    from .payloads import payment_content

    return canonical_hash(payment_content(p))


__all__: list[Any] = ["AllocationPhase", "PaymentPhase"]
