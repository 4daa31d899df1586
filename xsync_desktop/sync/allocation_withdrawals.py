"""Taking a credit allocation back out of Xero when the ledger changed or deleted it.

Xero cannot edit a credit-note allocation: it can only delete one
(``DELETE /CreditNotes/{CreditNoteID}/Allocations/{AllocationID}``, answered with the
Allocation and ``IsDeleted`` true) and apply a new one (``PUT .../Allocations``). So:

- an allocation the ledger edited (amount, date or invoice) after it was applied in Xero has
  Xero's copy removed, then the allocation phase applies the ledger's version as a new one;
- an allocation the billing system deleted from the ledger has Xero's copy removed, and its link
  is dropped.

Never lost, never done twice: the removal is recorded on the link (``pending_action``
"withdraw") and committed before it is sent. A removal that finds the allocation already gone is
then the app's own (its answer was lost), and the ledger's version is applied; without that
record someone removed it in Xero, which the pull raises for a person (reconcile/credits.py).
Xero's refusal (a lock date, for one) is a failed item that names the allocation and says what
to do; nothing is removed on the ledger's side.
"""

from __future__ import annotations

from sqlalchemy import select

from ..store.models import ChangeLog, CreditAllocation, CreditNote, Link
from ..store.states import ItemOutcome, LinkState
from ..store.types import utcnow
from ..xero.errors import NetworkError, NotFound, ValidationFailed, XeroUnavailable
from .batch_sender import Items
from .context import RunContext
from .exceptions import unlink_for_resend
from .links import LinkBook

WITHDRAW = "withdraw"
GONE, REMOVED, NOT_REMOVED = "gone", "removed", "not removed"


class Withdrawals:
    """Removals of the ledger's own allocations from Xero, for one run's allocation phase."""

    def __init__(self, ctx: RunContext, links: LinkBook, items: Items) -> None:
        self.ctx, self.links, self.items = ctx, links, items

    def changed(self, local_id: int, cn_xero_id: str, lk: Link, label: str) -> bool:
        """The ledger edited an allocation Xero has: remove Xero's copy. True when it is gone and
        the link is ready for the ledger's version to be applied as a new allocation."""
        outcome = self._remove(local_id, cn_xero_id, lk, label, "changed in the ledger")
        if outcome == NOT_REMOVED:
            return False
        if outcome == GONE and lk.pending_action != WITHDRAW:
            return False  # removed in Xero by someone: the pull raises it for a person to decide
        unlink_for_resend(lk)  # remembers the old AllocationID: the new one gets its own key
        self.ctx.commit()
        return True

    def deleted(self, only: set[tuple[str, int]] | None) -> None:
        """Allocations deleted from the ledger whose Xero copy is still applied (on a retry, only
        the records retried): their links outlived their rows."""
        orphans = list(self.ctx.session.scalars(select(Link).where(
            Link.tenant_id == self.ctx.tenant_id, Link.entity == "allocation", Link.state == LinkState.LINKED,
            Link.xero_id.is_not(None), Link.local_id.notin_(select(CreditAllocation.id))).order_by(Link.id)))
        for lk in orphans:
            if only is not None and ("allocation", lk.local_id) not in only:
                continue
            number, _, invoice_number = (lk.natural_key or "").partition(">")
            label = f"Credit {number} applied to invoice {invoice_number}"
            cn_id = self.ctx.session.scalar(select(CreditNote.id).where(CreditNote.number == number))
            cn_x = self.links.xero_id("credit_note", cn_id) if cn_id is not None else None
            if not cn_x:
                continue  # the credit note itself is gone from the ledger or Xero: nothing to remove from
            if self._remove(lk.local_id, cn_x, lk, label, "deleted in the ledger") == NOT_REMOVED:
                continue
            self.ctx.session.add(ChangeLog(at=utcnow(), entity="allocation", local_id=lk.local_id, field="xero_id",
                                           old_value=lk.xero_id, new_value=None,
                                           reason="Deleted in the ledger, so removed from Xero", run_id=self.ctx.run.id))
            self.links.drop(lk)
            self.ctx.commit()

    def _remove(self, local_id: int, cn_xero_id: str, lk: Link, label: str, why: str) -> str:
        client = self.ctx.client
        assert client is not None and lk.xero_id
        xero_id = lk.xero_id
        self.ctx.check_cancel()
        if lk.pending_action != WITHDRAW and not self._still_applied(cn_xero_id, xero_id):
            return GONE  # removed in Xero before the app asked: not the app's doing
        lk.pending_action, lk.pending_since = WITHDRAW, utcnow()
        self.ctx.commit()  # recorded before it is sent: a lost answer is told from a bookkeeper's removal
        try:
            client.delete(f"/CreditNotes/{cn_xero_id}/Allocations/{xero_id}")
        except NotFound:
            # It was applied when the app asked (or the app's earlier attempt was recorded): the
            # client's retry of a dropped connection, or a re-run after a lost answer, finds its
            # own removal done.
            self._done(local_id, label, xero_id, f"{why.capitalize()}; Xero's copy was already removed (by this app's "
                       "own earlier attempt, whose answer was lost).")
            return GONE
        except ValidationFailed as exc:
            lk.pending_action = lk.pending_since = None  # Xero refused: nothing changed there
            self.items.fail_now("allocation", local_id, WITHDRAW, label,
                                f"{label}: {why}, but Xero refused to remove the allocation it has "
                                f"({'; '.join(exc.messages) or 'no reason given'}). If the credit is in a locked "
                                "period, ask your accountant to move the lock date, or correct the ledger; then "
                                "retry.", xero_id=xero_id)
            self.ctx.commit()
            return NOT_REMOVED
        except (NetworkError, XeroUnavailable) as exc:
            self.items.fail_now("allocation", local_id, WITHDRAW, label,
                                f"{label}: {why}, but Xero could not be reached to remove the allocation it has "
                                f"({exc.user_message}). The next sync tries again.", xero_id=xero_id)
            self.ctx.commit()  # the record stays: whatever Xero did, the next attempt settles it
            return NOT_REMOVED
        self._done(local_id, label, xero_id, f"{why.capitalize()}, so removed from Xero (Xero cannot edit an "
                   "allocation).")
        return REMOVED

    def _still_applied(self, cn_xero_id: str, xero_id: str) -> bool:
        """Is the allocation still applied in Xero (one read of its credit note)?"""
        client = self.ctx.client
        assert client is not None
        try:
            data = client.get(f"/CreditNotes/{cn_xero_id}")
        except NotFound:
            return False
        return any(str(a.get("AllocationID") or "").lower() == xero_id.lower() and not a.get("IsDeleted")
                   for cn in data.get("CreditNotes") or [] for a in cn.get("Allocations") or [])

    def _done(self, local_id: int, label: str, xero_id: str, message: str) -> None:
        self.items.fail_now("allocation", local_id, WITHDRAW, label, message, outcome=ItemOutcome.SUCCEEDED, xero_id=xero_id)
