"""Which run items are still unresolved: failed or needing review, with nothing later
(a retry, a skip, a success) dealing with the same record.

The checklist counts them as failures to resolve and Compare with Xero accepts them as the
explanation of a difference: a held ledger change that a person has in front of them (the
Exceptions view lists it) is not an unexplained disagreement.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, func, or_
from sqlalchemy.orm import aliased

from ..store.models import SyncItem
from ..store.states import ItemOutcome


def unresolved_item_conditions(*, with_exception_items: bool) -> list[Any]:
    """WHERE conditions on ``SyncItem`` selecting the unresolved items.

    ``with_exception_items=False`` leaves out needs-review items that opened an exception
    (their exception is what a person resolves; the exceptions check counts those).
    """
    later = aliased(SyncItem)
    review = SyncItem.outcome == ItemOutcome.NEEDS_REVIEW
    if not with_exception_items:
        review = and_(review, ~func.coalesce(SyncItem.message, "").contains("(exception #"))
    return [
        or_(SyncItem.outcome == ItemOutcome.FAILED, review),
        SyncItem.superseded_by_id.is_(None),
        ~exists().where(
            and_(
                later.entity == SyncItem.entity,
                later.local_id == SyncItem.local_id,
                later.id > SyncItem.id,
                later.outcome.in_((ItemOutcome.SUCCEEDED, ItemOutcome.SKIPPED)),
            )
        ),
    ]
