"""Money stays exact and Xero's dates parse both ways."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from xsync_desktop.xero import codec
from xsync_desktop.xero.dates import (
    format_ms_date,
    format_utc_timestamp,
    parse_ms_date,
    parse_xero_date,
    parse_xero_datetime,
)


def test_loads_floats_are_decimal_and_ms_dates_are_datetimes() -> None:
    body = codec.loads(
        '{"Total": 110.10, "Qty": 3, "UpdatedDateUTC": "/Date(1706659200000+0000)/", "Ref": "/Date( no"}'
    )
    assert body["Total"] == Decimal("110.10") and isinstance(body["Total"], Decimal)
    assert body["Qty"] == 3
    assert body["UpdatedDateUTC"] == datetime(2024, 1, 31, tzinfo=UTC)
    assert body["Ref"] == "/Date( no"


def test_dumps_exact_decimal_dates_and_rejects_float() -> None:
    text = codec.dumps(
        {"UnitAmount": Decimal("0.10"), "Big": Decimal("12345678901234567890.12"), "Date": date(2024, 1, 31),
         "When": datetime(2024, 1, 31, 9, 30, tzinfo=UTC), "Name": "Zoë \"quoted\"", "Lines": [1, True, None]}
    )
    assert '"UnitAmount":0.10' in text
    assert '"Big":12345678901234567890.12' in text
    assert json.loads(text)["Date"] == "2024-01-31"
    assert json.loads(text)["When"] == "2024-01-31T09:30:00Z"
    assert json.loads(text)["Name"] == 'Zoë "quoted"'
    with pytest.raises(TypeError):
        codec.dumps({"Amount": 1.1})
    with pytest.raises(ValueError):
        codec.dumps({"Amount": Decimal("NaN")})


def test_ms_date_round_trip_and_offsets() -> None:
    dt = datetime(2024, 2, 29, 13, 5, 7, 123000, tzinfo=UTC)
    assert parse_ms_date(format_ms_date(dt)) == dt
    assert format_ms_date(date(2024, 1, 31)) == "/Date(1706659200000+0000)/"
    # The milliseconds are UTC; the offset is informational.
    assert parse_ms_date("/Date(1706659200000+1300)/") == datetime(2024, 1, 31, tzinfo=UTC)
    assert parse_ms_date("/Date(1706659200000)/") == datetime(2024, 1, 31, tzinfo=UTC)


def test_iso_forms() -> None:
    assert parse_xero_datetime("2024-01-31T00:00:00") == datetime(2024, 1, 31, tzinfo=UTC)
    assert parse_xero_datetime("2024-01-31T10:00:00+10:00") == datetime(2024, 1, 31, tzinfo=UTC)
    assert parse_xero_date("2024-01-31T00:00:00") == date(2024, 1, 31)
    assert parse_xero_date("/Date(1706659200000+0000)/") == date(2024, 1, 31)
    assert format_utc_timestamp(datetime(2024, 1, 31, 9, 30, 5, 999, tzinfo=UTC)) == "2024-01-31T09:30:05Z"
    with pytest.raises(ValueError):
        format_utc_timestamp(datetime(2024, 1, 31))
