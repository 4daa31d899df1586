"""JSON in and out with exact money.

Money must never pass through float: responses are parsed with
``parse_float=Decimal`` and requests are written by a small encoder that emits
Decimals as JSON numbers with their exact digits (the stdlib encoder cannot).
``/Date()/`` strings are turned into aware UTC datetimes on the way in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from .dates import format_iso_date, format_utc_timestamp, is_ms_date, parse_ms_date


def loads(text: str | bytes) -> Any:
    """Parse a Xero response: floats become Decimal, ``/Date()/`` strings become datetimes.

    Dates are converted object by object as the parser builds them (object_hook): a second
    walk over the parsed tree was a tenth of a first sync's time (a page of 1,000 invoices
    with their lines is a million values)."""
    value = json.loads(text, parse_float=Decimal, object_hook=_dates_in)
    return value if isinstance(value, dict) else _convert_dates(value)


def _is_date(value: Any) -> bool:
    return value.__class__ is str and value.startswith("/Date(") and is_ms_date(value)


def _dates_in(obj: dict[str, Any]) -> dict[str, Any]:
    """One parsed JSON object with its ``/Date()/`` values (and those in its lists of strings)
    as datetimes; nested objects were already converted when they were parsed."""
    for key, v in obj.items():
        if _is_date(v):
            obj[key] = parse_ms_date(v)
        elif v.__class__ is list and v and any(_is_date(x) for x in v):
            obj[key] = [parse_ms_date(x) if _is_date(x) else x for x in v]
    return obj


def _convert_dates(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _convert_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_convert_dates(v) for v in value]
    if isinstance(value, str) and value.startswith("/Date(") and is_ms_date(value):
        return parse_ms_date(value)
    return value


def dumps(value: Any) -> str:
    """Serialise a request body.  Decimal -> exact number, date -> ``YYYY-MM-DD``,
    datetime -> UTC ``YYYY-MM-DDTHH:MM:SSZ``, UUID -> string."""
    parts: list[str] = []
    _encode(value, parts)
    return "".join(parts)


# What json.dumps(text, ensure_ascii=False) does for a str, without its per-call set-up (a batch
# of 50 invoices is thousands of strings; json.dumps per value was a twentieth of a first sync).
_encode_str = json.encoder.encode_basestring
_LITERALS = {None: "null", True: "true", False: "false"}


def _encode(value: Any, out: list[str]) -> None:
    if value.__class__ is str:
        out.append(_encode_str(value))
    elif value is None or isinstance(value, bool):
        out.append(_LITERALS[value])
    elif isinstance(value, str):
        out.append(_encode_str(str(value)))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot send non-finite amount {value!r} to Xero")
        out.append(format(value, "f"))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        raise TypeError("float in a Xero request: use decimal.Decimal for money")
    elif isinstance(value, datetime):
        out.append(json.dumps(format_utc_timestamp(value)))
    elif isinstance(value, date):
        out.append(json.dumps(format_iso_date(value)))
    elif isinstance(value, UUID):
        out.append(json.dumps(str(value)))
    elif isinstance(value, Mapping):
        out.append("{")
        for i, (k, v) in enumerate(value.items()):
            if i:
                out.append(",")
            out.append(_encode_str(str(k)))
            out.append(":")
            _encode(v, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, v in enumerate(value):
            if i:
                out.append(",")
            _encode(v, out)
        out.append("]")
    else:
        raise TypeError(f"cannot encode {type(value).__name__} for Xero")
