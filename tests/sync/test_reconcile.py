"""Normalising Xero's invoice data for snapshots: formats must not look like changes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from xsync_desktop.sync.reconcile.snapshots import invoice_snapshot, lines_hash, parse_day


def test_dates_in_every_form_are_the_same_day() -> None:
    forms = ["/Date(1706659200000+0000)/", "2024-01-31T00:00:00", "2024-01-31", "2024-01-31T00:00:00+00:00",
             datetime(2024, 1, 31, tzinfo=UTC), date(2024, 1, 31)]
    assert {parse_day(f) for f in forms} == {date(2024, 1, 31)}


def test_snapshot_from_response_and_from_push_snapshot_agree() -> None:
    response = {"Status": "AUTHORISED", "DueDate": datetime(2024, 1, 31, tzinfo=UTC), "Reference": None,
                "Total": Decimal("115.0"), "CurrencyCode": "NZD", "Contact": {"ContactID": "c-1"},
                "LineItems": [{"Description": "Rent", "Quantity": Decimal("1.0"), "UnitAmount": Decimal("115"),
                               "LineAmount": Decimal("115.00"), "AccountCode": "200", "TaxType": "OUTPUT2"}]}
    stored = {"Status": "AUTHORISED", "DueDate": "2024-01-31T00:00:00+00:00", "Reference": "", "Total": "115.00",
              "CurrencyCode": "NZD", "ContactID": "c-1"}
    a, b = invoice_snapshot(response), invoice_snapshot(stored)
    assert {k: v for k, v in a.items() if k != "LinesHash"} == b
    assert invoice_snapshot(a) == a  # idempotent


def test_lines_hash_ignores_formatting_and_tax_defaults_but_not_amounts() -> None:
    base = [{"Description": "Rent ", "Quantity": "1", "UnitAmount": "100", "AccountCode": "200"}]
    same = [{"Description": "Rent", "Quantity": Decimal("1.0000"), "UnitAmount": Decimal("100.00"),
             "LineAmount": Decimal("100.00"), "AccountCode": "200", "TaxType": "NONE"}]
    other = [{"Description": "Rent", "Quantity": 1, "UnitAmount": "120", "AccountCode": "200"}]
    assert lines_hash(base) == lines_hash(same) != lines_hash(other)
