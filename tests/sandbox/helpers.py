"""Small builders shared by the sandbox tests (a validated API client per tenant, sample documents)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.fixtures.openapi import XeroContractValidator, validating_client
from tests.fixtures.sandbox import ALL_SCOPES, sandbox_token
from xsync_desktop.sandbox import SandboxServer

API = "/api.xro/2.0"


class Api:
    """A logged-in, contract-validated client for one tenant."""

    def __init__(self, srv: SandboxServer, validator: XeroContractValidator, scopes: str = ALL_SCOPES,
                 tenant: str | None = None, token: dict[str, Any] | None = None) -> None:
        self.srv = srv
        self.token = token or sandbox_token(srv, scopes)
        self.tenant = tenant or srv.tenant_ids[0]
        self.http = validating_client(srv.base_url, validator)

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        h = {"Authorization": f"Bearer {self.token['access_token']}", "xero-tenant-id": self.tenant,
             "Accept": "application/json"}
        h.update(extra or {})
        return h

    def get(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> httpx.Response:
        return self.http.get(API + path, params=params or None, headers=self.headers(headers))

    def put(self, path: str, body: Any, headers: dict[str, str] | None = None, **params: Any) -> httpx.Response:
        return self.http.put(API + path, json=body, params=params or None, headers=self.headers(headers))

    def post(self, path: str, body: Any, headers: dict[str, str] | None = None, **params: Any) -> httpx.Response:
        return self.http.post(API + path, json=body, params=params or None, headers=self.headers(headers))

    def delete(self, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return self.http.delete(API + path, headers=self.headers(headers))

    def close(self) -> None:
        self.http.close()

    # builders ---------------------------------------------------------------------------------
    def contact(self, name: str = "Ada Tenant", **fields: Any) -> dict[str, Any]:
        resp = self.put("/Contacts", {"Contacts": [{"Name": name, **fields}]}, summarizeErrors="false")
        assert resp.status_code == 200, resp.text
        body = resp.json()["Contacts"][0]
        assert body["StatusAttributeString"] == "OK", body
        return body

    def invoice(self, contact_id: str, amount: Any = 100, status: str = "AUTHORISED", **fields: Any) -> dict:
        inv = {"Type": "ACCREC", "Contact": {"ContactID": contact_id}, "Date": "2024-05-01", "DueDate": "2024-05-20",
               "Status": status, "LineItems": [{"Description": "Unit 12 rent", "Quantity": 1, "UnitAmount": amount,
                                                "AccountCode": "210", "TaxType": "OUTPUT2"}]}
        inv.update(fields)
        resp = self.put("/Invoices", {"Invoices": [inv]}, summarizeErrors="false")
        assert resp.status_code == 200, resp.text
        body = resp.json()["Invoices"][0]
        assert body["StatusAttributeString"] == "OK", body
        return body

    def pay(self, invoice_id: str, amount: Any, code: str = "090", date: str = "2024-05-02") -> httpx.Response:
        return self.put("/Payments", {"Payments": [{"Invoice": {"InvoiceID": invoice_id}, "Account": {"Code": code},
                                                    "Date": date, "Amount": amount}]}, summarizeErrors="false")


def errors_of(element: dict[str, Any]) -> list[str]:
    return [e["Message"] for e in element.get("ValidationErrors", [])]
