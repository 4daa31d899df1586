"""Settings reads and the Contacts endpoints: envelopes, filters, paging, uniqueness, batches."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tests.sandbox.helpers import errors_of


def test_organisation_envelope_and_fields(api):
    body = api.get("/Organisation").json()
    assert body["Status"] == "OK" and body["ProviderName"] and body["DateTimeUTC"].startswith("/Date(")
    org = body["Organisations"][0]
    assert org["OrganisationID"] == api.tenant and org["BaseCurrency"] == "NZD"
    assert "PeriodLockDate" not in org


def test_accounts_where_and_if_modified_since(api, sandbox, sandbox_admin):
    banks = api.get("/Accounts", where='Type=="BANK" AND Status=="ACTIVE"').json()["Accounts"]
    assert [a["Code"] for a in banks] == ["090"]
    payable = api.get("/Accounts", where="EnablePaymentsToAccount==true").json()["Accounts"]
    assert [a["Code"] for a in payable] == ["091"]
    sandbox.clock.advance(5)
    since = sandbox.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    sandbox.clock.advance(2)
    sandbox_admin.archive_account(api.tenant, "230")
    changed = api.get("/Accounts", headers={"If-Modified-Since": since}).json()["Accounts"]
    assert [(a["Code"], a["Status"]) for a in changed] == [("230", "ARCHIVED")]


def test_tax_rates_and_tracking_and_currencies(api):
    rates = {r["TaxType"]: r for r in api.get("/TaxRates").json()["TaxRates"]}
    assert rates["OUTPUT2"]["CanApplyToRevenue"] and not rates["OUTPUT2"]["CanApplyToExpenses"]
    assert {"OUTPUT2", "INPUT2", "NONE", "EXEMPTOUTPUT"} <= set(rates)
    cats = api.get("/TrackingCategories").json()["TrackingCategories"]
    assert cats[0]["Name"] == "Facility" and len(cats[0]["Options"]) == 3
    codes = [c["Code"] for c in api.get("/Currencies").json()["Currencies"]]
    assert codes == ["NZD", "AUD"]


def test_contact_create_and_read_by_id_and_number(api):
    c = api.contact("Ada Tenant", EmailAddress="ada@example.com", ContactNumber="T-1001")
    assert c["ContactStatus"] == "ACTIVE" and c["UpdatedDateUTC"].startswith("/Date(")
    by_id = api.get(f"/Contacts/{c['ContactID']}").json()["Contacts"][0]
    by_number = api.get("/Contacts/T-1001").json()["Contacts"][0]
    assert by_id["ContactID"] == by_number["ContactID"] == c["ContactID"]


def test_contact_name_must_be_unique_among_active(api, sandbox_admin):
    first = api.contact("Same Name")
    resp = api.put("/Contacts", {"Contacts": [{"Name": "same name "}]}, summarizeErrors="false")
    el = resp.json()["Contacts"][0]
    assert el["StatusAttributeString"] == "ERROR"
    assert errors_of(el) == ["The contact name must be unique across all active contacts."]
    sandbox_admin.archive_contact(api.tenant, first["ContactID"])
    assert api.contact("Same Name")["ContactID"] != first["ContactID"]


def test_batch_summarize_false_reports_every_element(api):
    resp = api.put("/Contacts", {"Contacts": [{"Name": "Good One"}, {"Name": ""}, {"Name": "Bad Mail",
                                                                                 "EmailAddress": "nope"}]},
                   summarizeErrors="false")
    assert resp.status_code == 200
    els = resp.json()["Contacts"]
    assert [e["StatusAttributeString"] for e in els] == ["OK", "ERROR", "ERROR"]
    assert errors_of(els[1]) == ["Contact Name cannot be empty."]
    assert errors_of(els[2]) == ["Email address must be valid."]


def test_batch_default_is_400_validation_exception_but_valid_elements_are_saved(api, sandbox_admin):
    resp = api.put("/Contacts", {"Contacts": [{"Name": "Saved Anyway"}, {"Name": ""}]})
    assert resp.status_code == 400
    body = resp.json()
    assert body["ErrorNumber"] == 10 and body["Type"] == "ValidationException"
    assert body["Message"] == "A validation exception occurred"
    assert len(body["Elements"]) == 1 and errors_of(body["Elements"][0]) == ["Contact Name cannot be empty."]
    names = [c["Name"] for c in sandbox_admin.objects(api.tenant, "Contacts")]
    assert "Saved Anyway" in names


def test_post_contacts_updates_by_contact_id_and_number(api):
    c = api.contact("Before", ContactNumber="N-1")
    resp = api.post("/Contacts", {"Contacts": [{"ContactNumber": "N-1", "Name": "After"}]}, summarizeErrors="false")
    assert resp.json()["Contacts"][0]["ContactID"] == c["ContactID"]
    resp = api.post(f"/Contacts/{c['ContactID']}", {"Contacts": [{"EmailAddress": "a@b.co"}]})
    assert resp.json()["Contacts"][0]["EmailAddress"] == "a@b.co"
    assert resp.json()["Contacts"][0]["Name"] == "After"


def test_contacts_list_filters(api, sandbox, sandbox_admin):
    a = api.contact("Alpha Storage", EmailAddress="alpha@example.com", ContactNumber="A1")
    b = api.contact("Beta Storage", ContactNumber="B1")
    sandbox_admin.archive_contact(api.tenant, b["ContactID"])
    names = lambda r: [c["Name"] for c in r.json()["Contacts"]]  # noqa: E731
    assert names(api.get("/Contacts")) == ["Alpha Storage"]
    assert names(api.get("/Contacts", includeArchived="true")) == ["Alpha Storage", "Beta Storage"]
    assert names(api.get("/Contacts", searchTerm="alpha@")) == ["Alpha Storage"]
    assert names(api.get("/Contacts", where='ContactNumber=="A1" OR Name=="Nobody"')) == ["Alpha Storage"]
    assert names(api.get("/Contacts", where='EmailAddress!=null AND Name.StartsWith("Al")')) == ["Alpha Storage"]
    assert names(api.get("/Contacts", IDs=f"{a['ContactID']},{b['ContactID']}", includeArchived="true")) == [
        "Alpha Storage", "Beta Storage"]
    summary = api.get("/Contacts", summaryOnly="true").json()["Contacts"][0]
    assert "Addresses" not in summary


def test_contacts_if_modified_since_is_strictly_after_to_the_second(api, sandbox):
    api.contact("Old One")
    sandbox.clock.advance(10)
    same = api.contact("Same Second")  # updated within the marked second: not "since" it
    # The mark is the second Xero stamped it with (not the clock read before the request, which a
    # loaded machine could let tick into the next second before the contact was stored).
    stamped_ms = int(re.fullmatch(r"/Date\((\d+)\+0000\)/", same["UpdatedDateUTC"]).group(1))
    mark = datetime.fromtimestamp(stamped_ms // 1000, UTC)
    sandbox.clock.advance(1)
    api.contact("New One")
    got = api.get("/Contacts", headers={"If-Modified-Since": mark.strftime("%Y-%m-%dT%H:%M:%SZ")}).json()
    assert [c["Name"] for c in got["Contacts"]] == ["New One"]


def test_paging_block_and_page_size_limit(api):
    api.put("/Contacts", {"Contacts": [{"Name": f"Tenant {i:03d}"} for i in range(25)]})
    body = api.get("/Contacts", page=2, pageSize=10).json()
    assert body["pagination"] == {"page": 2, "pageSize": 10, "pageCount": 3, "itemCount": 25}
    assert [c["Name"] for c in body["Contacts"]][0] == "Tenant 010"
    assert len(api.get("/Contacts", page=3, pageSize=10).json()["Contacts"]) == 5
    too_big = api.get("/Contacts", page=1, pageSize=1001)
    assert too_big.status_code == 400 and too_big.json()["Type"] == "ValidationException"
    assert api.get("/Contacts", page=1, pageSize=1000).status_code == 200


def test_unsupported_where_is_refused_like_xero(api):
    resp = api.get("/Contacts", where='Colour=="Blue"')
    assert resp.status_code == 400
    assert resp.json() == {"ErrorNumber": 16, "Type": "QueryParseException",
                           "Message": "No property or field 'Colour' exists in type 'Contact'"}
    assert api.get("/Contacts", where='Name=="unterminated').status_code == 400


def test_unknown_contact_is_404(api):
    resp = api.get("/Contacts/8c1e8f1e-0000-4000-8000-000000000000")
    assert resp.status_code == 404 and resp.text == "The resource you're looking for cannot be found"


def test_merge_moves_transactions_and_archives_with_merged_to_contact_id(api, sandbox_admin):
    """As Xero merges duplicates: the merged contact's invoices move to the one kept, the merged
    one is archived and names the kept one in MergedToContactID (by ID and on paged lists)."""
    old = api.contact("Dup Storage Old", ContactNumber="D1")
    kept = api.contact("Dup Storage", ContactNumber="D2")
    inv = api.invoice(old["ContactID"])
    merged = sandbox_admin.merge_contact(api.tenant, old["ContactID"], kept["ContactID"])
    assert merged["ContactStatus"] == "ARCHIVED" and merged["MergedToContactID"] == kept["ContactID"]
    by_id = api.get(f"/Contacts/{old['ContactID']}").json()["Contacts"][0]
    assert (by_id["ContactStatus"], by_id["MergedToContactID"]) == ("ARCHIVED", kept["ContactID"])
    paged = api.get("/Contacts", includeArchived="true", page=1).json()["Contacts"]
    assert next(c for c in paged if c["ContactID"] == old["ContactID"])["MergedToContactID"] == kept["ContactID"]
    moved = api.get(f"/Invoices/{inv['InvoiceID']}").json()["Invoices"][0]
    assert moved["Contact"]["ContactID"] == kept["ContactID"]
