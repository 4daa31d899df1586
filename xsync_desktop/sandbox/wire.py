"""Xero's wire formats: `/Date(ms+0000)/` dates, money as JSON numbers, GUIDs.

Money is held as Decimal everywhere in the sandbox and only turned into a JSON number here,
at the edge, because that is what Xero sends (`"Total": 115.00`).
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
TWO = Decimal("0.01")
FOUR = Decimal("0.0001")


def new_id() -> str:
    return str(uuid.uuid4())


def is_guid(value: str) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return len(str(value)) == 36


def ms_datetime(moment: datetime) -> str:
    """UpdatedDateUTC style: `/Date(1573755038314+0000)/`."""
    return f"/Date({int(moment.timestamp() * 1000)}+0000)/"


def ms_date(day: date) -> str:
    """Date style: midnight UTC of the day."""
    return ms_datetime(datetime.combine(day, time(), tzinfo=UTC))


def parse_date(value: Any) -> date | None:
    """Accept what Xero accepts for Date/DueDate: `YYYY-MM-DD[THH:MM:SS]` or `/Date(ms)/`."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(value)
    m = _MS_DATE.match(value)
    if m:
        return datetime.fromtimestamp(int(m.group(1)) / 1000, tz=UTC).date()
    text = value.strip()
    if "T" in text:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    return date.fromisoformat(text)


def parse_if_modified_since(value: str) -> datetime:
    """If-Modified-Since as Xero takes it: ISO 8601 (assumed UTC) or an RFC 1123 HTTP date."""
    from email.utils import parsedate_to_datetime

    text = value.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        moment = parsedate_to_datetime(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def to_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation as exc:
            raise ValueError(value) from exc
    raise ValueError(value)


def money(value: Decimal) -> Decimal:
    """Round half away from zero to cents, as Xero displays and totals money."""
    return value.quantize(TWO, rounding=ROUND_HALF_UP)


class _Encoder(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal):
            # float(repr) of a <=4 dp decimal round-trips to the same text in the client.
            return float(o)
        if isinstance(o, datetime):
            return o.isoformat()
        if isinstance(o, date):
            return o.isoformat()
        return super().default(o)


def dumps(payload: Any) -> bytes:
    return json.dumps(payload, cls=_Encoder, separators=(",", ":")).encode("utf-8")


def loads(body: bytes) -> Any:
    return json.loads(body.decode("utf-8"), parse_float=Decimal)
