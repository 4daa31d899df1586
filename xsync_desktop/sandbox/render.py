"""Turn the sandbox's internal records into Xero's JSON (field names and casing per the spec)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .ledger import Ledger
from .rounding import unit_amount
from .wire import ms_date, ms_datetime


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def account(a: dict[str, Any]) -> dict[str, Any]:
    out = {k: a[k] for k in ("AccountID", "Code", "Name", "Status", "Type", "TaxType", "Class",
                             "EnablePaymentsToAccount", "ShowInExpenseClaims", "BankAccountType", "SystemAccount")}
    if a["Type"] == "BANK":
        out["BankAccountNumber"] = a["BankAccountNumber"]
        out["CurrencyCode"] = a.get("CurrencyCode", "")
    else:
        out.pop("BankAccountType")
        out["Description"] = a.get("Description", "")
    if not out["SystemAccount"]:
        out.pop("SystemAccount")
    out.update({"ReportingCode": "", "HasAttachments": False, "AddToWatchlist": False,
                "UpdatedDateUTC": ms_datetime(a["updated"])})
    if a["Type"] == "BANK" and not out["CurrencyCode"]:
        out.pop("CurrencyCode")
    return out


def contact(c: dict[str, Any], summary: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ContactID": c["ContactID"], "ContactStatus": c["ContactStatus"], "Name": c["Name"],
        "FirstName": c.get("FirstName"), "LastName": c.get("LastName"), "EmailAddress": c.get("EmailAddress", ""),
        "ContactNumber": c.get("ContactNumber"), "AccountNumber": c.get("AccountNumber"),
        "CompanyNumber": c.get("CompanyNumber"), "TaxNumber": c.get("TaxNumber"),
        "IsSupplier": bool(c.get("IsSupplier", False)), "IsCustomer": bool(c.get("IsCustomer", False)),
        "DefaultCurrency": c.get("DefaultCurrency"),
        "UpdatedDateUTC": ms_datetime(c["updated"]), "HasAttachments": False, "HasValidationErrors": False,
    }
    if not summary:
        out.update({"Addresses": c.get("Addresses", []), "Phones": c.get("Phones", []), "ContactGroups": [],
                    "ContactPersons": []})
        # The spec: "Only returned when using paging or when fetching a contact by ContactId".
        out["MergedToContactID"] = c.get("MergedToContactID")
    return _drop_none(out)


def contact_ref(c: dict[str, Any]) -> dict[str, Any]:
    return _drop_none({"ContactID": c["ContactID"], "Name": c["Name"], "ContactNumber": c.get("ContactNumber"),
                       "ContactStatus": c["ContactStatus"], "EmailAddress": c.get("EmailAddress"),
                       "Addresses": [], "Phones": [], "ContactGroups": [], "ContactPersons": [],
                       "HasValidationErrors": False})


def _line(ln: dict[str, Any], unitdp: int) -> dict[str, Any]:
    out = {k: ln[k] for k in ("LineItemID", "Description", "Quantity", "UnitAmount", "TaxType", "TaxAmount",
                             "LineAmount", "AccountCode", "Tracking") if ln.get(k) is not None}
    if "UnitAmount" in out:  # shown at 2 places unless the request asked for unitdp=4 (rounding.py)
        out["UnitAmount"] = unit_amount(out["UnitAmount"], unitdp)
    for k in ("AccountID", "DiscountRate", "ItemCode"):
        if ln.get(k) is not None:
            out[k] = ln[k]
    return out


def _dates(doc: dict[str, Any]) -> dict[str, Any]:
    out = {"DateString": doc["Date"].isoformat() + "T00:00:00", "Date": ms_date(doc["Date"])}
    if doc.get("DueDate"):
        out.update({"DueDateString": doc["DueDate"].isoformat() + "T00:00:00", "DueDate": ms_date(doc["DueDate"])})
    return out


def payment_ref(p: dict[str, Any]) -> dict[str, Any]:
    return {"PaymentID": p["PaymentID"], "Date": ms_date(p["Date"]), "Amount": p["Amount"],
            "Reference": p["Reference"], "CurrencyRate": p["CurrencyRate"], "HasAccount": False,
            "HasValidationErrors": False}


def invoice(led: Ledger, d: dict[str, Any], summary: bool = False, unitdp: int = 4) -> dict[str, Any]:
    t = led.t
    paid = led.paid(d["ID"])
    credited = led.credited(d["ID"])
    out: dict[str, Any] = {
        "Type": d["Type"], "InvoiceID": d["ID"], "InvoiceNumber": d["Number"], "Reference": d.get("Reference", ""),
        "Prepayments": [], "Overpayments": [], "AmountDue": d["Total"] - paid - credited if d["Status"] not in (
            "VOIDED", "DELETED") else d["Total"] * 0,
        "AmountPaid": paid, "AmountCredited": credited, "SentToContact": d.get("SentToContact", False),
        "CurrencyRate": d["CurrencyRate"], "IsDiscounted": any("DiscountRate" in ln for ln in d["LineItems"]),
        "HasAttachments": False, "HasErrors": False,
        "Contact": contact_ref(t["contacts"][d["ContactID"]]),
    }
    out.update(_dates(d))
    out.update({"Status": d["Status"], "LineAmountTypes": d["LineAmountTypes"],
                "SubTotal": d["SubTotal"], "TotalTax": d["TotalTax"], "Total": d["Total"],
                "UpdatedDateUTC": ms_datetime(d["updated"]), "CurrencyCode": d["CurrencyCode"]})
    if not summary:
        out["LineItems"] = [_line(ln, unitdp) for ln in d["LineItems"]]
    if d.get("FullyPaidOnDate"):
        out["FullyPaidOnDate"] = ms_date(d["FullyPaidOnDate"])
    out["Payments"] = [payment_ref(p) for p in t["payments"].values()
                       if p["DocID"] == d["ID"] and p["Status"] == "AUTHORISED"]
    credit_notes = []
    for a in t["allocations"].values():
        if a["InvoiceID"] == d["ID"] and not a["IsDeleted"]:
            cn = t["credit_notes"][a["CreditNoteID"]]
            credit_notes.append({"CreditNoteID": cn["ID"], "CreditNoteNumber": cn["Number"],
                                 "AppliedAmount": a["Amount"], "Date": ms_date(a["Date"]),
                                 "Total": cn["Total"], "LineItems": []})
    out["CreditNotes"] = credit_notes
    return out


def credit_note(led: Ledger, d: dict[str, Any], unitdp: int = 4) -> dict[str, Any]:
    t = led.t
    out: dict[str, Any] = {
        "Type": d["Type"], "CreditNoteID": d["ID"], "CreditNoteNumber": d["Number"],
        "Reference": d.get("Reference", ""), "SentToContact": d.get("SentToContact", False),
        "RemainingCredit": led.amount_due(d) if d["Status"] not in ("VOIDED", "DELETED") else d["Total"] * 0,
        "CurrencyRate": d["CurrencyRate"], "HasAttachments": False, "HasErrors": False,
        "Contact": contact_ref(t["contacts"][d["ContactID"]]),
    }
    out.update(_dates(d))
    out.update({"Status": d["Status"], "LineAmountTypes": d["LineAmountTypes"],
                "LineItems": [_line(ln, unitdp) for ln in d["LineItems"]], "SubTotal": d["SubTotal"],
                "TotalTax": d["TotalTax"], "Total": d["Total"], "UpdatedDateUTC": ms_datetime(d["updated"]),
                "CurrencyCode": d["CurrencyCode"]})
    if d.get("FullyPaidOnDate"):
        out["FullyPaidOnDate"] = ms_date(d["FullyPaidOnDate"])
    out["Allocations"] = [allocation(led, a, with_credit_note=False) for a in t["allocations"].values()
                          if a["CreditNoteID"] == d["ID"] and not a["IsDeleted"]]
    out["Payments"] = [payment_ref(p) for p in t["payments"].values()
                       if p["DocID"] == d["ID"] and p["Status"] == "AUTHORISED"]
    return out


def allocation(led: Ledger, a: dict[str, Any], with_credit_note: bool = True) -> dict[str, Any]:
    inv = led.t["invoices"][a["InvoiceID"]]
    out: dict[str, Any] = {
        "AllocationID": a["AllocationID"], "Amount": a["Amount"], "Date": ms_date(a["Date"]),
        "Invoice": {"InvoiceID": inv["ID"], "InvoiceNumber": inv["Number"], "Type": inv["Type"],
                    "Payments": [], "CreditNotes": [], "Prepayments": [], "Overpayments": [],
                    "HasErrors": False, "IsDiscounted": False, "HasAttachments": False},
        "IsDeleted": a["IsDeleted"],
    }
    if with_credit_note:
        cn = led.t["credit_notes"][a["CreditNoteID"]]
        out["CreditNote"] = {"CreditNoteID": cn["ID"], "CreditNoteNumber": cn["Number"], "Type": cn["Type"]}
    return out


def payment(led: Ledger, p: dict[str, Any]) -> dict[str, Any]:
    t = led.t
    acc = led.account_by_id(p["AccountID"]) or {"AccountID": p["AccountID"], "Code": ""}
    out: dict[str, Any] = {
        "PaymentID": p["PaymentID"], "Date": ms_date(p["Date"]), "BankAmount": p["Amount"], "Amount": p["Amount"],
        "Reference": p["Reference"], "CurrencyRate": p["CurrencyRate"], "PaymentType": p["PaymentType"],
        "Status": p["Status"], "UpdatedDateUTC": ms_datetime(p["updated"]),
        "HasAccount": True, "IsReconciled": p["IsReconciled"],
        "Account": {"AccountID": acc["AccountID"], "Code": acc["Code"]},
        "HasValidationErrors": False,
    }
    out = _drop_none(out)
    if p["DocKind"] == "invoice":
        d = t["invoices"][p["DocID"]]
        out["Invoice"] = {"Type": d["Type"], "InvoiceID": d["ID"], "InvoiceNumber": d["Number"],
                          "Contact": contact_ref(t["contacts"][d["ContactID"]]), "CurrencyCode": d["CurrencyCode"],
                          "Payments": [], "CreditNotes": [], "Prepayments": [], "Overpayments": [],
                          "HasErrors": False, "IsDiscounted": False, "HasAttachments": False}
    else:
        d = t["credit_notes"][p["DocID"]]
        out["CreditNote"] = {"Type": d["Type"], "CreditNoteID": d["ID"], "CreditNoteNumber": d["Number"],
                             "Contact": contact_ref(t["contacts"][d["ContactID"]]), "CurrencyCode": d["CurrencyCode"]}
    return out


def organisation(t: dict[str, Any]) -> dict[str, Any]:
    org = dict(t["org"])
    created: datetime = org.pop("CreatedDateUTC")
    org["CreatedDateUTC"] = ms_datetime(created)
    org["APIKey"] = ""
    if t.get("period_lock"):
        org["PeriodLockDate"] = ms_date(t["period_lock"])
    org["Addresses"] = []
    org["Phones"] = []
    org["ExternalLinks"] = []
    org["PaymentTerms"] = {}
    return org


def tax_rate(r: dict[str, Any]) -> dict[str, Any]:
    return dict(r)


def tracking_category(c: dict[str, Any], include_archived: bool) -> dict[str, Any]:
    opts = [{k: o[k] for k in ("TrackingOptionID", "Name", "Status")} for o in c["Options"]
            if include_archived or o["Status"] == "ACTIVE"]
    return {"Name": c["Name"], "Status": c["Status"], "TrackingCategoryID": c["TrackingCategoryID"], "Options": opts}
