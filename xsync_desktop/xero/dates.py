"""Xero's date formats, both ways.

Xero answers with Microsoft JSON dates (``/Date(1706659200000+0000)/``, the
milliseconds are UTC epoch; the offset is informational) and with ISO strings
without a zone (``2024-01-31T00:00:00``, Xero's ``DateString`` fields).  We
send plain ISO dates and UTC timestamps, which Xero accepts and the OpenAPI
spec describes.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

_MS_DATE = re.compile(r"^/Date\((-?\d+)(?:([+-])(\d{2})(\d{2}))?\)/$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def is_ms_date(value: str) -> bool:
    return bool(_MS_DATE.match(value))


def parse_ms_date(value: str) -> datetime:
    """``/Date(ms+hhmm)/`` -> aware UTC datetime."""
    m = _MS_DATE.match(value)
    if not m:
        raise ValueError(f"not a Xero /Date()/ value: {value!r}")
    return _EPOCH + timedelta(milliseconds=int(m.group(1)))


def format_ms_date(value: datetime | date) -> str:
    """Aware datetime (or date, taken as UTC midnight) -> ``/Date(ms+0000)/``."""
    dt = _as_utc(value)
    ms = (dt - _EPOCH) // timedelta(milliseconds=1)
    return f"/Date({ms}+0000)/"


def parse_xero_datetime(value: str) -> datetime:
    """Either Xero form -> aware UTC datetime.  Zone-less ISO strings are taken as UTC."""
    if is_ms_date(value):
        return parse_ms_date(value)
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    dt = datetime.fromisoformat(text)
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def parse_xero_date(value: str) -> date:
    """A calendar date (invoice Date, DueDate) from either form."""
    if is_ms_date(value):
        return parse_ms_date(value).date()
    return datetime.fromisoformat(value.strip()[:10]).date()


def format_iso_date(value: date) -> str:
    return value.isoformat()[:10]


def format_utc_timestamp(value: datetime) -> str:
    """UTC timestamp to the second, as ``If-Modified-Since`` wants: ``2024-01-31T09:30:00Z``."""
    return _as_utc(value).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _as_utc(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime: timestamps must be timezone-aware (UTC)")
        return value.astimezone(UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)
