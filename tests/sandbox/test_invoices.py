"""Invoices: totals and rounding, account/tax/contact rules, numbering, status transitions, reads."""

from __future__ import annotations

import pytest

from tests.sandbox.helpers import errors_of


def _put(api, inv: dict, **params):
    base = {"Type": "ACCREC", "Date": "2024-05-01", "DueDate": "2024-05-20", "Status": "AUTHORISED"}
    base.update(inv)
    base = {k: v for k, v in base.items() if v is not None}
    return api.put("/Invoices", {"Invoices": [base]}, summarizeErrors="false", **params).json()["Invoices"][0]


def _line(amount, code="210", tax="OUTPUT2", qty=1, **extra):
    return {"Description": "Rent", "Quantity": qty, "UnitAmount": amount, "AccountCode": code, "TaxType": tax, **extra}


@pytest.fixture
def contact(api):
    return api.contact("Ada Tenant")


@pytest.mark.parametrize(("types", "lines", "expected"), [
    ("Exclusive", [(1, 100)], ("100.00", "15.00", "115.00")),
    ("Inclusive", [(1, 115)], ("100.00", "15.00", "115.00")),
    ("NoTax", [(1, 100)], ("100.00", "0.00", "100.00")),
    ("Exclusive", [(3, 33.33), (1, 0.05)], ("100.04", "15.01", "115.05")),  # 99.99*.15=14.9985->15.00, .05*.15=.0075->.01
    ("Inclusive", [(1, 10.01)], ("8.70", "1.31", "10.01")),
])
def test_totals_follow_line_amount_types_with_xero_rounding(api, contact, types, lines, expected):
    el = _put(api, {"Contact": {"ContactID": contact["ContactID"]}, "LineAmountTypes": types,
                    "LineItems": [_line(u, qty=q, tax="NONE" if types == "NoTax" else "OUTPUT2") for q, u in lines]})
    assert el["StatusAttributeString"] == "OK", el
    from decimal import Decimal
    got = tuple(f"{Decimal(str(el[k])):.2f}" for k in ("SubTotal", "TotalTax", "Total"))
    assert got == expected
    assert el["AmountDue"] == el["Total"] and el["InvoiceNumber"].startswith("INV-")


def test_unit_amount_decimals_depend_on_unitdp(api, contact):
    two = _put(api, {"Contact": {"ContactID": contact["ContactID"]}, "LineItems": [_line(10.1234)]})
    assert two["LineItems"][0]["UnitAmount"] == 10.12
    four = _put(api, {"Contact": {"ContactID": contact["ContactID"]}, "LineItems": [_line(10.1234)]}, unitdp=4)
    assert four["LineItems"][0]["UnitAmount"] == 10.1234 and four["LineItems"][0]["LineAmount"] == 10.12


@pytest.mark.parametrize(("code", "tax", "message"), [
    ("999", None, "Account code '999' is not a valid code for this document."),
    ("090", None, "Account code '090' is not a valid code for this document."),
    ("610", None, "Account code '610' is not a valid code for this document."),
    ("250", None, "Account must be valid."),
    ("210", "INPUT2", "The TaxType code 'INPUT2' cannot be used with account code '210'."),
    ("210", "BOGUS", "The TaxType code 'BOGUS' cannot be used with account code '210'."),
])
def test_account_and_tax_rules(api, contact, code, tax, message):
    line = {"Description": "x", "Quantity": 1, "UnitAmount": 10, "AccountCode": code}
    if tax:
        line["TaxType"] = tax
    el = _put(api, {"Contact": {"ContactID": contact["ContactID"]}, "LineItems": [line]})
    assert el["StatusAttributeString"] == "ERROR" and message in errors_of(el)


def test_account_archived_after_use_is_refused_on_new_documents(api, contact, sandbox_admin):
    assert _put(api, {"Contact": {"ContactID": contact["ContactID"]}, "LineItems": [_line(5, code="230")]})[
        "StatusAttributeString"] == "OK"
    sandbox_admin.archive_account(api.tenant, "230")
    el = _put(api, {"Contact": {"ContactID": contact["ContactID"]}, "LineItems": [_line(5, code="230")]})
    assert errors_of(el) == ["Account must be valid."]


def test_archived_contact_cannot_be_used(api, contact, sandbox_admin):
    sandbox_admin.archive_contact(api.tenant, contact["ContactID"])
    el = _put(api, {"Contact": {"ContactID": contact["ContactID"]}, "LineItems": [_line(5)]})
    assert errors_of(el) == ["The contact 'Ada Tenant' has been archived and cannot be used on a new transaction."]


def test_invoice_number_must_be_unique(api, contact):
    first = _put(api, {"Contact": {"ContactID": contact["ContactID"]}, "InvoiceNumber": "L-1", "LineItems": [_line(5)]})
    assert first["InvoiceNumber"] == "L-1"
    el = _put(api, {"Contact": {"ContactID": contact["ContactID"]}, "InvoiceNumber": "L-1", "LineItems": [_line(5)]})
    assert errors_of(el) == ["Invoice # must be unique."]


def test_currency_must_be_enabled_and_tracking_must_exist(api, contact):
    el = _put(api, {"Contact": {"ContactID": contact["ContactID"]}, "CurrencyCode": "USD", "LineItems": [_line(5)]})
    assert errors_of(el) == ["Organisation is not subscribed to currency USD"]
    ok = _put(api, {"Contact": {"ContactID": contact["ContactID"]}, "CurrencyCode": "AUD",
                    "LineItems": [_line(5, Tracking=[{"Name": "Facility", "Option": "Northgate"}])]})
    assert ok["CurrencyCode"] == "AUD" and ok["LineItems"][0]["Tracking"][0]["Option"] == "Northgate"
    bad = _put(api, {"Contact": {"ContactID": contact["ContactID"]},
                     "LineItems": [_line(5, Tracking=[{"Name": "Facility", "Option": "Mars"}])]})
    assert bad["StatusAttributeString"] == "ERROR"


def test_period_lock_date_refuses_documents_on_or_before_it(api, contact, sandbox_admin):
    sandbox_admin.organisation(api.tenant, PeriodLockDate="2024-04-30")
    org = api.get("/Organisation").json()["Organisations"][0]
    assert org["PeriodLockDate"].startswith("/Date(1714435200000")
    el = _put(api, {"Contact": {"ContactID": contact["ContactID"]}, "Date": "2024-04-30", "LineItems": [_line(5)]})
    assert errors_of(el) == ["The document date cannot be before the period lock date, currently set at 30-Apr-2024"]
    assert _put(api, {"Contact": {"ContactID": contact["ContactID"]}, "Date": "2024-05-01",
                      "LineItems": [_line(5)]})["StatusAttributeString"] == "OK"


@pytest.mark.parametrize(("start", "target", "ok"), [
    ("DRAFT", "DELETED", True), ("SUBMITTED", "DELETED", True), ("DRAFT", "AUTHORISED", True),
    ("AUTHORISED", "VOIDED", True), ("AUTHORISED", "DELETED", False), ("AUTHORISED", "DRAFT", False),
    ("DRAFT", "VOIDED", False),
])
def test_status_transitions(api, contact, start, target, ok):
    inv = api.invoice(contact["ContactID"], status=start)
    resp = api.post(f"/Invoices/{inv['InvoiceID']}", {"Invoices": [{"Status": target}]}, summarizeErrors="false")
    el = resp.json()["Invoices"][0]
    if ok:
        assert el["StatusAttributeString"] == "OK" and el["Status"] == target
    else:
        assert errors_of(el) == ["Invoice not of valid status for modification"]


def test_deleted_invoice_cannot_be_revived(api, contact):
    inv = api.invoice(contact["ContactID"], status="DRAFT")
    api.post(f"/Invoices/{inv['InvoiceID']}", {"Invoices": [{"Status": "DELETED"}]})
    resp = api.post(f"/Invoices/{inv['InvoiceID']}", {"Invoices": [{"Status": "DRAFT"}]})
    assert resp.status_code == 400
    assert errors_of(resp.json()["Elements"][0]) == ["Invoice not of valid status for modification"]


def test_paid_or_part_paid_invoice_cannot_be_edited_or_voided(api, contact):
    inv = api.invoice(contact["ContactID"], amount=100)
    assert api.pay(inv["InvoiceID"], 50).json()["Payments"][0]["StatusAttributeString"] == "OK"
    msg = "This document cannot be edited as it has a payment or credit note allocated to it"
    for change in ({"Status": "VOIDED"}, {"Reference": "new"}, {"LineItems": [_line(200)]}):
        el = api.post(f"/Invoices/{inv['InvoiceID']}", {"Invoices": [change]}, summarizeErrors="false").json()
        assert errors_of(el["Invoices"][0]) == [msg]


def test_post_line_items_replace_and_updated_date_moves(api, contact, sandbox):
    inv = api.invoice(contact["ContactID"], status="DRAFT")
    sandbox.clock.advance(3)
    el = api.post(f"/Invoices/{inv['InvoiceID']}", {"Invoices": [{"LineItems": [_line(40), _line(60)]}]}).json()
    el = el["Invoices"][0]
    assert len(el["LineItems"]) == 2 and el["Total"] == 115.0
    assert el["UpdatedDateUTC"] != inv["UpdatedDateUTC"]


def test_invoice_list_filters(api, contact):
    other = api.contact("Bob Renter")
    a = api.invoice(contact["ContactID"], Reference="REF-A", InvoiceNumber="X-1")
    b = api.invoice(other["ContactID"], status="DRAFT", Reference="REF-B", Date="2024-06-15")
    nums = lambda r: sorted(i["InvoiceNumber"] for i in r.json()["Invoices"])  # noqa: E731
    assert nums(api.get("/Invoices", Statuses="DRAFT")) == [b["InvoiceNumber"]]
    assert nums(api.get("/Invoices", IDs=a["InvoiceID"])) == ["X-1"]
    assert nums(api.get("/Invoices", ContactIDs=other["ContactID"])) == [b["InvoiceNumber"]]
    assert nums(api.get("/Invoices", InvoiceNumbers="X-1")) == ["X-1"]
    assert nums(api.get("/Invoices", where=f'Contact.ContactID==Guid("{contact["ContactID"]}")')) == ["X-1"]
    assert nums(api.get("/Invoices", where='Date>=DateTime(2024,06,01) AND Type=="ACCREC"')) == [b["InvoiceNumber"]]
    assert nums(api.get("/Invoices", where='Reference=="REF-A" OR Reference=="REF-B"')) == sorted(
        ["X-1", b["InvoiceNumber"]])
    assert nums(api.get("/Invoices", searchTerm="ref-b")) == [b["InvoiceNumber"]]
    body = api.get("/Invoices", page=1, pageSize=1).json()
    assert body["pagination"] == {"page": 1, "pageSize": 1, "pageCount": 2, "itemCount": 2}


def test_too_many_ids_in_query_string_is_404(api, contact):
    ids = ",".join(["8c1e8f1e-0000-4000-8000-000000000000"] * 60)
    assert api.get("/Invoices", IDs=ids).status_code == 404


def test_contact_named_on_invoice_is_created(api):
    el = _put(api, {"Contact": {"Name": "Walk-in Customer"}, "LineItems": [_line(5)]})
    assert el["StatusAttributeString"] == "OK"
    assert [c["Name"] for c in api.get("/Contacts").json()["Contacts"]] == ["Walk-in Customer"]


def test_authorised_invoice_needs_due_date(api, contact):
    el = _put(api, {"Contact": {"ContactID": contact["ContactID"]}, "DueDate": None, "LineItems": [_line(5)]})
    assert errors_of(el) == ["Due Date is required for approved invoices."]
