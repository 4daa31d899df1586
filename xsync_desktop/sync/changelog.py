"""Write-backs from Xero to the ledger, always with a ChangeLog row.

Why a separate helper: write-backs happen inside a run (reconcile) and outside one
(a person resolving an exception). Both must log the same way and both must NOT
bump the ledger record's ``changed_at``: ``changed_at`` means "the operational
system changed this record", and the reconcile rules compare it with
``Link.pushed_at`` to decide whether Xero's edit may be applied. If a write-back
bumped it, the next Xero edit of the same invoice would wrongly look like a
"both sides changed" conflict, and the push phase would think the ledger has news
for Xero. ``Link.pushed_at`` is left alone too (it means "when we last sent this
record"); instead the caller refreshes ``Link.pushed_hash`` (see
``reconcile.write_backs.refresh_pushed_hash``) so the push phase sees the ledger and Xero agree.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from ..store.models import ChangeLog
from ..store.types import utcnow


def as_text(value: Any) -> str | None:
    """One text form per value type, so old/new values compare and read the same everywhere."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def fit_column(model: Any, attr: str, value: Any) -> tuple[Any, str]:
    """`value` cut to the column's length, and a sentence for the change log when it was cut.

    Xero accepts text longer than the ledger's columns (a 5,000-character Reference). The
    ledger keeps what it can hold (the same length Xero accepts when the app pushes), the
    change log says so, and Xero keeps the full text. SQLite would store it whole and
    PostgreSQL refuse the row: cutting here makes both behave the same.
    """
    length = getattr(model.__table__.c[attr].type, "length", None)
    if not isinstance(value, str) or length is None or len(value) <= length:
        return value, ""
    label = attr.replace("_", " ")
    return value[:length], (f" Xero's {label} was {len(value):,} characters; the ledger holds {length}, so the "
                            f"first {length} were kept (Xero keeps the full text).")


def write_back(
    session: Session,
    record: Any,
    entity: str,
    attr: str,
    new: Any,
    reason: str,
    run_id: int | None,
) -> bool:
    """Set ``record.attr = new`` and log it; returns False (and logs nothing) if unchanged.

    Text longer than the column is cut to fit, and the log row says so (fit_column).
    """
    new, cut = fit_column(type(record), attr, new)
    reason += cut
    old = getattr(record, attr)
    if old == new:
        return False
    setattr(record, attr, new)
    session.add(
        ChangeLog(
            at=utcnow(),
            entity=entity,
            local_id=record.id,
            field=attr,
            old_value=as_text(old),
            new_value=as_text(new),
            reason=reason,
            run_id=run_id,
        )
    )
    return True
