"""Reconciliation exceptions: conflicts a person decides, and the actions that settle them.

A conflict is identified by a fingerprint (kind, record, field and Xero's value). Seen
again while open, it stays one row (last_seen moves on); once resolved or dismissed, the
very same conflict is not reopened (the person already decided), but a *new* Xero value
for the same field is a new conflict.

Reconcile absorbs Xero's value into ``Link.xero_snapshot`` when it opens an exception,
so the next pull does not see the same change again; the exception row is what carries
the conflict until someone acts on it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from .. import activity
from ..store.database import session_scope
from ..store.models import CreditNote, Customer, Invoice, Link, Payment, ReconException
from ..store.states import ExceptionKind, ExceptionStatus, ItemOutcome, LinkState, RunOutcome
from ..store.types import utcnow
from .changelog import write_back
from .reconcile.write_backs import (
    apply_void,
    import_payment_from_exception,
    log_link_change,
    refresh_pushed_hash,
    reverse_payment,
)

if TYPE_CHECKING:
    from ..store.store import Store
    from .context import RunContext

ACTIONS = ("accept_xero", "keep_ledger", "link", "renumber", "dismiss")
#: each action as the activity log says it
ACTION_WORDS = {"accept_xero": "accept Xero's value", "keep_ledger": "keep the ledger's value (re-push)",
                "link": "link to another Xero object", "renumber": "renumber the ledger record",
                "dismiss": "dismiss"}

# kind -> (title for people, actions that fit it)
KINDS: dict[ExceptionKind, tuple[str, tuple[str, ...]]] = {
    ExceptionKind.PAYMENT_OVERPAYS: ("Xero payment would overpay the invoice", ("accept_xero", "dismiss")),
    ExceptionKind.PAYMENT_DELETED: ("Payment pushed by the app was deleted in Xero", ("accept_xero", "keep_ledger", "dismiss")),
    ExceptionKind.DUE_DATE_CONFLICT: ("Due date changed in Xero and in the ledger", ("accept_xero", "keep_ledger", "dismiss")),
    ExceptionKind.REFERENCE_CONFLICT: ("Reference changed in Xero and in the ledger", ("accept_xero", "keep_ledger", "dismiss")),
    ExceptionKind.VOID_WITH_PAYMENTS: ("Invoice voided in Xero but it has payments in the ledger", ("accept_xero", "link", "dismiss")),
    ExceptionKind.AMOUNTS_CHANGED: ("Invoice amounts or lines changed in Xero", ("keep_ledger", "link", "dismiss")),
    ExceptionKind.CURRENCY_CHANGED: ("Invoice currency changed in Xero", ("keep_ledger", "link", "dismiss")),
    ExceptionKind.CONTACT_CHANGED: ("Invoice contact changed in Xero", ("keep_ledger", "link", "dismiss")),
    ExceptionKind.INVOICE_DELETED: ("Invoice deleted in Xero", ("keep_ledger", "link", "dismiss")),
    ExceptionKind.CONTACT_ARCHIVED: ("Contact archived in Xero", ("link", "dismiss")),
    ExceptionKind.CONTACT_MERGED: ("Contact merged into another in Xero", ("accept_xero", "link", "dismiss")),
    ExceptionKind.CREDIT_OVERAPPLIED: ("Credit applied in Xero would over-credit the invoice", ("dismiss",)),
    ExceptionKind.CREDIT_NOTE_BOTH_SIDES: ("Credit note changed in Xero and in the ledger", ("keep_ledger", "dismiss")),
    ExceptionKind.ALLOCATION_REMOVED: ("Credit allocation removed in Xero", ("keep_ledger", "dismiss")),
    ExceptionKind.ALLOCATION_CHANGED: ("Credit allocation changed in the ledger after it was applied in Xero",
                           ("keep_ledger", "dismiss")),
    # Found by Compare with Xero (sync/verify.py): no reconcile rule saw it happen.
    ExceptionKind.XERO_DIFFERS: ("Xero differs from the ledger", ("keep_ledger", "dismiss")),
    ExceptionKind.WRONG_LINK: ("Linked to a Xero object that is not the record's own", ("link", "dismiss")),
    # An amount or date Xero sent that cannot be read: never taken as zero or today.
    ExceptionKind.UNREADABLE_XERO_VALUE: ("Xero sent a value the app cannot read", ("dismiss",)),
    ExceptionKind.NUMBER_TAKEN: ("Number already used in Xero", ("link", "renumber", "dismiss")),
    ExceptionKind.TOTALS_DIFFER: ("Xero's totals differ from the ledger's", ("keep_ledger", "dismiss")),
    ExceptionKind.CONTACT_NAME_CONFLICT: ("A Xero contact with this name exists", ("link", "dismiss")),
}
# Money records cannot be re-pushed over Xero's copy (Xero does not edit a payment or an
# allocation): a difference there is decided in Xero or the ledger, then dismissed.
_NO_REPUSH = ("payment", "allocation")


class ResolveError(ValueError):
    """The action does not fit the exception (or it is no longer open); text is for people."""


class AlreadyDecided(ResolveError):
    """Someone (often at another desk) decided this exception first; nothing was changed here."""

    def __init__(self, exc: ReconException) -> None:
        self.resolved_by = exc.resolved_by
        self.resolved_at = exc.resolved_at
        when = f" on {exc.resolved_at.astimezone():%Y-%m-%d at %H:%M}" if exc.resolved_at else ""
        how = f" ({ACTION_PAST.get(exc.resolution or '', exc.resolution)})" if exc.resolution else ""
        self.user_message = (
            f"{exc.resolved_by or 'Someone'} already decided this exception{when}{how}, perhaps at another "
            "desk. Your decision was not applied; the list now shows theirs."
        )
        super().__init__(self.user_message)


ACTION_PAST = {"accept_xero": "accepted Xero's value", "keep_ledger": "kept the ledger's value",
               "link": "linked it to a Xero record", "renumber": "renumbered the ledger record",
               "dismiss": "dismissed it"}


def kind_title(kind: str) -> str:
    return KINDS.get(kind, (kind.replace("_", " ").capitalize(), ()))[0]


def available_actions(exception: ReconException) -> list[str]:
    """The actions a person may take on this exception (none once it is closed)."""
    if exception.status != ExceptionStatus.OPEN:
        return []
    actions = KINDS.get(exception.kind, ("", ("dismiss",)))[1]
    if exception.kind == ExceptionKind.XERO_DIFFERS and exception.entity in _NO_REPUSH:
        actions = ("dismiss",)
    return list(actions)


def fingerprint(kind: str, entity: str, key: Any, field: str | None, xero_value: Any) -> str:
    """Same conflict -> same fingerprint. The key is the local id (or the Xero id when the
    record is not in the ledger, as for an unimported payment)."""
    value = "" if xero_value is None else str(xero_value)
    fp = f"{kind}|{entity}|{key}|{field or ''}|{value}"
    return fp[:128]


@dataclass(frozen=True)
class Conflict:
    kind: ExceptionKind
    entity: str
    local_id: int | None
    xero_id: str | None
    label: str
    field: str | None
    ledger_value: Any
    xero_value: Any
    detail: str | None = None

    @property
    def fingerprint(self) -> str:
        key = self.local_id if self.local_id is not None else self.xero_id
        return fingerprint(self.kind, self.entity, key, self.field, self.xero_value)


def contact_archived_conflict(customer_id: int, xero_id: str | None, label: str, detail: str) -> Conflict:
    """The one conflict for "this customer's Xero contact is archived", whoever sees it first
    (the push, about to use it for a new invoice, or the pull): one fingerprint, one exception."""
    return Conflict(ExceptionKind.CONTACT_ARCHIVED, "contact", customer_id, xero_id, label, "status", "ACTIVE", "ARCHIVED",
                    detail)


def raise_conflict(ctx: RunContext, conflict: Conflict) -> tuple[ReconException | None, bool]:
    """Open (or refresh) the exception for ``conflict``; returns (row, newly_opened).

    A conflict that a person already resolved or dismissed is not reopened: row None
    (RunContext.open_exception refuses it).
    """
    fp = conflict.fingerprint
    was_open = ctx.session.scalars(
        select(ReconException.id).where(
            ReconException.fingerprint == fp,
            ReconException.tenant_id == ctx.tenant_id,
            ReconException.status == ExceptionStatus.OPEN,
        )
    ).first()
    row = ctx.open_exception(
        conflict.kind,
        conflict.entity,
        conflict.local_id,
        conflict.xero_id,
        conflict.label,
        conflict.field,
        conflict.ledger_value,
        conflict.xero_value,
        fp,
        conflict.detail,
    )
    if row is None:
        return None, False
    return row, was_open is None


# -- resolving ------------------------------------------------------------------------------


class EngineLike(Protocol):
    """What resolve needs from the engine: one run that pushes what is pending."""

    def run(self, trigger: str = ..., *args: Any, **kwargs: Any) -> Any: ...


def resolve_exception(
    store: Store,
    engine: EngineLike | None,
    exception_id: int,
    action: str,
    who: str,
    note: str | None = None,
    xero_id: str | None = None,
    new_number: str | None = None,
    seen_version: int | None = None,
) -> None:
    """Carry out a person's decision on an exception and record who, when and how.

    Two desks may decide the same exception at once: the decision first claims the
    exception's ``version`` (the one ``seen_version`` the person looked at, else the one
    read now) with a guarded UPDATE, whose row lock makes the second desk wait and then
    find the version moved on. The second desk gets AlreadyDecided naming who decided
    and when, and its whole transaction (ledger writes included) is rolled back.

    accept_xero writes Xero's value into the ledger (logged in ChangeLog); keep_ledger
    marks the record for a re-push and then runs the engine once (trigger "resolve") so
    Xero gets the ledger's value; link re-points the record's Link at ``xero_id``;
    renumber gives the ledger record ``new_number`` (logged) so it is sent under a number of its
    own; dismiss closes it with the note. Raises ResolveError if the action does not fit.
    """
    if action not in ACTIONS:
        raise ResolveError(f"Unknown action {action!r}.")
    if not who or not who.strip():
        raise ResolveError("Say who is resolving the exception.")
    if action == "dismiss" and not (note and note.strip()):
        raise ResolveError("Dismissing an exception needs a note saying why.")
    if action == "link" and not xero_id:
        raise ResolveError("Choose the Xero object to link to.")
    if action == "renumber" and not (new_number and new_number.strip()):
        raise ResolveError("Give the new number for the ledger record.")
    needs_push = False
    with session_scope(store.sessions) as session:
        exc = session.get(ReconException, exception_id)
        if exc is None:
            raise ResolveError(f"Exception {exception_id} does not exist.")
        if exc.status != ExceptionStatus.OPEN or (seen_version is not None and seen_version != exc.version):
            raise AlreadyDecided(exc)
        if action not in available_actions(exc):
            raise ResolveError(f"'{action}' does not fit a '{kind_title(exc.kind)}' exception.")
        _claim(session, exc)
        if action == "renumber":
            needs_push = _renumber(session, exc, (new_number or "").strip())
        else:
            needs_push = _HANDLERS[action](session, exc, xero_id)
        entity, local_id, label = exc.entity, exc.local_id, exc.label or kind_title(exc.kind)
        decided = (f"Decision on exception \u201c{kind_title(exc.kind)}\u201d for {label}: "
                   f"{ACTION_WORDS.get(action, action)}, by {who.strip()}" + (f" ({note.strip()})" if note else ""))
        # Closed before the run: an open exception holds its invoice's update back.
        _close(exc, action, who, note)
    if not (needs_push and engine is not None):
        activity.log.info("%s.", decided)
        return
    result = engine.run(trigger="resolve")
    failure = push_failure(store, result, entity, local_id)
    with session_scope(store.sessions) as session:
        exc = session.get(ReconException, exception_id)
        if exc is None:
            raise ResolveError(f"Exception {exception_id} does not exist.")
        if failure is None:
            activity.log.info("%s; Xero now has the ledger's value.", decided)
            return
        # Xero still holds its own value: the conflict is not settled. It is open again,
        # saying why, and the same decision can be made once the cause is fixed.
        exc.status, exc.resolution, exc.resolved_by, exc.resolved_at = ExceptionStatus.OPEN, None, None, None
        exc.resolution_note = f"re-push failed: {failure}"[:4000]
    activity.log.warning("%s; the re-push failed, the exception stays open: %s", decided, failure)
    raise RepushFailed(failure)


class RepushFailed(ResolveError):
    """The ledger's value did not reach Xero; the exception stays open."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"re-push failed: {reason}")
        self.user_message = f"re-push failed: {reason}. The exception stays open; fix the cause and try again."


def _close(exc: ReconException, action: str, who: str, note: str | None) -> None:
    exc.status = ExceptionStatus.DISMISSED if action == "dismiss" else ExceptionStatus.RESOLVED
    exc.resolution = action
    exc.resolution_note = note
    exc.resolved_by = who.strip()[:255]
    exc.resolved_at = utcnow()


def push_failure(store: Store, result: Any, entity: str, local_id: int | None) -> str | None:
    """Why the run that re-pushed `entity` `local_id` did not get it into Xero, or None if it did.

    The record's own item in that run decides: failed (its plain message and Xero's own
    words), or never sent because the run stopped early (its message).
    """
    from ..store.models import SyncItem

    run_id = getattr(result, "run_id", None)
    items: list[SyncItem] = []
    if run_id is not None:
        with store.sessions() as session:
            items = list(session.scalars(select(SyncItem).where(
                SyncItem.run_id == run_id, SyncItem.entity == entity, SyncItem.local_id == local_id,
                SyncItem.action.not_in(("pull", "reconcile")))))
    failed = [i for i in items if i.outcome == ItemOutcome.FAILED]
    if failed:
        item = failed[-1]
        words = "; ".join(item.xero_messages or [])
        return (item.message or "Xero refused the update") + (f" (Xero: {words})" if words else "")
    if any(i.outcome == ItemOutcome.SUCCEEDED for i in items):
        return None
    outcome = getattr(result, "outcome", None)
    if outcome in (RunOutcome.FAILED, RunOutcome.CANCELLED, RunOutcome.PAUSED) or getattr(result, "problem", None):
        return getattr(result, "message", "") or f"the sync {outcome or 'stopped'} before sending it"
    return None


def _claim(session: Session, exc: ReconException) -> None:
    """Move the exception to its next version, or raise AlreadyDecided if another desk did first."""
    claimed = session.execute(
        update(ReconException)
        .where(ReconException.id == exc.id, ReconException.version == exc.version, ReconException.status == ExceptionStatus.OPEN)
        .values(version=exc.version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        session.rollback()
        raise AlreadyDecided(session.get(ReconException, exc.id, populate_existing=True) or exc)
    set_committed_value(exc, "version", exc.version + 1)


def _link_for(session: Session, exc: ReconException, entity: str | None = None) -> Link | None:
    entity = entity or exc.entity
    if exc.local_id is None:
        return None
    return session.scalars(
        select(Link).where(
            Link.tenant_id == exc.tenant_id, Link.entity == entity, Link.local_id == exc.local_id
        )
    ).first()


def _reason(exc: ReconException, what: str) -> str:
    return f"Exception #{exc.id} ({kind_title(exc.kind)}): {what}"


def _accept_xero(session: Session, exc: ReconException, _xero_id: str | None) -> bool:

    reason = _reason(exc, "accepted Xero's value")
    if exc.kind in (ExceptionKind.DUE_DATE_CONFLICT, ExceptionKind.REFERENCE_CONFLICT):
        inv = session.get(Invoice, exc.local_id)
        link = _link_for(session, exc)
        if inv is None:
            raise ResolveError("The ledger invoice no longer exists.")
        with refresh_pushed_hash(session, link, inv):
            if exc.kind == ExceptionKind.DUE_DATE_CONFLICT:
                write_back(session, inv, "invoice", "due_date", date.fromisoformat(str(exc.xero_value)), reason, None)
            else:
                write_back(session, inv, "invoice", "reference", exc.xero_value or None, reason, None)
        return False
    if exc.kind == ExceptionKind.VOID_WITH_PAYMENTS:
        inv = session.get(Invoice, exc.local_id)
        if inv is None:
            raise ResolveError("The ledger invoice no longer exists.")
        apply_void(session, _link_for(session, exc), inv, reason, None)
        return False
    if exc.kind == ExceptionKind.PAYMENT_DELETED:
        pay = session.get(Payment, exc.local_id)
        if pay is None:
            raise ResolveError("The ledger payment no longer exists.")
        reverse_payment(session, exc.tenant_id or "", pay, reason, None)
        return False
    if exc.kind == ExceptionKind.PAYMENT_OVERPAYS:
        import_payment_from_exception(session, exc, reason)
        return False
    if exc.kind == ExceptionKind.CONTACT_MERGED:
        link = _link_for(session, exc)
        if link is None or not exc.xero_value:
            raise ResolveError("Nothing to relink: the customer is not linked.")
        _relink(session, link, str(exc.xero_value), reason)
        return False
    raise ResolveError(f"'accept_xero' does not fit a '{kind_title(exc.kind)}' exception.")


def _keep_ledger(session: Session, exc: ReconException, _xero_id: str | None) -> bool:
    """Make the push phase send the ledger's version again, then a run does it."""
    if exc.kind in (ExceptionKind.ALLOCATION_REMOVED, ExceptionKind.ALLOCATION_CHANGED):
        link = _link_for(session, exc)
        if link is not None:
            unlink_for_resend(link)  # the push phase applies the ledger's allocation afresh
        return True
    if exc.kind == ExceptionKind.PAYMENT_DELETED:
        link = _link_for(session, exc)
        if link is not None:
            # The Xero payment is gone for good (payments cannot be undeleted): the push
            # phase records the ledger payment afresh, as a deliberate re-send.
            unlink_for_resend(link)
        return True
    link = _link_for(session, exc, "invoice" if exc.entity == "invoice" else None)
    if link is None:
        raise ResolveError("The record is not linked to Xero; nothing to re-push.")
    if exc.kind == ExceptionKind.INVOICE_DELETED:
        # A deleted Xero invoice cannot be edited back; the push phase creates it again.
        unlink_for_resend(link)
        return True
    link.pushed_hash = None  # "Xero does not have the ledger's version": push it again
    return True


def unlink_for_resend(link: Link) -> None:
    """The Xero object behind ``link`` is gone for good: the push phase creates it again.

    The link is kept (not deleted) and remembers the Xero id(s) it replaces, because the
    create must differ from the first one: its Idempotency-Key includes them (otherwise Xero,
    within its 6-minute window, replays the first answer: the deleted object), and settling an
    interrupted re-send must not take the deleted object for the new one.
    """
    replaced = list(replaced_xero_ids(link))
    if link.xero_id and link.xero_id not in replaced:
        replaced.append(link.xero_id)
    link.xero_id = None
    link.state = LinkState.UNSENT
    link.pushed_hash = None
    link.pending_action = link.pending_key = link.pending_hash = None
    link.pending_since = None
    link.xero_updated_utc = None
    link.xero_snapshot = {RESEND_KEY: replaced}


RESEND_KEY = "xsync_replaces"


def replaced_xero_ids(link: Link) -> tuple[str, ...]:
    """The Xero ids a deliberate re-send of this record replaces (empty for a first send)."""
    value = (link.xero_snapshot or {}).get(RESEND_KEY)
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _link(session: Session, exc: ReconException, xero_id: str | None) -> bool:
    assert xero_id is not None
    entity = exc.entity if exc.entity in ("contact", "credit_note", "payment") else "invoice"
    link = _link_for(session, exc, entity)
    if link is None and exc.kind in _FIRST_LINK_KINDS and exc.local_id is not None:
        # never linked yet (its number or name is taken in Xero): this is its first link
        link = Link(tenant_id=exc.tenant_id, entity=entity, local_id=exc.local_id, state=LinkState.UNSENT)
        session.add(link)
    if link is None:
        raise ResolveError("The record is not linked; nothing to re-point.")
    _relink(session, link, xero_id, _reason(exc, f"linked to Xero object {xero_id}"))
    # The chosen object may differ from the ledger: let the push phase compare and update.
    link.pushed_hash = None
    return True


_FIRST_LINK_KINDS = (ExceptionKind.NUMBER_TAKEN, ExceptionKind.CONTACT_NAME_CONFLICT)


def _renumber(session: Session, exc: ReconException, new_number: str) -> bool:
    """The ledger record takes a number of its own; the push phase then creates it in Xero."""
    model: Any = CreditNote if exc.entity == "credit_note" else Invoice
    doc = session.get(model, exc.local_id)
    if doc is None:
        raise ResolveError("The ledger record no longer exists.")
    if new_number == doc.number:
        raise ResolveError("That is the number Xero already has; choose another.")
    if session.scalars(select(model.id).where(model.number == new_number)).first() is not None:
        raise ResolveError(f"The ledger already has a record numbered {new_number}.")
    write_back(session, doc, exc.entity, "number", new_number, _reason(exc, f"renumbered to {new_number}"), None)
    return True


def _relink(session: Session, link: Link, xero_id: str, reason: str) -> None:

    log_link_change(session, link, xero_id, reason)
    link.xero_id = xero_id
    link.xero_snapshot = None
    link.xero_updated_utc = None
    link.state = LinkState.LINKED


def _dismiss(session: Session, exc: ReconException, _xero_id: str | None) -> bool:
    return False


_HANDLERS: dict[str, Callable[[Session, ReconException, str | None], bool]] = {
    "accept_xero": _accept_xero,
    "keep_ledger": _keep_ledger,
    "link": _link,
    "dismiss": _dismiss,
}


def record_label(session: Session, exc: ReconException) -> str:
    """A short name for the record behind an exception (for lists)."""
    if exc.label:
        return exc.label
    if exc.entity == "invoice" and exc.local_id:
        inv = session.get(Invoice, exc.local_id)
        return f"Invoice {inv.number}" if inv else f"Invoice #{exc.local_id}"
    if exc.entity == "contact" and exc.local_id:
        cust = session.get(Customer, exc.local_id)
        return f"Customer {cust.name}" if cust else f"Customer #{exc.local_id}"
    return f"{exc.entity} #{exc.local_id}"


def conflict_item(ctx: RunContext, conflict: Conflict, action: str) -> bool:
    """Raise the conflict; a newly opened one is also an item needing review in this run."""
    row, new = raise_conflict(ctx, conflict)
    if not new or row is None:
        return False
    item = ctx.start_item(conflict.entity, conflict.local_id, action, conflict.label, xero_id=conflict.xero_id)
    ctx.finish_item(item, ItemOutcome.NEEDS_REVIEW, f"{row.detail or conflict.kind} (exception #{row.id})")
    return True
