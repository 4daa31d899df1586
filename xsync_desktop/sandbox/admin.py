"""The admin surface (`/__admin/...`): a person working in Xero, plus test controls.

JSON in and out. Kept apart from the Xero API paths so nothing in the app can mistake it
for Xero. Every request must carry the sandbox's per-start secret in the
`X-Sandbox-Admin-Secret` header (403 otherwise): the sandbox listens on 127.0.0.1, and any
web page open in a browser could otherwise POST faults, payments or a reset to it. A custom
header also makes a browser send a CORS preflight, which this surface never answers. A GET
may carry the secret as `?admin_secret=` instead, so the demo's "Open in Xero" link (a
listing opened in the browser) works; a page cannot know the secret to build that link.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from . import render
from .errors import ApiError, ElementError
from .httpio import Request, Response, json_response
from .ledger import Ledger
from .wire import loads, parse_date, to_decimal

if TYPE_CHECKING:
    from .clock import SandboxClock
    from .faults import FaultBook
    from .idempotency import IdempotencyStore
    from .identity import Identity
    from .limits import RateLimiter
    from .state import SandboxState


class AdminTarget(Protocol):
    """What the admin surface reaches into: the server's parts, never the server module itself.

    The server builds the admin surface, so the admin must not import the server back (a
    cycle); `SandboxServer` satisfies this structurally.
    """

    state: SandboxState
    admin_secret: str
    clock: SandboxClock
    identity: Identity
    faults: FaultBook
    limiter: RateLimiter
    idempotency: IdempotencyStore

    def stats(self, tenant_id: str | None = None) -> dict[str, Any]: ...

    def reset_stats(self) -> None: ...


ADMIN_SECRET_HEADER = "X-Sandbox-Admin-Secret"
ADMIN_SECRET_QUERY = "admin_secret"


def _err(status: int, message: str) -> ApiError:
    return ApiError(status, {"error": message})


class Admin:
    def __init__(self, server: AdminTarget) -> None:
        self.srv = server
        self.routes: list[tuple[str, re.Pattern[str], Callable[..., Any]]] = []
        add = self._add
        add("GET", r"/__admin/stats", self.stats)
        add("POST", r"/__admin/clock", self.clock)
        add("POST", r"/__admin/reset", self.reset)
        add("POST", r"/__admin/faults", self.add_fault)
        add("DELETE", r"/__admin/faults", self.clear_faults)
        add("GET", r"/__admin/tenants", self.tenants)
        add("POST", r"/__admin/(?P<tid>[^/]+)/payments", self.create_payment)
        add("DELETE", r"/__admin/(?P<tid>[^/]+)/payments/(?P<pid>[^/]+)", self.delete_payment)
        add("POST", r"/__admin/(?P<tid>[^/]+)/invoices/(?P<iid>[^/]+)", self.edit_invoice)
        add("POST", r"/__admin/(?P<tid>[^/]+)/contacts/(?P<cid>[^/]+)/archive", self.archive_contact)
        add("POST", r"/__admin/(?P<tid>[^/]+)/contacts/(?P<cid>[^/]+)/merge", self.merge_contact)
        add("POST", r"/__admin/(?P<tid>[^/]+)/credit-notes/(?P<cnid>[^/]+)/allocations", self.allocate_credit)
        add("DELETE", r"/__admin/(?P<tid>[^/]+)/credit-notes/(?P<cnid>[^/]+)/allocations/(?P<aid>[^/]+)",
            self.remove_allocation)
        add("POST", r"/__admin/(?P<tid>[^/]+)/contacts", self.create_contact)
        add("POST", r"/__admin/(?P<tid>[^/]+)/accounts/(?P<code>[^/]+)/archive", self.archive_account)
        add("POST", r"/__admin/(?P<tid>[^/]+)/organisation", self.organisation)
        add("POST", r"/__admin/(?P<tid>[^/]+)/disconnect", self.disconnect)
        add("GET", r"/__admin/(?P<tid>[^/]+)/objects/(?P<kind>[^/]+)", self.objects)

    def _add(self, method: str, pattern: str, fn: Callable[..., Any]) -> None:
        self.routes.append((method, re.compile("^" + pattern + "$"), fn))

    def _authorised(self, req: Request) -> bool:
        given = req.header(ADMIN_SECRET_HEADER)
        if given is None and req.method == "GET":
            given = req.q(ADMIN_SECRET_QUERY)
        return given is not None and secrets.compare_digest(given.encode("utf-8"),
                                                            self.srv.admin_secret.encode("utf-8"))

    def handle(self, req: Request) -> Response:
        if not self._authorised(req):
            raise _err(403, f"the sandbox's admin surface needs its secret in the {ADMIN_SECRET_HEADER} header "
                            "(printed with the sandbox's address when it started)")
        for method, regex, fn in self.routes:
            m = regex.match(req.path)
            if m and method == req.method:
                req.params = m.groupdict()
                try:
                    body = loads(req.body) if req.body else {}
                except ValueError:
                    raise _err(400, "invalid JSON") from None
                status, payload = fn(req, body)
                return json_response(status, payload)
        raise _err(404, "no such admin endpoint")

    # -- helpers -------------------------------------------------------------------------------
    def _ledger(self, req: Request) -> Ledger:
        tenant = self.srv.state.tenants.get(req.params["tid"])
        if tenant is None:
            raise _err(404, "unknown tenant")
        return Ledger(tenant, self.srv.clock.now())

    def _mutate(self, req: Request, fn: Callable[[Ledger], tuple[int, Any]]) -> tuple[int, Any]:
        with self.srv.state.lock:
            led = self._ledger(req)
            try:
                result = fn(led)
            except ElementError as exc:
                raise ApiError(400, {"error": exc.messages[0], "messages": exc.messages}) from None
        self.srv.state.save()
        return result

    # -- controls ------------------------------------------------------------------------------
    def stats(self, req: Request, body: Any) -> tuple[int, Any]:
        return 200, self.srv.stats(req.q("tenant"))

    def clock(self, req: Request, body: Any) -> tuple[int, Any]:
        self.srv.clock.advance(float(body.get("advance", 0)))
        return 200, {"now": self.srv.clock.now().isoformat()}

    def reset(self, req: Request, body: Any) -> tuple[int, Any]:
        self.srv.reset_stats()
        self.srv.faults.clear()
        self.srv.limiter.reset()
        self.srv.idempotency.clear()
        return 200, {"ok": True}

    def add_fault(self, req: Request, body: Any) -> tuple[int, Any]:
        try:
            fault = self.srv.faults.add(body)
        except (ValueError, TypeError) as exc:
            raise _err(400, str(exc)) from None
        return 200, {"action": fault.action, "count": fault.count}

    def clear_faults(self, req: Request, body: Any) -> tuple[int, Any]:
        self.srv.faults.clear()
        return 200, {"ok": True}

    def tenants(self, req: Request, body: Any) -> tuple[int, Any]:
        return 200, [{"tenantId": tid, "name": t["org"]["Name"]} for tid, t in self.srv.state.tenants.items()]

    # -- a person in Xero ----------------------------------------------------------------------
    def create_payment(self, req: Request, body: Any) -> tuple[int, Any]:
        def run(led: Ledger) -> tuple[int, Any]:
            p = led.create_payment({"Invoice": {"InvoiceID": body.get("InvoiceID")}, "Amount": body.get("Amount"),
                                    "Date": body.get("Date"), "Account": {"Code": body.get("AccountCode", "090")},
                                    "Reference": body.get("Reference", "")})
            return 200, render.payment(led, p)
        return self._mutate(req, run)

    def delete_payment(self, req: Request, body: Any) -> tuple[int, Any]:
        def run(led: Ledger) -> tuple[int, Any]:
            p = led.t["payments"].get(req.params["pid"].lower())
            if p is None:
                raise _err(404, "unknown payment")
            return 200, render.payment(led, led.delete_payment(p, {"Status": "DELETED"}))
        return self._mutate(req, run)

    def edit_invoice(self, req: Request, body: Any) -> tuple[int, Any]:
        def run(led: Ledger) -> tuple[int, Any]:
            doc = led.t["invoices"].get(req.params["iid"].lower())
            if doc is None:
                raise _err(404, "unknown invoice")
            if "Status" in body:
                led.save_document("invoice", {"Status": body["Status"]}, doc, 4)
            if "DueDate" in body:
                doc["DueDate"] = parse_date(body["DueDate"])
            if "Reference" in body:
                doc["Reference"] = body["Reference"]
            if "ContactID" in body:
                contact = led.t["contacts"].get(str(body["ContactID"]).lower())
                if contact is None:
                    raise _err(404, "unknown contact")
                doc["ContactID"] = contact["ContactID"]
            if "LineAmount" in body:
                lines = [led._line_as_input(ln) for ln in doc["LineItems"]]
                lines[0]["UnitAmount"] = to_decimal(body["LineAmount"]) / (lines[0].get("Quantity") or 1)
                lines[0].pop("TaxAmount", None)  # a new amount typed in Xero gets Xero's own tax
                doc.update(led.compute_lines(lines, 4, doc["LineAmountTypes"], doc["Status"], doc["Type"]))
            doc["updated"] = led.now
            return 200, render.invoice(led, doc)
        return self._mutate(req, run)

    def archive_contact(self, req: Request, body: Any) -> tuple[int, Any]:
        def run(led: Ledger) -> tuple[int, Any]:
            contact = led.t["contacts"].get(req.params["cid"].lower())
            if contact is None:
                raise _err(404, "unknown contact")
            contact["ContactStatus"] = "ARCHIVED"
            contact["updated"] = led.now
            return 200, render.contact(contact)
        return self._mutate(req, run)

    def merge_contact(self, req: Request, body: Any) -> tuple[int, Any]:
        """Merge a contact into another, as Xero's "Merge" does (Xero Central, "Merge duplicate
        contacts"): the merged contact's transactions move to the one kept, and the merged
        contact is archived with MergedToContactID naming the one kept."""
        def run(led: Ledger) -> tuple[int, Any]:
            contact = led.t["contacts"].get(req.params["cid"].lower())
            into = led.t["contacts"].get(str(body.get("Into") or "").lower())
            if contact is None or into is None:
                raise _err(404, "unknown contact")
            if contact is into or into["ContactStatus"] != "ACTIVE":
                raise _err(400, "merge into another, active contact")
            for store in (led.t["invoices"], led.t["credit_notes"]):
                for doc in store.values():
                    if doc["ContactID"] == contact["ContactID"]:
                        doc["ContactID"] = into["ContactID"]
                        doc["updated"] = led.now
            contact["ContactStatus"] = "ARCHIVED"
            contact["MergedToContactID"] = into["ContactID"]
            contact["updated"] = into["updated"] = led.now
            return 200, render.contact(contact)
        return self._mutate(req, run)

    def allocate_credit(self, req: Request, body: Any) -> tuple[int, Any]:
        """The bookkeeper applies a credit note to an invoice (Xero: the credit note's "Allocate
        credit"), under the same rules as the API's PUT Allocations."""
        def run(led: Ledger) -> tuple[int, Any]:
            cn = led.t["credit_notes"].get(req.params["cnid"].lower())
            if cn is None:
                raise _err(404, "unknown credit note")
            alloc = led.allocate(cn, {"Invoice": {"InvoiceID": body.get("InvoiceID")}, "Amount": body.get("Amount"),
                                      "Date": body.get("Date")})
            return 200, render.allocation(led, alloc)
        return self._mutate(req, run)

    def remove_allocation(self, req: Request, body: Any) -> tuple[int, Any]:
        """The bookkeeper removes an allocation (Xero: the allocation's "Remove")."""
        def run(led: Ledger) -> tuple[int, Any]:
            alloc = led.t["allocations"].get(req.params["aid"].lower())
            if alloc is None or alloc["CreditNoteID"] != req.params["cnid"].lower() or alloc["IsDeleted"]:
                raise _err(404, "unknown allocation")
            return 200, render.allocation(led, led.delete_allocation(alloc))
        return self._mutate(req, run)

    def create_contact(self, req: Request, body: Any) -> tuple[int, Any]:
        return self._mutate(req, lambda led: (200, render.contact(led.save_contact(
            {k: body[k] for k in ("Name", "EmailAddress", "ContactNumber") if k in body}, None))))

    def archive_account(self, req: Request, body: Any) -> tuple[int, Any]:
        def run(led: Ledger) -> tuple[int, Any]:
            acc = led.account_by_code(req.params["code"])
            if acc is None:
                raise _err(404, "unknown account")
            acc["Status"] = "ARCHIVED"
            acc["updated"] = led.now
            return 200, render.account(acc)
        return self._mutate(req, run)

    def organisation(self, req: Request, body: Any) -> tuple[int, Any]:
        def run(led: Ledger) -> tuple[int, Any]:
            if "PeriodLockDate" in body:
                led.t["period_lock"] = parse_date(body["PeriodLockDate"])
            return 200, render.organisation(led.t)
        return self._mutate(req, run)

    def disconnect(self, req: Request, body: Any) -> tuple[int, Any]:
        return 200, {"disconnected": self.srv.identity.disconnect_tenant(req.params["tid"])}

    def objects(self, req: Request, body: Any) -> tuple[int, Any]:
        kind = req.params["kind"]
        with self.srv.state.lock:
            led = self._ledger(req)
            if kind == "Contacts":
                rows = [render.contact(c) for c in led.t["contacts"].values()]
            elif kind == "Invoices":
                rows = [render.invoice(led, d) for d in led.t["invoices"].values()]
            elif kind == "CreditNotes":
                rows = [render.credit_note(led, d) for d in led.t["credit_notes"].values()]
            elif kind == "Payments":
                rows = [render.payment(led, p) for p in led.t["payments"].values()]
            else:
                raise _err(404, "unknown object kind")
        return 200, {kind: rows}
