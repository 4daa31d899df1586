"""Every request the client sends is one Xero's official OpenAPI spec accepts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import httpx

from tests.fixtures.openapi import XeroContractValidator
from tests.fixtures.xero import XeroRig


def test_client_requests_match_the_spec(xero_rig: XeroRig, openapi_validator: XeroContractValidator) -> None:
    validated: list[str] = []

    def check(request: httpx.Request) -> None:
        url = urlsplit(str(request.url))
        if openapi_validator.validate_request(
            request.method, url.path, url.query, dict(request.headers.items()), request.content
        ):
            validated.append(f"{request.method} {url.path}")

    http = httpx.Client(timeout=15, event_hooks={"request": [check]})
    xero_rig.session._http = http  # connections calls go through the hook too
    client = xero_rig.new_client(http=http)
    try:
        xero_rig.session.connections()
        client.organisation()
        client.accounts(if_modified_since=datetime.now(UTC) - timedelta(days=1))
        client.tax_rates()
        client.tracking_categories(include_archived=True)
        client.currencies()
        name = f"Spec {uuid.uuid4().hex[:8]}"
        contact = client.put_batch("Contacts", [{"Name": name, "EmailAddress": "a@example.com"}],
                                   f"k-{uuid.uuid4()}")[0].data
        client.post_batch("Contacts", [{"ContactID": contact["ContactID"], "Name": name}], f"k-{uuid.uuid4()}")
        code = next(a["Code"] for a in client.accounts() if a.get("Type") == "REVENUE")
        today = datetime.now(UTC).date()
        inv = client.put_batch("Invoices", [{
            "Type": "ACCREC", "Contact": {"ContactID": contact["ContactID"]}, "Status": "AUTHORISED",
            "Date": today, "DueDate": today + timedelta(days=7), "InvoiceNumber": f"S-{uuid.uuid4().hex[:6]}",
            "LineItems": [{"Description": "Rent", "Quantity": Decimal("1"), "UnitAmount": Decimal("99.95"),
                           "AccountCode": code}],
        }], f"k-{uuid.uuid4()}")[0]
        assert inv.ok, inv.messages
        list(client.iter_pages("Invoices", params={"Statuses": "AUTHORISED"},
                               if_modified_since=datetime.now(UTC) - timedelta(hours=1), page_size=100))
        list(client.iter_pages("Contacts", page_size=100))
        client.get(f"/Invoices/{inv.data['InvoiceID']}")
    finally:
        http.close()
    assert len(validated) >= 12
    assert any(v.startswith("PUT /api.xro/2.0/Invoices") for v in validated)
