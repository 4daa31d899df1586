"""The sandbox rounds as Xero does (sandbox/rounding.py, after Xero's "Rounding in Xero" guide).

Every request and answer here goes through the contract-validating client (official spec).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.sandbox.helpers import errors_of


def _put(api, contact, lines, types="Exclusive", **params):
    inv = {"Type": "ACCREC", "Contact": {"ContactID": contact["ContactID"]}, "Date": "2024-05-01",
           "DueDate": "2024-05-20", "Status": "AUTHORISED", "LineAmountTypes": types, "LineItems": lines}
    return api.put("/Invoices", {"Invoices": [inv]}, summarizeErrors="false", **params).json()["Invoices"][0]


def _line(unit, qty=1, tax="OUTPUT2", **extra):
    return {"Description": "Rent", "Quantity": qty, "UnitAmount": unit, "AccountCode": "210", "TaxType": tax, **extra}


@pytest.fixture
def contact(api):
    return api.contact("Rounding Tenant")


def test_four_decimal_unit_amounts_need_unitdp_4_on_writes(api, contact):
    line = _line(10.1234, qty=3, LineAmount=30.37)  # 3 x 10.1234 = 30.3702 -> 30.37
    refused = _put(api, contact, [line])
    assert errors_of(refused) == ["The line total 30.37 does not match the expected line total 30.36"]
    ok = _put(api, contact, [line], unitdp=4)
    assert ok["StatusAttributeString"] == "OK", ok
    assert ok["LineItems"][0]["UnitAmount"] == 10.1234 and ok["LineItems"][0]["LineAmount"] == 30.37


def test_reads_show_two_places_unless_unitdp_4(api, contact):
    made = _put(api, contact, [_line(10.1234, qty=3)], unitdp=4)
    plain = api.get(f"/Invoices/{made['InvoiceID']}").json()["Invoices"][0]
    assert plain["LineItems"][0]["UnitAmount"] == 10.12
    precise = api.get(f"/Invoices/{made['InvoiceID']}", unitdp=4).json()["Invoices"][0]
    assert precise["LineItems"][0]["UnitAmount"] == 10.1234
    listed = api.get("/Invoices", IDs=made["InvoiceID"], unitdp=4).json()["Invoices"][0]
    assert listed["LineItems"][0]["UnitAmount"] == 10.1234
    assert plain["Total"] == precise["Total"] == 34.93  # 30.37 + 4.56 (tax per line, to cents)


def test_unit_amounts_round_half_away_from_zero(api, contact):
    el = _put(api, contact, [_line(1.785)])
    assert el["LineItems"][0]["UnitAmount"] == 1.79 and el["LineItems"][0]["LineAmount"] == 1.79


@pytest.mark.parametrize(("given", "accepted"), [(4.56, True), (4.50, True), (4.46, True), (4.40, False)])
def test_an_explicit_tax_amount_is_accepted_within_the_tolerance(api, contact, given, accepted):
    el = _put(api, contact, [_line(30.37, TaxAmount=given)])  # Xero's own tax: 30.37 x 15% = 4.5555 -> 4.56
    if accepted:
        assert el["StatusAttributeString"] == "OK", el
        assert Decimal(str(el["TotalTax"])) == Decimal(str(given))
        assert Decimal(str(el["Total"])) == Decimal("30.37") + Decimal(str(given))
    else:
        assert errors_of(el) == ["Tax amount 4.40 is incorrect for OUTPUT2 tax type, should be 4.56"]


def test_no_tax_refuses_a_tax_amount_and_inclusive_taxes_each_line(api, contact):
    refused = _put(api, contact, [_line(100, tax="NONE", TaxAmount=15)], types="NoTax")
    assert errors_of(refused) == ["Tax amount 15.00 is incorrect for NONE tax type, should be 0"]
    two_lines = _put(api, contact, [_line(10.01), _line(10.01)], types="Inclusive")
    # each line: 10.01 - 10.01/1.15 = 1.3057 -> 1.31; one line of 20.02 would give 2.61
    assert (two_lines["SubTotal"], two_lines["TotalTax"], two_lines["Total"]) == (17.40, 2.62, 20.02)
