"""Column types that keep money exact and timestamps in UTC on every database.

SQLite has no decimal type and stores NUMERIC as a float, so money is kept as an
integer count of the smallest unit (cents, or 1/10,000 for unit prices). That is
exact on SQLite and PostgreSQL alike, and SUM() stays exact too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime
from sqlalchemy.types import TypeDecorator


class Money(TypeDecorator[Decimal]):
    """A Decimal stored as a scaled integer; refuses floats so none sneak in."""

    impl = BigInteger
    cache_ok = True

    def __init__(self, scale: int = 2) -> None:
        super().__init__()
        self.scale = scale
        self._factor = Decimal(10) ** scale
        self._quantum = Decimal(1).scaleb(-scale)

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must be a Decimal, not a float")
        dec = Decimal(value).quantize(self._quantum, rounding=ROUND_HALF_UP)
        return int(dec * self._factor)

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(int(value)) / self._factor).quantize(self._quantum)

    @property
    def python_type(self) -> type:
        return Decimal


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored naive in UTC and handed back timezone-aware.

    SQLite drops tzinfo; normalising on the way in means comparisons and
    ordering mean the same thing on every backend.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware (UTC)")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def shorten(text: str | None, limit: int) -> str | None:
    """`text` cut to `limit` characters, ending in "…" when cut (labels shown to people)."""
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "\u2026"
