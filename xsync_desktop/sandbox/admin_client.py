"""SandboxAdmin: a thin httpx wrapper over the sandbox's `/__admin` surface (for tests and the demo)."""

from __future__ import annotations

from typing import Any

import httpx

from .admin import ADMIN_SECRET_HEADER


class SandboxAdminError(RuntimeError):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"admin call failed with {status}: {body}")
        self.status = status
        self.body = body


class SandboxAdmin:
    """Calls the admin surface with the sandbox's per-start secret (admin.py refuses any call without it)."""

    def __init__(self, base_url: str, secret: str, timeout: float = 10.0) -> None:
        self._client = httpx.Client(base_url=base_url.rstrip("/") + "/__admin", timeout=timeout,
                                    headers={ADMIN_SECRET_HEADER: secret})

    @classmethod
    def of(cls, sandbox: Any, timeout: float = 10.0) -> SandboxAdmin:
        """For a running sandbox (server, child process or demo handle): its address and secret."""
        return cls(sandbox.base_url, sandbox.admin_secret, timeout)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> SandboxAdmin:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, body: Any = None, params: dict | None = None) -> Any:
        resp = self._client.request(method, path, json=body, params=params)
        payload = resp.json() if resp.content else None
        if resp.status_code >= 400:
            raise SandboxAdminError(resp.status_code, payload)
        return payload

    # a person working in Xero
    def create_payment(self, tid: str, InvoiceID: str, Amount: Any, Date: str, AccountCode: str = "090",  # noqa: N803
                       Reference: str = "") -> dict:
        return self._call("POST", f"/{tid}/payments", {"InvoiceID": InvoiceID, "Amount": str(Amount), "Date": Date,
                                                        "AccountCode": AccountCode, "Reference": Reference})

    payments = create_payment

    def delete_payment(self, tid: str, payment_id: str) -> dict:
        return self._call("DELETE", f"/{tid}/payments/{payment_id}")

    def edit_invoice(self, tid: str, invoice_id: str, **changes: Any) -> dict:
        if "LineAmount" in changes:
            changes["LineAmount"] = str(changes["LineAmount"])
        return self._call("POST", f"/{tid}/invoices/{invoice_id}", changes)

    invoices = edit_invoice

    def archive_contact(self, tid: str, contact_id: str) -> dict:
        return self._call("POST", f"/{tid}/contacts/{contact_id}/archive")

    def allocate_credit(self, tid: str, credit_note_id: str, invoice_id: str, amount: Any, day: str) -> dict:
        """The bookkeeper applies a credit note to an invoice in Xero."""
        return self._call("POST", f"/{tid}/credit-notes/{credit_note_id}/allocations",
                          {"InvoiceID": invoice_id, "Amount": amount, "Date": day})

    def remove_allocation(self, tid: str, credit_note_id: str, allocation_id: str) -> dict:
        """The bookkeeper removes an allocation in Xero."""
        return self._call("DELETE", f"/{tid}/credit-notes/{credit_note_id}/allocations/{allocation_id}")

    def merge_contact(self, tid: str, contact_id: str, into: str) -> dict:
        """The bookkeeper merges ``contact_id`` into ``into`` (Xero: Contacts > Merge)."""
        return self._call("POST", f"/{tid}/contacts/{contact_id}/merge", {"Into": into})

    def create_contact(self, tid: str, Name: str, EmailAddress: str | None = None,  # noqa: N803
                       ContactNumber: str | None = None) -> dict:  # noqa: N803
        body = {"Name": Name, "EmailAddress": EmailAddress, "ContactNumber": ContactNumber}
        return self._call("POST", f"/{tid}/contacts", {k: v for k, v in body.items() if v is not None})

    contacts = create_contact

    def archive_account(self, tid: str, code: str) -> dict:
        return self._call("POST", f"/{tid}/accounts/{code}/archive")

    def organisation(self, tid: str, PeriodLockDate: str | None) -> dict:  # noqa: N803
        return self._call("POST", f"/{tid}/organisation", {"PeriodLockDate": PeriodLockDate})

    def disconnect(self, tid: str) -> dict:
        return self._call("POST", f"/{tid}/disconnect")

    # test controls
    def faults(self, action: str, method: str | None = None, path: str | None = None, tenant: str | None = None,
               status: int = 500, seconds: float = 0, count: int | None = None, field: str | None = None,
               value: Any = None) -> dict:
        return self._call("POST", "/faults", {"action": action, "method": method, "path": path, "tenant": tenant,
                                              "status": status, "seconds": seconds, "count": count,
                                              "field": field, "value": value})

    add_fault = faults

    def clear_faults(self) -> dict:
        return self._call("DELETE", "/faults")

    def objects(self, tid: str, kind: str) -> list[dict]:
        return self._call("GET", f"/{tid}/objects/{kind}")[kind]

    def stats(self, tenant: str | None = None) -> dict:
        return self._call("GET", "/stats", params={"tenant": tenant} if tenant else None)

    def clock(self, advance: float) -> dict:
        return self._call("POST", "/clock", {"advance": advance})

    def reset(self) -> dict:
        return self._call("POST", "/reset")
