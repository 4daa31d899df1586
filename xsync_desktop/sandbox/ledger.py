"""Xero's bookkeeping rules for one organisation: contacts, invoices, credit notes, payments.

Pure functions over the tenant's dict (no HTTP). Every rule raises ElementError with Xero's
message so batches can report per element. Money is Decimal throughout.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from . import messages as M
from .errors import ElementError
from .rounding import line_tax, tax_with_override, unit_amount
from .wire import FOUR, is_guid, money, new_id, parse_date, to_decimal

EDITABLE_OPEN = {"DRAFT", "SUBMITTED"}
ZERO = Decimal("0")


INDEX_KEY = "_index"  # tenant keys starting with "_" are derived, never persisted (state.py)


def _fold(text: Any) -> str:
    return str(text or "").strip().lower()


class TenantIndex:
    """Derived lookups for one organisation, so no request scans every payment or document.

    Without it, a 10,000-invoice organisation made each saved invoice scan every number and
    each rendered invoice scan every payment (quadratic). Entries point at the very same
    record dicts, and every lookup re-checks the record (name, number, status), so a record
    changed elsewhere (an admin edit) is never matched wrongly; records are only ever added,
    never removed, so a changed count means something was added behind our back: rebuild.
    """

    def __init__(self, t: dict[str, Any]) -> None:
        self.payments_by_doc: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.allocations_by_doc: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.docs_by_number: dict[str, dict[str, list[dict[str, Any]]]] = {
            "invoice": defaultdict(list), "credit_note": defaultdict(list)}
        self.contacts_by_name: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.contacts_by_number: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for p in t["payments"].values():
            self.add_payment(p)
        for a in t["allocations"].values():
            self.add_allocation(a)
        for kind, store in (("invoice", t["invoices"]), ("credit_note", t["credit_notes"])):
            for d in store.values():
                self.add_document(kind, d)
        for c in t["contacts"].values():
            self.add_contact(c)
        self.counts = self.sizes(t)

    @staticmethod
    def sizes(t: dict[str, Any]) -> tuple[int, ...]:
        return (len(t["payments"]), len(t["allocations"]), len(t["invoices"]), len(t["credit_notes"]),
                len(t["contacts"]))

    def add_payment(self, p: dict[str, Any]) -> None:
        self.payments_by_doc[p["DocID"]].append(p)

    def add_allocation(self, a: dict[str, Any]) -> None:
        self.allocations_by_doc[a["InvoiceID"]].append(a)
        self.allocations_by_doc[a["CreditNoteID"]].append(a)

    def add_document(self, kind: str, d: dict[str, Any]) -> None:
        bucket = self.docs_by_number[kind][d.get("Number") or ""]
        if not any(x is d for x in bucket):
            bucket.append(d)

    def add_contact(self, c: dict[str, Any]) -> None:
        for index, key in ((self.contacts_by_name, _fold(c.get("Name"))),
                           (self.contacts_by_number, str(c.get("ContactNumber") or ""))):
            bucket = index[key]
            if not any(x is c for x in bucket):
                bucket.append(c)


class Ledger:
    def __init__(self, tenant: dict[str, Any], now: datetime) -> None:
        self.t = tenant
        self.now = now
        idx = tenant.get(INDEX_KEY)
        if not isinstance(idx, TenantIndex) or idx.counts != TenantIndex.sizes(tenant):
            idx = TenantIndex(tenant)
            tenant[INDEX_KEY] = idx
        self.idx: TenantIndex = idx

    def _recount(self) -> None:
        self.idx.counts = TenantIndex.sizes(self.t)

    # -- indexed lookups (each re-checks the record) ----------------------------------------------
    def payments_of(self, doc_id: str) -> list[dict[str, Any]]:
        return [p for p in self.idx.payments_by_doc.get(doc_id, ()) if p["DocID"] == doc_id]

    def allocations_of(self, doc_id: str) -> list[dict[str, Any]]:
        return [a for a in self.idx.allocations_by_doc.get(doc_id, ())
                if doc_id in (a["InvoiceID"], a["CreditNoteID"])]

    def documents_numbered(self, kind: str, number: Any) -> list[dict[str, Any]]:
        key = number if isinstance(number, str) else str(number or "")
        return [d for d in self.idx.docs_by_number[kind].get(key, ()) if d.get("Number") == number]

    def contacts_named(self, name: Any) -> list[dict[str, Any]]:
        key = _fold(name)
        return [c for c in self.idx.contacts_by_name.get(key, ()) if _fold(c.get("Name")) == key]

    def contacts_numbered(self, number: Any) -> list[dict[str, Any]]:
        return [c for c in self.idx.contacts_by_number.get(str(number or ""), ())
                if c.get("ContactNumber") == number]

    def doc_view(self, doc: dict[str, Any]) -> Ledger:
        """This ledger seen through one document: only its payments and allocations.

        Rendering a document lists its payments and credit allocations by scanning the
        tenant's; handing the renderer this narrowed view keeps that O(its own) and the
        output identical (every other key is the tenant's own).
        """
        view = Ledger.__new__(Ledger)
        t = {k: v for k, v in self.t.items() if k != INDEX_KEY}
        t["payments"] = {p["PaymentID"]: p for p in self.payments_of(doc["ID"])}
        t["allocations"] = {a["AllocationID"]: a for a in self.allocations_of(doc["ID"])}
        view.t, view.now, view.idx = t, self.now, self.idx
        return view

    # -- lookups -------------------------------------------------------------------------------
    def account_by_code(self, code: str) -> dict[str, Any] | None:
        return next((a for a in self.t["accounts"] if a["Code"].lower() == str(code).lower()), None)

    def account_by_id(self, account_id: str) -> dict[str, Any] | None:
        return next((a for a in self.t["accounts"] if a["AccountID"] == str(account_id).lower()), None)

    def tax_rate(self, tax_type: str) -> dict[str, Any] | None:
        return next((r for r in self.t["tax_rates"] if r["TaxType"] == tax_type), None)

    def currencies(self) -> set[str]:
        return {code for code, _ in self.t["currencies"]}

    def lock_date(self) -> date | None:
        return self.t.get("period_lock")

    def lock_messages(self, day: date | None) -> list[str]:
        """check_lock's refusal as messages, for validations that gather every problem first."""
        try:
            self.check_lock(day)
        except ElementError as exc:
            return list(exc.messages)
        return []

    def check_lock(self, day: date | None) -> None:
        lock = self.lock_date()
        if lock and day and day <= lock:
            raise ElementError(M.LOCK_DATE.format(date=lock.strftime("%d-%b-%Y")))

    # -- contacts ------------------------------------------------------------------------------
    def _name_taken(self, name: str, exclude: str | None) -> bool:
        return any(c["ContactStatus"] == "ACTIVE" and c["ContactID"] != exclude for c in self.contacts_named(name))

    def find_contact(self, data: dict[str, Any]) -> dict[str, Any] | None:
        cid = data.get("ContactID")
        if cid:
            return self.t["contacts"].get(str(cid).lower())
        number = data.get("ContactNumber")
        if number:
            return next(iter(self.contacts_numbered(number)), None)
        return None

    def save_contact(self, data: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        errors: list[str] = []
        name = data.get("Name", existing["Name"] if existing else None)
        if not name or not str(name).strip():
            errors.append(M.CONTACT_NAME_EMPTY)
        status = data.get("ContactStatus", existing["ContactStatus"] if existing else "ACTIVE")
        if name and status == "ACTIVE" and self._name_taken(str(name), existing["ContactID"] if existing else None):
            errors.append(M.CONTACT_NAME_UNIQUE)
        email = data.get("EmailAddress")
        if email and ("@" not in email or "." not in email.split("@")[-1] or " " in email.strip()):
            errors.append(M.EMAIL_INVALID)
        if errors:
            raise ElementError(*errors)
        contact = existing if existing is not None else {
            "ContactID": new_id(), "ContactStatus": "ACTIVE", "Name": "", "created": self.now,
        }
        for key in ("Name", "FirstName", "LastName", "EmailAddress", "ContactNumber", "AccountNumber",
                    "CompanyNumber", "TaxNumber", "ContactStatus", "Addresses", "Phones", "DefaultCurrency",
                    "IsSupplier", "IsCustomer"):
            if key in data:
                contact[key] = data[key]
        contact["Name"] = str(contact["Name"]).strip()
        contact["updated"] = self.now
        self.t["contacts"][contact["ContactID"]] = contact
        self.idx.add_contact(contact)
        self._recount()
        return contact

    def resolve_contact_for_document(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict) or not (data.get("ContactID") or data.get("ContactNumber") or data.get("Name")):
            raise ElementError(M.CONTACT_NAME_EMPTY)
        contact = self.find_contact(data)
        if contact is None and data.get("ContactID"):
            raise ElementError(M.CONTACT_NOT_FOUND.format(id=data["ContactID"]))
        if contact is None and data.get("Name"):
            contact = next((c for c in self.contacts_named(data["Name"])
                            if c["Name"].lower() == str(data["Name"]).strip().lower()
                            and c["ContactStatus"] == "ACTIVE"), None)
            if contact is None:  # Xero creates a contact named on a new document (saved with it)
                contact = {"ContactID": new_id(), "Name": str(data["Name"]).strip(), "ContactStatus": "ACTIVE",
                           "created": self.now, "updated": self.now, "_new": True}
        if contact is None:
            raise ElementError(M.CONTACT_NAME_EMPTY)
        if contact["ContactStatus"] != "ACTIVE":
            raise ElementError(M.CONTACT_ARCHIVED.format(name=contact["Name"]))
        return contact

    # -- lines and totals ----------------------------------------------------------------------
    def _line(self, raw: dict[str, Any], unitdp: int, line_types: str, status: str, doc_type: str) -> dict:
        errors: list[str] = []

        def num(field: str, default: Decimal | None) -> Decimal | None:
            if raw.get(field) is None:
                return default
            try:
                return to_decimal(raw[field])
            except ValueError:
                errors.append(M.AMOUNT_INVALID.format(field=field, value=raw[field]))
                return default

        qty = num("Quantity", None)
        unit = num("UnitAmount", None)
        given_line = num("LineAmount", None)
        given_tax = num("TaxAmount", None)
        discount = num("DiscountRate", None)
        if qty is None:
            qty = Decimal("1") if (unit is not None or given_line is not None) else ZERO
        qty = qty.quantize(FOUR)
        if unit is None:
            unit = (given_line / qty) if (given_line is not None and qty) else ZERO
        unit = unit_amount(unit, unitdp)
        expected = money(qty * unit * ((Decimal(100) - (discount or ZERO)) / Decimal(100)))
        if given_line is not None and raw.get("UnitAmount") is not None and money(given_line) != expected:
            errors.append(M.LINE_TOTAL_MISMATCH.format(given=money(given_line), expected=expected))
        line_amount = expected
        code = raw.get("AccountCode")
        if code is None and raw.get("AccountID"):
            acc_by_id = self.account_by_id(raw["AccountID"])
            code = acc_by_id["Code"] if acc_by_id else raw["AccountID"]
        account = None
        if code:
            account = self.account_by_code(code)
            if account is None or account["Type"] == "BANK" or account["SystemAccount"]:
                errors.append(M.ACCOUNT_NOT_VALID.format(code=code))
                account = None
            elif account["Status"] != "ACTIVE":
                errors.append(M.ACCOUNT_MUST_BE_VALID)
                account = None
        elif status not in ("DRAFT",) and (qty or unit):
            errors.append(M.ACCOUNT_REQUIRED)
        tax_type = raw.get("TaxType") or (account["TaxType"] if account else None)
        rate = ZERO
        if line_types == "NoTax":
            tax_type = tax_type or "NONE"
        if tax_type and account is not None:
            tr = self.tax_rate(tax_type)
            flag = {"REVENUE": "CanApplyToRevenue", "EXPENSE": "CanApplyToExpenses", "ASSET": "CanApplyToAssets",
                    "LIABILITY": "CanApplyToLiabilities", "EQUITY": "CanApplyToEquity"}[account["Class"]]
            if tr is None or tr["Status"] != "ACTIVE" or not tr[flag]:
                errors.append(M.TAX_NOT_VALID.format(tax=tax_type, code=account["Code"]))
            else:
                rate = tr["EffectiveRate"]
        elif tax_type and not self.tax_rate(tax_type):
            errors.append(M.TAX_NOT_VALID.format(tax=tax_type, code=code or ""))
        tracking = []
        for tr_raw in raw.get("Tracking") or []:
            cat = next((c for c in self.t["tracking"]
                        if c["Name"].lower() == str(tr_raw.get("Name", "")).lower()
                        or c["TrackingCategoryID"] == str(tr_raw.get("TrackingCategoryID", "")).lower()), None)
            opt = None
            if cat is not None:
                opt = next((o for o in cat["Options"] if o["Status"] == "ACTIVE" and (
                    o["Name"].lower() == str(tr_raw.get("Option", "")).lower()
                    or o["TrackingOptionID"] == str(tr_raw.get("TrackingOptionID", "")).lower())), None)
            if cat is None or opt is None:
                errors.append(M.TRACKING_INVALID.format(option=tr_raw.get("Option", ""), name=tr_raw.get("Name", "")))
                continue
            tracking.append({"TrackingCategoryID": cat["TrackingCategoryID"], "TrackingOptionID": opt["TrackingOptionID"],
                             "Name": cat["Name"], "Option": opt["Name"]})
        if errors:
            raise ElementError(*errors)
        tax = tax_with_override(line_tax(line_amount, rate, line_types), given_tax, tax_type, line_types)
        line = {
            "LineItemID": str(raw.get("LineItemID") or new_id()), "Description": raw.get("Description", ""),
            "Quantity": qty, "UnitAmount": unit, "AccountCode": account["Code"] if account else (code or None),
            "TaxType": tax_type, "TaxAmount": tax, "LineAmount": line_amount, "Tracking": tracking,
        }
        if account:
            line["AccountID"] = account["AccountID"]
        if discount is not None:
            line["DiscountRate"] = discount
        if raw.get("ItemCode"):
            line["ItemCode"] = raw["ItemCode"]
        return line

    def compute_lines(self, raw_lines: list[dict], unitdp: int, line_types: str, status: str, doc_type: str) -> dict:
        errors: list[str] = []
        lines = []
        for raw in raw_lines or []:
            try:
                lines.append(self._line(raw, unitdp, line_types, status, doc_type))
            except ElementError as exc:
                errors.extend(exc.messages)
        if errors:
            raise ElementError(*dict.fromkeys(errors))
        total_tax = sum((ln["TaxAmount"] for ln in lines), ZERO)
        gross = sum((ln["LineAmount"] for ln in lines), ZERO)
        sub_total = gross - total_tax if line_types == "Inclusive" else gross
        return {"LineItems": lines, "SubTotal": money(sub_total), "TotalTax": money(total_tax),
                "Total": money(sub_total + total_tax)}

    # -- documents (invoices and credit notes share rules) ---------------------------------------
    def paid(self, doc_id: str) -> Decimal:
        return sum((p["Amount"] for p in self.payments_of(doc_id) if p["Status"] == "AUTHORISED"), ZERO)

    def credited(self, invoice_id: str) -> Decimal:
        return sum((a["Amount"] for a in self.allocations_of(invoice_id)
                    if a["InvoiceID"] == invoice_id and not a["IsDeleted"]), ZERO)

    def allocated_from(self, credit_note_id: str) -> Decimal:
        return sum((a["Amount"] for a in self.allocations_of(credit_note_id)
                    if a["CreditNoteID"] == credit_note_id and not a["IsDeleted"]), ZERO)

    def amount_due(self, doc: dict[str, Any]) -> Decimal:
        if doc["Kind"] == "invoice":
            return doc["Total"] - self.paid(doc["ID"]) - self.credited(doc["ID"])
        return doc["Total"] - self.paid(doc["ID"]) - self.allocated_from(doc["ID"])

    def has_money_applied(self, doc: dict[str, Any]) -> bool:
        if doc["Kind"] == "invoice":
            return self.paid(doc["ID"]) > 0 or self.credited(doc["ID"]) > 0
        return self.paid(doc["ID"]) > 0 or self.allocated_from(doc["ID"]) > 0

    def refresh_paid_status(self, doc: dict[str, Any], when: date | None) -> None:
        """PAID when nothing is left to pay; back to AUTHORISED when money is removed."""
        due = self.amount_due(doc)
        if doc["Status"] == "AUTHORISED" and due <= 0 and doc["Total"] > 0:
            doc["Status"] = "PAID"
            doc["FullyPaidOnDate"] = when
        elif doc["Status"] == "PAID" and due > 0:
            doc["Status"] = "AUTHORISED"
            doc.pop("FullyPaidOnDate", None)
        doc["updated"] = self.now

    def _store(self, kind: str) -> dict[str, dict[str, Any]]:
        return self.t["invoices"] if kind == "invoice" else self.t["credit_notes"]

    def _next_number(self, kind: str) -> str:
        prefix = "INV" if kind == "invoice" else "CN"
        while True:
            self.t["seq"][prefix] += 1
            number = f"{prefix}-{self.t['seq'][prefix]:04d}"
            if not self.documents_numbered(kind, number):
                return number

    def save_document(self, kind: str, data: dict[str, Any], existing: dict[str, Any] | None, unitdp: int) -> dict:
        """Create (existing None) or update an invoice/credit note, enforcing Xero's rules."""
        errors: list[str] = []
        types = ("ACCREC", "ACCPAY") if kind == "invoice" else ("ACCRECCREDIT", "ACCPAYCREDIT")
        if existing is not None:
            self._check_editable(existing, data)
        doc_type = data.get("Type", existing["Type"] if existing else None)
        if doc_type not in types:
            raise ElementError(M.INVOICE_TYPE if kind == "invoice" else M.CREDIT_NOTE_TYPE)
        status = data.get("Status", existing["Status"] if existing else "DRAFT")
        if existing is None and status not in ("DRAFT", "SUBMITTED", "AUTHORISED"):
            raise ElementError(M.STATUS_ON_CREATE)
        if existing is not None and status in ("DELETED", "VOIDED"):
            self.check_lock(existing["Date"])
            existing["Status"] = status
            existing["updated"] = self.now
            return existing
        try:
            contact = self.resolve_contact_for_document(data["Contact"]) if "Contact" in data or existing is None \
                else self.t["contacts"][existing["ContactID"]]
        except ElementError as exc:
            errors.extend(exc.messages)
            contact = None
        try:
            day = parse_date(data["Date"]) if data.get("Date") else (existing["Date"] if existing else self.now.date())
        except ValueError:
            errors.append(M.DATE_INVALID.format(field="Date", value=data.get("Date")))
            day = None
        try:
            due = parse_date(data["DueDate"]) if "DueDate" in data else (existing.get("DueDate") if existing else None)
        except ValueError:
            errors.append(M.DATE_INVALID.format(field="DueDate", value=data.get("DueDate")))
            due = None
        if kind == "invoice" and doc_type == "ACCREC" and status == "AUTHORISED" and due is None:
            errors.append(M.DUE_DATE_REQUIRED)
        currency = data.get("CurrencyCode", existing["CurrencyCode"] if existing else self.t["org"]["BaseCurrency"])
        if currency not in self.currencies():
            errors.append(M.CURRENCY_NOT_ENABLED.format(code=currency))
        line_types = data.get("LineAmountTypes", existing["LineAmountTypes"] if existing else "Exclusive")
        raw_lines = data["LineItems"] if "LineItems" in data else None
        totals = None
        try:
            if raw_lines is not None:
                totals = self.compute_lines(raw_lines, unitdp, line_types, status, doc_type)
            elif existing is not None:
                totals = self.compute_lines(
                    [self._line_as_input(ln) for ln in existing["LineItems"]], 4, line_types, status, doc_type)
            else:
                totals = self.compute_lines([], unitdp, line_types, status, doc_type)
        except ElementError as exc:
            errors.extend(exc.messages)
        number_key = "InvoiceNumber" if kind == "invoice" else "CreditNoteNumber"
        number = data.get(number_key) or (existing.get("Number") if existing else None)
        if number and doc_type in ("ACCREC", "ACCRECCREDIT") and any(
                d["Type"] == doc_type and d["Status"] != "DELETED"
                and (existing is None or d["ID"] != existing["ID"]) for d in self.documents_numbered(kind, number)):
            errors.append(M.INVOICE_NUMBER_UNIQUE)
        try:
            self.check_lock(day)
            if existing is not None:
                self.check_lock(existing["Date"])
        except ElementError as exc:
            errors.extend(exc.messages)
        if totals and raw_lines is not None and existing is not None and existing["Status"] == "AUTHORISED" \
                and self.has_money_applied(existing):
            errors.append(M.HAS_PAYMENTS)
        if errors:
            raise ElementError(*dict.fromkeys(errors))
        assert contact is not None and totals is not None and day is not None
        doc = existing if existing is not None else {
            "ID": new_id(), "Kind": kind, "created": self.now, "SentToContact": False,
        }
        if not number and doc_type in ("ACCREC", "ACCRECCREDIT"):
            number = self._next_number(kind)
        doc.update({
            "Type": doc_type, "ContactID": contact["ContactID"], "Date": day, "DueDate": due, "Status": status,
            "LineAmountTypes": line_types, "CurrencyCode": currency, "Number": number or "",
            "Reference": data.get("Reference", doc.get("Reference", "")), "updated": self.now,
            "CurrencyRate": to_decimal(data.get("CurrencyRate", doc.get("CurrencyRate", Decimal("1")))),
        })
        doc.update(totals)
        if "SentToContact" in data:
            doc["SentToContact"] = bool(data["SentToContact"])
        self._store(kind)[doc["ID"]] = doc
        self.idx.add_document(kind, doc)
        if contact.pop("_new", False):
            self.t["contacts"][contact["ContactID"]] = contact
            self.idx.add_contact(contact)
        self._recount()
        if doc_type in ("ACCREC", "ACCRECCREDIT"):
            contact["IsCustomer"] = True
        else:
            contact["IsSupplier"] = True
        return doc

    @staticmethod
    def _line_as_input(line: dict[str, Any]) -> dict[str, Any]:
        raw = {k: line[k] for k in ("LineItemID", "Description", "Quantity", "UnitAmount", "AccountCode", "TaxType",
                                   "TaxAmount", "Tracking") if line.get(k) is not None}
        if "DiscountRate" in line:
            raw["DiscountRate"] = line["DiscountRate"]
        return raw

    def _check_editable(self, doc: dict[str, Any], data: dict[str, Any]) -> None:
        current, wanted = doc["Status"], data.get("Status", doc["Status"])
        if current in ("DELETED", "VOIDED"):
            raise ElementError(M.INVALID_STATUS)
        if current == "PAID" or (current == "AUTHORISED" and self.has_money_applied(doc)):
            raise ElementError(M.HAS_PAYMENTS)
        allowed = {
            "DRAFT": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
            "SUBMITTED": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
            "AUTHORISED": {"AUTHORISED", "VOIDED"},
        }[current]
        if wanted not in allowed:
            raise ElementError(M.INVALID_STATUS)

    # -- payments ------------------------------------------------------------------------------
    def create_payment(self, data: dict[str, Any]) -> dict[str, Any]:
        errors: list[str] = []
        doc = None
        inv, cn = data.get("Invoice"), data.get("CreditNote")
        if isinstance(inv, dict) and (inv.get("InvoiceID") or inv.get("InvoiceNumber")):
            if inv.get("InvoiceID"):
                doc = self.t["invoices"].get(str(inv["InvoiceID"]).lower())
            else:
                doc = next((d for d in self.documents_numbered("invoice", inv["InvoiceNumber"])
                            if d["Status"] != "DELETED"), None)
        elif isinstance(cn, dict) and (cn.get("CreditNoteID") or cn.get("CreditNoteNumber")):
            key = str(cn.get("CreditNoteID") or "").lower()
            doc = self.t["credit_notes"].get(key) or next(
                iter(self.documents_numbered("credit_note", cn.get("CreditNoteNumber"))), None)
        else:
            raise ElementError(M.PAYMENT_DOC_MISSING)
        if doc is None:
            raise ElementError(M.PAYMENT_DOC_NOT_FOUND)
        acc_ref = data.get("Account") or {}
        account = None
        if acc_ref.get("AccountID"):
            account = self.account_by_id(acc_ref["AccountID"])
        elif acc_ref.get("Code"):
            account = self.account_by_code(acc_ref["Code"])
        if account is None or account["Status"] != "ACTIVE":
            errors.append(M.ACCOUNT_MUST_BE_VALID)
        elif account["Type"] != "BANK" and not account["EnablePaymentsToAccount"]:
            errors.append(M.PAYMENT_ACCOUNT)
        amount, day = self._amount_and_date(data, errors)
        if doc["Status"] != "AUTHORISED":
            errors.append(M.PAYMENT_NOT_AUTHORISED)
        elif amount <= 0:
            errors.append(M.PAYMENT_AMOUNT_POSITIVE)
        elif amount > self.amount_due(doc):
            errors.append(M.PAYMENT_EXCEEDS)
        errors.extend(self.lock_messages(day))
        if errors:
            raise ElementError(*dict.fromkeys(errors))
        assert account is not None
        payment_type = {"ACCREC": "ACCRECPAYMENT", "ACCPAY": "ACCPAYPAYMENT", "ACCRECCREDIT": "ARCREDITPAYMENT",
                        "ACCPAYCREDIT": "APCREDITPAYMENT"}[doc["Type"]]
        payment = {
            "PaymentID": new_id(), "DocID": doc["ID"], "DocKind": doc["Kind"], "AccountID": account["AccountID"],
            "Date": day, "Amount": amount, "Reference": data.get("Reference", ""), "Status": "AUTHORISED",
            "PaymentType": payment_type, "CurrencyRate": to_decimal(data.get("CurrencyRate", 1)),
            "IsReconciled": bool(data.get("IsReconciled", False)), "updated": self.now, "created": self.now,
        }
        self.t["payments"][payment["PaymentID"]] = payment
        self.idx.add_payment(payment)
        self._recount()
        self.refresh_paid_status(doc, day)
        return payment

    def delete_payment(self, payment: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        if set(data) - {"Status", "PaymentID"} or data.get("Status") != "DELETED":
            raise ElementError(M.PAYMENT_DELETE_ONLY)
        if payment["Status"] == "DELETED":
            raise ElementError(M.PAYMENT_ALREADY_DELETED)
        doc = self._store(payment["DocKind"])[payment["DocID"]]
        self.check_lock(payment["Date"])
        payment["Status"] = "DELETED"
        payment["updated"] = self.now
        self.refresh_paid_status(doc, None)
        return payment

    def _amount_and_date(self, data: dict[str, Any], errors: list[str]) -> tuple[Decimal, date]:
        """A payment's or allocation's Amount (unreadable: zero, which Xero then refuses as not
        positive) and Date (none: today; unreadable: Xero's date message in `errors`)."""
        try:
            amount = money(to_decimal(data.get("Amount")))
        except ValueError:
            amount = ZERO
        try:
            day = parse_date(data.get("Date")) or self.now.date()
        except ValueError:
            errors.append(M.DATE_INVALID.format(field="Date", value=data.get("Date")))
            day = self.now.date()
        return amount, day

    # -- credit note allocations ---------------------------------------------------------------
    def allocate(self, credit_note: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        inv_ref = data.get("Invoice") or {}
        invoice = self.t["invoices"].get(str(inv_ref.get("InvoiceID", "")).lower())
        if invoice is None:
            raise ElementError(M.ALLOCATION_INVOICE_MISSING)
        errors: list[str] = []
        amount, day = self._amount_and_date(data, errors)
        if credit_note["Status"] != "AUTHORISED" or invoice["Status"] != "AUTHORISED":
            errors.append(M.ALLOCATION_NOT_AUTHORISED)
        elif invoice["ContactID"] != credit_note["ContactID"]:
            errors.append(M.ALLOCATION_CONTACT)
        elif amount <= 0:
            errors.append(M.PAYMENT_AMOUNT_POSITIVE)
        else:
            if amount > self.amount_due(credit_note):
                errors.append(M.ALLOCATION_EXCEEDS_CREDIT)
            if amount > self.amount_due(invoice):
                errors.append(M.ALLOCATION_EXCEEDS_DUE)
        errors.extend(self.lock_messages(day))
        if errors:
            raise ElementError(*errors)
        alloc = {"AllocationID": new_id(), "CreditNoteID": credit_note["ID"], "InvoiceID": invoice["ID"],
                 "Amount": amount, "Date": day, "IsDeleted": False}
        self.t["allocations"][alloc["AllocationID"]] = alloc
        self.idx.add_allocation(alloc)
        self._recount()
        self.refresh_paid_status(invoice, day)
        self.refresh_paid_status(credit_note, day)
        return alloc

    def delete_allocation(self, alloc: dict[str, Any]) -> dict[str, Any]:
        self.check_lock(alloc["Date"])
        alloc["IsDeleted"] = True
        self.refresh_paid_status(self.t["invoices"][alloc["InvoiceID"]], None)
        self.refresh_paid_status(self.t["credit_notes"][alloc["CreditNoteID"]], None)
        return alloc


__all__ = ["Ledger", "is_guid"]
