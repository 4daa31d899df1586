"""The states the sync tables hold, as StrEnums: a typo is an error, not a silent new state.

They are `StrEnum`s because the columns are plain strings (readable in the database, in
exports, in PostgreSQL and SQLite alike): a member compares equal to its string and is
stored as it, so rows written before the enums read back as the same states and no
migration was needed.

A typo fails in two places. In code, `ItemOutcome.NEEDS_REVEIW` is an AttributeError (and
tests/test_states.py refuses a bare string where a state goes). In the database, each state
column is a `StateType`: a value written or compared that is not one of its enum's members
raises before it reaches SQL, so `SyncItem.outcome == "needs_reveiw"` cannot quietly match
nothing.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import String
from sqlalchemy.types import TypeDecorator


class RunOutcome(StrEnum):
    """How a sync run ended (sync_run.outcome); RUNNING while it runs (or until a later run closes it)."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    PAUSED = "paused"


class ItemOutcome(StrEnum):
    """What happened to one record in a run (sync_item.outcome)."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    NEEDS_REVIEW = "needs_review"


class LinkState(StrEnum):
    """Where a ledger record stands with its Xero object (link.state); see sync/links.py."""

    LINKED = "linked"
    SENDING = "sending"
    UNSENT = "unsent"
    SKIPPED = "skipped"


class ExceptionStatus(StrEnum):
    """A reconciliation exception's lifecycle (recon_exception.status)."""

    OPEN = "open"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


class ExceptionKind(StrEnum):
    """What a reconciliation exception is about (recon_exception.kind); titles and actions in sync/exceptions.py."""

    PAYMENT_OVERPAYS = "payment_overpays"
    PAYMENT_DELETED = "payment_deleted"
    DUE_DATE_CONFLICT = "due_date_conflict"
    REFERENCE_CONFLICT = "reference_conflict"
    VOID_WITH_PAYMENTS = "void_with_payments"
    AMOUNTS_CHANGED = "amounts_changed"
    CURRENCY_CHANGED = "currency_changed"
    CONTACT_CHANGED = "contact_changed"
    INVOICE_DELETED = "invoice_deleted"
    CONTACT_ARCHIVED = "contact_archived"
    CONTACT_MERGED = "contact_merged"
    CREDIT_OVERAPPLIED = "credit_overapplied"
    CREDIT_NOTE_BOTH_SIDES = "credit_note_both_sides"
    ALLOCATION_REMOVED = "allocation_removed"
    ALLOCATION_CHANGED = "allocation_changed"
    XERO_DIFFERS = "xero_differs"
    WRONG_LINK = "wrong_link"
    UNREADABLE_XERO_VALUE = "unreadable_xero_value"
    NUMBER_TAKEN = "number_taken"
    TOTALS_DIFFER = "totals_differ"
    CONTACT_NAME_CONFLICT = "contact_name_conflict"


#: the outcomes an item can end with (PENDING is only ever a start)
FINAL_ITEM_OUTCOMES = frozenset({ItemOutcome.SUCCEEDED, ItemOutcome.FAILED, ItemOutcome.SKIPPED,
                                 ItemOutcome.NEEDS_REVIEW})


class StateType(TypeDecorator[str]):
    """A string column that holds only `states`' values; anything else is refused on the way in.

    Reads hand back the stored string unchanged (a member compares equal to it), so rows,
    exports and Qt models see exactly what they saw before the enums.
    """

    impl = String
    cache_ok = True

    def __init__(self, states: type[StrEnum], length: int = 16) -> None:
        super().__init__(length)
        self.states = states

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return self.states(value).value  # ValueError: "'needs_reveiw' is not a valid ItemOutcome"

    def process_result_value(self, value: Any, dialect: Any) -> str | None:
        return value
