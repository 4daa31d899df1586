"""Accounting API endpoints (`/api.xro/2.0/...`): reads with paging and filters, batch writes.

Handlers run under the state lock with a Ledger for the tenant; they return (status, payload).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import messages as M
from . import render
from .errors import ApiError, ElementError, not_found, query_parse, validation, validation_body
from .httpio import Request
from .ledger import Ledger
from .where import WhereFilter
from .wire import is_guid, loads, ms_datetime, new_id, parse_if_modified_since

PROVIDER = "xsync desktop"
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100

READ = {
    "contacts": {"accounting.contacts", "accounting.contacts.read"},
    "settings": {"accounting.settings", "accounting.settings.read"},
    "invoices": {"accounting.transactions", "accounting.transactions.read", "accounting.invoices",
                 "accounting.invoices.read"},
    "payments": {"accounting.transactions", "accounting.transactions.read", "accounting.payments",
                 "accounting.payments.read"},
}
WRITE = {
    "contacts": {"accounting.contacts"},
    "settings": {"accounting.settings"},
    "invoices": {"accounting.transactions", "accounting.invoices"},
    "payments": {"accounting.transactions", "accounting.payments"},
}


@dataclass
class Route:
    method: str
    template: str
    area: str
    handler: Callable[..., tuple[int, Any]]
    regex: re.Pattern[str]


def _compile(template: str) -> re.Pattern[str]:
    pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", re.escape(template).replace(r"\{", "{").replace(r"\}", "}"))
    return re.compile("^" + pattern + "$", re.IGNORECASE)


def envelope(key: str, items: list[Any], now: datetime, pagination: dict[str, int] | None = None) -> dict:
    out: dict[str, Any] = {"Id": new_id(), "Status": "OK", "ProviderName": PROVIDER,
                           "DateTimeUTC": ms_datetime(now).replace("+0000", "")}
    if pagination is not None:
        out["pagination"] = pagination
    out[key] = items
    return out


def _body(req: Request) -> Any:
    try:
        return loads(req.body or b"{}")
    except ValueError:
        raise ApiError(400, {"ErrorNumber": 14, "Type": "PostDataInvalidException",
                             "Message": "Invalid Json data"}) from None


def _elements(req: Request, key: str) -> list[dict[str, Any]]:
    data = _body(req)
    if isinstance(data, dict) and isinstance(data.get(key), list):
        return data[key]
    if isinstance(data, dict) and key not in data:
        return [data]  # Xero also takes a single bare object
    raise ApiError(400, {"ErrorNumber": 14, "Type": "PostDataInvalidException",
                         "Message": f"The {key} element is missing or invalid"})


def _bool(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def _csv(value: str | None) -> list[str]:
    return [v.strip().strip('"') for v in (value or "").split(",") if v.strip()]


# -- where fields (evaluated on internal records) ----------------------------------------------
def _doc_fields(led: Ledger, kind: str) -> dict[str, Callable[[dict], Any]]:
    c = lambda d: led.t["contacts"][d["ContactID"]]  # noqa: E731
    number = "InvoiceNumber" if kind == "invoice" else "CreditNoteNumber"
    ident = "InvoiceID" if kind == "invoice" else "CreditNoteID"
    fields: dict[str, Callable[[dict], Any]] = {
        "Type": lambda d: d["Type"], "Status": lambda d: d["Status"], ident: lambda d: d["ID"],
        number: lambda d: d["Number"], "Reference": lambda d: d.get("Reference", ""),
        "Date": lambda d: d["Date"], "DueDate": lambda d: d.get("DueDate"),
        "UpdatedDateUTC": lambda d: d["updated"], "Contact.ContactID": lambda d: d["ContactID"],
        "Contact.Name": lambda d: c(d)["Name"], "Contact.ContactNumber": lambda d: c(d).get("ContactNumber"),
        "Total": lambda d: d["Total"], "SubTotal": lambda d: d["SubTotal"], "CurrencyCode": lambda d: d["CurrencyCode"],
    }
    if kind == "invoice":
        fields.update({"AmountDue": lambda d: led.amount_due(d), "AmountPaid": lambda d: led.paid(d["ID"]),
                       "AmountCredited": lambda d: led.credited(d["ID"])})
    else:
        fields["RemainingCredit"] = lambda d: led.amount_due(d)
    return fields


CONTACT_FIELDS: dict[str, Callable[[dict], Any]] = {
    "ContactID": lambda c: c["ContactID"], "Name": lambda c: c["Name"], "EmailAddress": lambda c: c.get("EmailAddress"),
    "ContactNumber": lambda c: c.get("ContactNumber"), "AccountNumber": lambda c: c.get("AccountNumber"),
    "ContactStatus": lambda c: c["ContactStatus"], "UpdatedDateUTC": lambda c: c["updated"],
    "FirstName": lambda c: c.get("FirstName"), "LastName": lambda c: c.get("LastName"),
    "IsCustomer": lambda c: bool(c.get("IsCustomer")), "IsSupplier": lambda c: bool(c.get("IsSupplier")),
}
ACCOUNT_FIELDS: dict[str, Callable[[dict], Any]] = {
    k: (lambda key: lambda a: a.get(key))(k)
    for k in ("AccountID", "Code", "Name", "Type", "Status", "Class", "TaxType", "EnablePaymentsToAccount",
              "SystemAccount", "BankAccountType", "BankAccountNumber")
}
ACCOUNT_FIELDS["UpdatedDateUTC"] = lambda a: a["updated"]
TAX_FIELDS: dict[str, Callable[[dict], Any]] = {
    "TaxType": lambda r: r["TaxType"], "Name": lambda r: r["Name"], "Status": lambda r: r["Status"],
    "ReportTaxType": lambda r: r["ReportTaxType"],
}


def _payment_fields(led: Ledger) -> dict[str, Callable[[dict], Any]]:
    def doc(p: dict) -> dict:
        return led.t["invoices" if p["DocKind"] == "invoice" else "credit_notes"][p["DocID"]]

    return {
        "PaymentID": lambda p: p["PaymentID"], "Status": lambda p: p["Status"], "Date": lambda p: p["Date"],
        "UpdatedDateUTC": lambda p: p["updated"], "Reference": lambda p: p["Reference"],
        "PaymentType": lambda p: p["PaymentType"], "Amount": lambda p: p["Amount"],
        "IsReconciled": lambda p: p["IsReconciled"],
        "Invoice.InvoiceID": lambda p: p["DocID"] if p["DocKind"] == "invoice" else None,
        "Invoice.InvoiceNumber": lambda p: doc(p)["Number"] if p["DocKind"] == "invoice" else None,
        "Invoice.Contact.ContactID": lambda p: doc(p)["ContactID"] if p["DocKind"] == "invoice" else None,
        "CreditNote.CreditNoteID": lambda p: p["DocID"] if p["DocKind"] == "credit_note" else None,
        "Account.AccountID": lambda p: p["AccountID"],
        "Account.Code": lambda p: (led.account_by_id(p["AccountID"]) or {}).get("Code"),
    }


class Accounting:
    """Route table plus handlers. `handle` expects the caller to hold the state lock."""

    def __init__(self) -> None:
        r = self._route
        self.routes: list[Route] = [
            r("GET", "/Organisation", "settings", self.get_organisation),
            r("GET", "/Currencies", "settings", self.get_currencies),
            r("GET", "/Accounts", "settings", self.get_accounts),
            r("GET", "/Accounts/{AccountID}", "settings", self.get_account),
            r("GET", "/TaxRates", "settings", self.get_tax_rates),
            r("GET", "/TrackingCategories", "settings", self.get_tracking),
            r("GET", "/TrackingCategories/{TrackingCategoryID}", "settings", self.get_tracking_one),
            r("GET", "/Contacts", "contacts", self.get_contacts),
            r("PUT", "/Contacts", "contacts", self.put_contacts),
            r("POST", "/Contacts", "contacts", self.post_contacts),
            r("GET", "/Contacts/{ContactID}", "contacts", self.get_contact),
            r("POST", "/Contacts/{ContactID}", "contacts", self.post_contact),
            r("GET", "/Invoices", "invoices", self.get_invoices),
            r("PUT", "/Invoices", "invoices", self.put_invoices),
            r("POST", "/Invoices", "invoices", self.post_invoices),
            r("GET", "/Invoices/{InvoiceID}", "invoices", self.get_invoice),
            r("POST", "/Invoices/{InvoiceID}", "invoices", self.post_invoice),
            r("GET", "/CreditNotes", "invoices", self.get_credit_notes),
            r("PUT", "/CreditNotes", "invoices", self.put_credit_notes),
            r("POST", "/CreditNotes", "invoices", self.post_credit_notes),
            r("GET", "/CreditNotes/{CreditNoteID}", "invoices", self.get_credit_note),
            r("POST", "/CreditNotes/{CreditNoteID}", "invoices", self.post_credit_note),
            r("PUT", "/CreditNotes/{CreditNoteID}/Allocations", "invoices", self.put_allocations),
            r("DELETE", "/CreditNotes/{CreditNoteID}/Allocations/{AllocationID}", "invoices", self.delete_allocation),
            r("GET", "/Payments", "payments", self.get_payments),
            r("PUT", "/Payments", "payments", self.put_payments),
            r("POST", "/Payments", "payments", self.post_payment),
            r("GET", "/Payments/{PaymentID}", "payments", self.get_payment),
            r("POST", "/Payments/{PaymentID}", "payments", self.delete_payment),
        ]

    @staticmethod
    def _route(method: str, template: str, area: str, handler: Callable[..., tuple[int, Any]]) -> Route:
        return Route(method, template, area, handler, _compile(template))

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
        """(route, params, path_exists_for_other_method)."""
        exists = False
        for route in self.routes:
            m = route.regex.match(path)
            if m:
                exists = True
                if route.method == method:
                    return route, m.groupdict(), True
        return None, {}, exists

    @staticmethod
    def allowed(route: Route, scopes: set[str]) -> bool:
        needed = READ[route.area] if route.method == "GET" else WRITE[route.area]
        return bool(needed & scopes)

    # -- shared list machinery -------------------------------------------------------------------
    def _filter(self, req: Request, items: list[dict], fields: dict, type_name: str, *, modified: bool = True,
                paged: bool = True, order_default: Callable[[dict], Any] | None = None) -> tuple[list, dict | None]:
        if modified and req.header("if-modified-since"):
            try:
                since = parse_if_modified_since(req.header("if-modified-since") or "").replace(microsecond=0)
            except (ValueError, TypeError):
                raise validation("The If-Modified-Since header is not a valid date.") from None
            items = [i for i in items if fields["UpdatedDateUTC"](i).replace(microsecond=0) > since]
        where = req.q("where")
        if where:
            flt = WhereFilter(where, fields, type_name)
            items = [i for i in items if flt.matches(i)]
        order = req.q("order")
        if order:
            parts = order.split()
            key = {k.lower(): v for k, v in fields.items()}.get(parts[0].lower())
            if key is None or len(parts) > 2 or (len(parts) == 2 and parts[1].upper() not in ("ASC", "DESC")):
                raise query_parse(f"No property or field '{parts[0]}' exists in type '{type_name}'")
            items = sorted(items, key=lambda i: (key(i) is None, key(i) if key(i) is not None else ""),
                           reverse=len(parts) == 2 and parts[1].upper() == "DESC")
        elif order_default:
            items = sorted(items, key=order_default)
        if not paged:
            return items, None
        page_text, size_text = req.q("page"), req.q("pageSize")
        try:
            page = int(page_text) if page_text not in (None, "") else 1
            size = int(size_text) if size_text not in (None, "") else DEFAULT_PAGE_SIZE
        except ValueError:
            raise validation(M.PAGE) from None
        if page < 1:
            raise validation(M.PAGE)
        if size < 1 or size > MAX_PAGE_SIZE:
            raise validation(M.PAGE_SIZE)
        count = len(items)
        pagination = {"page": page, "pageSize": size, "pageCount": (count + size - 1) // size, "itemCount": count}
        return items[(page - 1) * size: page * size], pagination

    def _batch(self, req: Request, key: str, elements: list[dict], fn: Callable[[dict], dict],
               echo_id: str | None) -> tuple[int, Any]:
        """Xero's batch semantics: every valid element is saved; errors summarised or per element."""
        summarize = (req.q("summarizeErrors") or "true").strip().lower() != "false"
        results, failed = [], []
        for raw in elements:
            if not isinstance(raw, dict):
                raw = {}
            try:
                out = fn(raw)
                out["StatusAttributeString"] = "OK"
                results.append(out)
            except ElementError as exc:
                echo = {k: v for k, v in raw.items() if k not in ("ValidationErrors", "Warnings")}
                if echo_id and not echo.get(echo_id):
                    echo[echo_id] = "00000000-0000-0000-0000-000000000000"
                echo["StatusAttributeString"] = "ERROR"
                echo["ValidationErrors"] = [{"Message": m} for m in exc.messages]
                if key in ("Contacts", "Payments"):
                    echo["HasValidationErrors"] = True
                else:
                    echo["HasErrors"] = True
                results.append(echo)
                failed.append(echo)
        if failed and summarize:
            return 400, validation_body(failed)
        return 200, (key, results)

    # -- settings ------------------------------------------------------------------------------
    def get_organisation(self, req: Request, led: Ledger) -> tuple[int, Any]:
        return 200, ("Organisations", [render.organisation(led.t)])

    def get_currencies(self, req: Request, led: Ledger) -> tuple[int, Any]:
        rows = [{"Code": code, "Description": desc} for code, desc in led.t["currencies"]]
        fields = {"Code": lambda c: c["Code"], "Description": lambda c: c["Description"]}
        rows, _ = self._filter(req, rows, fields, "Currency", modified=False, paged=False)
        return 200, ("Currencies", rows)

    def get_accounts(self, req: Request, led: Ledger) -> tuple[int, Any]:
        rows, _ = self._filter(req, list(led.t["accounts"]), ACCOUNT_FIELDS, "Account", paged=False)
        return 200, ("Accounts", [render.account(a) for a in rows])

    def get_account(self, req: Request, led: Ledger) -> tuple[int, Any]:
        acc = led.account_by_id(req.params["AccountID"])
        if acc is None:
            raise not_found()
        return 200, ("Accounts", [render.account(acc)])

    def get_tax_rates(self, req: Request, led: Ledger) -> tuple[int, Any]:
        rows, _ = self._filter(req, list(led.t["tax_rates"]), TAX_FIELDS, "TaxRate", modified=False, paged=False)
        return 200, ("TaxRates", [render.tax_rate(r) for r in rows])

    def get_tracking(self, req: Request, led: Ledger) -> tuple[int, Any]:
        inc = _bool(req.q("includeArchived"))
        rows = [render.tracking_category(c, inc) for c in led.t["tracking"] if inc or c["Status"] == "ACTIVE"]
        return 200, ("TrackingCategories", rows)

    def get_tracking_one(self, req: Request, led: Ledger) -> tuple[int, Any]:
        cat = next((c for c in led.t["tracking"] if c["TrackingCategoryID"] == req.params["TrackingCategoryID"].lower()),
                   None)
        if cat is None:
            raise not_found()
        return 200, ("TrackingCategories", [render.tracking_category(cat, True)])

    # -- contacts ------------------------------------------------------------------------------
    def get_contacts(self, req: Request, led: Ledger) -> tuple[int, Any]:
        items = list(led.t["contacts"].values())
        ids = _csv(req.q("IDs"))
        if ids:
            wanted = {i.lower() for i in ids}
            items = [c for c in items if c["ContactID"] in wanted]
        if not _bool(req.q("includeArchived")):
            items = [c for c in items if c["ContactStatus"] == "ACTIVE"]
        term = (req.q("searchTerm") or "").lower()
        if term:
            items = [c for c in items if any(term in str(c.get(f) or "").lower() for f in (
                "Name", "FirstName", "LastName", "ContactNumber", "CompanyNumber", "EmailAddress"))]
        page, pagination = self._filter(req, items, CONTACT_FIELDS, "Contact",
                                        order_default=lambda c: c["Name"].lower())
        summary = _bool(req.q("summaryOnly"))
        return 200, ("Contacts", [render.contact(c, summary) for c in page], pagination)

    def get_contact(self, req: Request, led: Ledger) -> tuple[int, Any]:
        key = req.params["ContactID"]
        if is_guid(key):
            contact = led.t["contacts"].get(key.lower())
        else:  # GET /Contacts/{ContactNumber}
            contact = next(iter(led.contacts_numbered(key)), None)
        if contact is None:
            raise not_found()
        return 200, ("Contacts", [render.contact(contact)])

    def _save_contact(self, led: Ledger, raw: dict, upsert: bool) -> dict:
        existing = led.find_contact(raw) if upsert else None
        if upsert and raw.get("ContactID") and existing is None:
            raise ElementError(M.CONTACT_NOT_FOUND.format(id=raw["ContactID"]))
        return render.contact(led.save_contact(raw, existing))

    def put_contacts(self, req: Request, led: Ledger) -> tuple[int, Any]:
        return self._batch(req, "Contacts", _elements(req, "Contacts"),
                           lambda raw: self._save_contact(led, {k: v for k, v in raw.items() if k != "ContactID"},
                                                          False), "ContactID")

    def post_contacts(self, req: Request, led: Ledger) -> tuple[int, Any]:
        return self._batch(req, "Contacts", _elements(req, "Contacts"),
                           lambda raw: self._save_contact(led, raw, True), "ContactID")

    def post_contact(self, req: Request, led: Ledger) -> tuple[int, Any]:
        contact = led.t["contacts"].get(req.params["ContactID"].lower())
        if contact is None:
            raise not_found()
        elements = _elements(req, "Contacts")[:1]
        return self._batch(req, "Contacts", elements,
                           lambda raw: render.contact(led.save_contact(
                               {k: v for k, v in raw.items() if k != "ContactID"}, contact)), "ContactID")

    # -- invoices and credit notes -------------------------------------------------------------
    def _docs(self, req: Request, led: Ledger, kind: str) -> tuple[int, Any]:
        store = led.t["invoices"] if kind == "invoice" else led.t["credit_notes"]
        items = list(store.values())
        if kind == "invoice":
            for param, getter in (("IDs", lambda d: d["ID"]), ("ContactIDs", lambda d: d["ContactID"])):
                values = {v.lower() for v in _csv(req.q(param))}
                if values:
                    items = [d for d in items if getter(d) in values]
            numbers = set(_csv(req.q("InvoiceNumbers")))
            if numbers:
                items = [d for d in items if d["Number"] in numbers]
            statuses = {s.upper() for s in _csv(req.q("Statuses"))}
            if statuses:
                items = [d for d in items if d["Status"] in statuses]
            term = (req.q("searchTerm") or "").lower()
            if term:
                items = [d for d in items if term in d["Number"].lower() or term in d.get("Reference", "").lower()]
        type_name = "Invoice" if kind == "invoice" else "CreditNote"
        page, pagination = self._filter(req, items, _doc_fields(led, kind), type_name,
                                        order_default=lambda d: d["created"])
        if kind == "invoice":
            summary = _bool(req.q("summaryOnly"))
            return 200, ("Invoices", [render.invoice(led.doc_view(d), d, summary, _unitdp(req)) for d in page],
                         pagination)
        return 200, ("CreditNotes", [render.credit_note(led.doc_view(d), d, _unitdp(req)) for d in page], pagination)

    def _one_doc(self, led: Ledger, kind: str, key: str) -> dict:
        store = led.t["invoices"] if kind == "invoice" else led.t["credit_notes"]
        doc = store.get(key.lower()) if is_guid(key) else next(
            (d for d in led.documents_numbered(kind, key) if d["Status"] != "DELETED"), None)
        if doc is None:
            raise not_found()
        return doc

    def _render_doc(self, led: Ledger, doc: dict, unitdp: int) -> dict:
        view = led.doc_view(doc)  # renders only this document's payments and allocations
        return render.invoice(view, doc, unitdp=unitdp) if doc["Kind"] == "invoice" else \
            render.credit_note(view, doc, unitdp)

    def _save_docs(self, req: Request, led: Ledger, kind: str, upsert: bool, target: dict | None = None):
        key = "Invoices" if kind == "invoice" else "CreditNotes"
        id_key = "InvoiceID" if kind == "invoice" else "CreditNoteID"
        number_key = "InvoiceNumber" if kind == "invoice" else "CreditNoteNumber"
        unitdp = _unitdp(req)
        store = led.t["invoices"] if kind == "invoice" else led.t["credit_notes"]

        def save(raw: dict) -> dict:
            existing = target
            if existing is None and upsert:
                if raw.get(id_key):
                    existing = store.get(str(raw[id_key]).lower())
                    if existing is None:
                        raise ElementError(f"{'Invoice' if kind == 'invoice' else 'Credit Note'} could not be found")
                elif raw.get(number_key):
                    existing = next((d for d in led.documents_numbered(kind, raw[number_key])
                                     if d["Status"] != "DELETED"), None)
            return self._render_doc(led, led.save_document(kind, raw, existing, unitdp), unitdp)

        elements = _elements(req, key)
        if target is not None:
            elements = elements[:1]
        return self._batch(req, key, elements, save, id_key)

    def get_invoices(self, req: Request, led: Ledger) -> tuple[int, Any]:
        return self._docs(req, led, "invoice")

    def put_invoices(self, req: Request, led: Ledger) -> tuple[int, Any]:
        return self._save_docs(req, led, "invoice", upsert=False)

    def post_invoices(self, req: Request, led: Ledger) -> tuple[int, Any]:
        return self._save_docs(req, led, "invoice", upsert=True)

    def get_invoice(self, req: Request, led: Ledger) -> tuple[int, Any]:
        doc = self._one_doc(led, "invoice", req.params["InvoiceID"])
        return 200, ("Invoices", [render.invoice(led.doc_view(doc), doc, unitdp=_unitdp(req))])

    def post_invoice(self, req: Request, led: Ledger) -> tuple[int, Any]:
        doc = self._one_doc(led, "invoice", req.params["InvoiceID"])
        return self._save_docs(req, led, "invoice", upsert=True, target=doc)

    def get_credit_notes(self, req: Request, led: Ledger) -> tuple[int, Any]:
        return self._docs(req, led, "credit_note")

    def put_credit_notes(self, req: Request, led: Ledger) -> tuple[int, Any]:
        return self._save_docs(req, led, "credit_note", upsert=False)

    def post_credit_notes(self, req: Request, led: Ledger) -> tuple[int, Any]:
        return self._save_docs(req, led, "credit_note", upsert=True)

    def get_credit_note(self, req: Request, led: Ledger) -> tuple[int, Any]:
        doc = self._one_doc(led, "credit_note", req.params["CreditNoteID"])
        return 200, ("CreditNotes", [render.credit_note(led.doc_view(doc), doc, _unitdp(req))])

    def post_credit_note(self, req: Request, led: Ledger) -> tuple[int, Any]:
        doc = self._one_doc(led, "credit_note", req.params["CreditNoteID"])
        return self._save_docs(req, led, "credit_note", upsert=True, target=doc)

    def put_allocations(self, req: Request, led: Ledger) -> tuple[int, Any]:
        cn = self._one_doc(led, "credit_note", req.params["CreditNoteID"])
        return self._batch(req, "Allocations", _elements(req, "Allocations"),
                           lambda raw: render.allocation(led, led.allocate(cn, raw)), None)

    def delete_allocation(self, req: Request, led: Ledger) -> tuple[int, Any]:
        cn = self._one_doc(led, "credit_note", req.params["CreditNoteID"])
        alloc = led.t["allocations"].get(req.params["AllocationID"].lower())
        if alloc is None or alloc["CreditNoteID"] != cn["ID"] or alloc["IsDeleted"]:
            raise not_found()
        try:
            led.delete_allocation(alloc)
        except ElementError as exc:
            raise validation(exc.messages[0]) from None
        return 200, render.allocation(led, alloc)

    # -- payments ------------------------------------------------------------------------------
    def get_payments(self, req: Request, led: Ledger) -> tuple[int, Any]:
        page, pagination = self._filter(req, list(led.t["payments"].values()), _payment_fields(led), "Payment",
                                        order_default=lambda p: p["created"])
        return 200, ("Payments", [render.payment(led, p) for p in page], pagination)

    def get_payment(self, req: Request, led: Ledger) -> tuple[int, Any]:
        p = led.t["payments"].get(req.params["PaymentID"].lower())
        if p is None:
            raise not_found()
        return 200, ("Payments", [render.payment(led, p)])

    def put_payments(self, req: Request, led: Ledger) -> tuple[int, Any]:
        return self._batch(req, "Payments", _elements(req, "Payments"),
                           lambda raw: render.payment(led, led.create_payment(raw)), "PaymentID")

    def post_payment(self, req: Request, led: Ledger) -> tuple[int, Any]:
        data = _body(req)
        elements = data["Payments"] if isinstance(data, dict) and isinstance(data.get("Payments"), list) else [data]
        return self._batch(req, "Payments", elements[:1],
                           lambda raw: render.payment(led, led.create_payment(raw)), "PaymentID")

    def delete_payment(self, req: Request, led: Ledger) -> tuple[int, Any]:
        p = led.t["payments"].get(req.params["PaymentID"].lower())
        if p is None:
            raise not_found()
        return self._batch(req, "Payments", _elements(req, "Payments")[:1],
                           lambda raw: render.payment(led, led.delete_payment(p, raw)), "PaymentID")


def _unitdp(req: Request) -> int:
    """4 when the request opted in with unitdp=4, else Xero's default of 2 (rounding.py)."""
    return 4 if req.q("unitdp") == "4" else 2
