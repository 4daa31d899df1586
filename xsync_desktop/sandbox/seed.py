"""Two demo organisations with a realistic self-storage chart of accounts.

The chart deliberately contains the traps a real file has: a BANK account, a clearing account
that takes payments, an ARCHIVED revenue account, system accounts that may not appear on an
invoice, and tax rates that apply only to revenue or only to expenses.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from .wire import new_id

_CLASS = {
    "BANK": "ASSET", "CURRENT": "ASSET", "FIXED": "ASSET", "INVENTORY": "ASSET", "NONCURRENT": "ASSET",
    "PREPAYMENT": "ASSET", "CURRLIAB": "LIABILITY", "LIABILITY": "LIABILITY", "TERMLIAB": "LIABILITY",
    "EQUITY": "EQUITY", "REVENUE": "REVENUE", "SALES": "REVENUE", "OTHERINCOME": "REVENUE",
    "EXPENSE": "EXPENSE", "OVERHEADS": "EXPENSE", "DIRECTCOSTS": "EXPENSE", "DEPRECIATN": "EXPENSE",
}


def _account(code: str, name: str, typ: str, tax: str, now: datetime, **extra: Any) -> dict[str, Any]:
    acc = {
        "AccountID": new_id(), "Code": code, "Name": name, "Type": typ, "Status": "ACTIVE",
        "TaxType": tax, "Class": _CLASS[typ], "EnablePaymentsToAccount": False,
        "ShowInExpenseClaims": False, "SystemAccount": "", "BankAccountNumber": "",
        "BankAccountType": "", "Description": "", "updated": now,
    }
    acc.update(extra)
    return acc


def _tax(name: str, tax_type: str, rate: str, report: str, *, revenue: bool, expenses: bool) -> dict[str, Any]:
    return {
        "Name": name, "TaxType": tax_type, "Status": "ACTIVE", "ReportTaxType": report,
        "EffectiveRate": Decimal(rate), "DisplayTaxRate": Decimal(rate),
        "TaxComponents": [{"Name": "GST", "Rate": Decimal(rate), "IsCompound": False, "IsNonRecoverable": False}],
        "CanApplyToAssets": True, "CanApplyToEquity": True, "CanApplyToLiabilities": True,
        "CanApplyToRevenue": revenue, "CanApplyToExpenses": expenses,
    }


def _chart(now: datetime, out: str, inp: str) -> list[dict[str, Any]]:
    return [
        _account("090", "Business Bank Account", "BANK", "NONE", now,
                 BankAccountNumber="12-3456-7890123-00", BankAccountType="BANK"),
        _account("091", "Card Clearing", "CURRENT", "NONE", now, EnablePaymentsToAccount=True),
        _account("200", "Sales", "REVENUE", out, now),
        _account("210", "Storage Rental", "REVENUE", out, now),
        _account("220", "Protection Plan Income", "REVENUE", out, now),
        _account("230", "Fees", "REVENUE", out, now),
        _account("250", "Merchandise Sales (old)", "REVENUE", out, now, Status="ARCHIVED"),
        _account("260", "Other Revenue", "OTHERINCOME", out, now),
        _account("270", "Interest Income", "OTHERINCOME", "NONE", now),
        _account("310", "Cost of Goods Sold", "DIRECTCOSTS", inp, now),
        _account("400", "Advertising", "OVERHEADS", inp, now),
        _account("404", "Bank Fees", "OVERHEADS", "NONE", now),
        _account("429", "General Expenses", "OVERHEADS", inp, now),
        _account("610", "Accounts Receivable", "CURRENT", "NONE", now, SystemAccount="DEBTORS"),
        _account("800", "Accounts Payable", "CURRLIAB", "NONE", now, SystemAccount="CREDITORS"),
        _account("820", "GST", "CURRLIAB", "NONE", now, SystemAccount="GST"),
        _account("970", "Owner A Funds Introduced", "EQUITY", "NONE", now),
    ]


def _tracking(options: list[str]) -> dict[str, Any]:
    cat_id = new_id()
    return {
        "TrackingCategoryID": cat_id, "Name": "Facility", "Status": "ACTIVE",
        "Options": [
            {"TrackingOptionID": new_id(), "Name": name, "Status": "ACTIVE", "TrackingCategoryID": cat_id}
            for name in options
        ],
    }


def demo_orgs(now: datetime) -> list[dict[str, Any]]:
    """Fresh state for the two demo tenants (tenant id == OrganisationID)."""
    nz_id, au_id = new_id(), new_id()
    nz = {
        "org": {
            "OrganisationID": nz_id, "Name": "Harbourside Storage Ltd", "LegalName": "Harbourside Storage Limited",
            "PaysTax": True, "Version": "NZ", "OrganisationType": "COMPANY", "BaseCurrency": "NZD",
            "CountryCode": "NZ", "IsDemoCompany": False, "OrganisationStatus": "ACTIVE",
            "TaxNumber": "111-222-333", "FinancialYearEndDay": 31, "FinancialYearEndMonth": 3,
            "SalesTaxBasis": "INVOICE", "SalesTaxPeriod": "TWOMONTHS", "DefaultSalesTax": "Tax Exclusive",
            "DefaultPurchasesTax": "Tax Inclusive", "Timezone": "NEWZEALANDSTANDARDTIME",
            "OrganisationEntityType": "COMPANY", "ShortCode": "!hb3Kx", "Class": "PREMIUM",
            "Edition": "BUSINESS", "LineOfBusiness": "Self storage",
        },
        "period_lock": None,
        "currencies": [("NZD", "New Zealand Dollar"), ("AUD", "Australian Dollar")],
        "accounts": _chart(now, "OUTPUT2", "INPUT2"),
        "tax_rates": [
            _tax("15% GST on Income", "OUTPUT2", "15.0000", "OUTPUT", revenue=True, expenses=False),
            _tax("15% GST on Expenses", "INPUT2", "15.0000", "INPUT", revenue=False, expenses=True),
            _tax("No GST", "NONE", "0.0000", "NONE", revenue=True, expenses=True),
            _tax("Zero Rated", "ZERORATED", "0.0000", "OUTPUT", revenue=True, expenses=False),
            _tax("Exempt Income", "EXEMPTOUTPUT", "0.0000", "EXEMPTOUTPUT", revenue=True, expenses=False),
        ],
        "tracking": [_tracking(["Harbourside", "Northgate", "Riverside"])],
    }
    au = {
        "org": {
            "OrganisationID": au_id, "Name": "Demo Storage Pty Ltd", "LegalName": "Demo Storage Pty Ltd",
            "PaysTax": True, "Version": "AU", "OrganisationType": "COMPANY", "BaseCurrency": "AUD",
            "CountryCode": "AU", "IsDemoCompany": False, "OrganisationStatus": "ACTIVE",
            "TaxNumber": "12345678901", "FinancialYearEndDay": 30, "FinancialYearEndMonth": 6,
            "SalesTaxBasis": "ACCRUALS", "SalesTaxPeriod": "QUARTERLY1", "DefaultSalesTax": "Tax Inclusive",
            "DefaultPurchasesTax": "Tax Inclusive", "Timezone": "AUSEASTERNSTANDARDTIME",
            "OrganisationEntityType": "COMPANY", "ShortCode": "!dS9q2", "Class": "PREMIUM",
            "Edition": "BUSINESS", "LineOfBusiness": "Self storage",
        },
        "period_lock": None,
        "currencies": [("AUD", "Australian Dollar")],
        "accounts": _chart(now, "OUTPUT", "INPUT"),
        "tax_rates": [
            _tax("GST on Income", "OUTPUT", "10.0000", "OUTPUT", revenue=True, expenses=False),
            _tax("GST on Expenses", "INPUT", "10.0000", "INPUT", revenue=False, expenses=True),
            _tax("GST Free Income", "EXEMPTOUTPUT", "0.0000", "EXEMPTOUTPUT", revenue=True, expenses=False),
            _tax("BAS Excluded", "BASEXCLUDED", "0.0000", "BASEXCLUDED", revenue=True, expenses=True),
            _tax("No GST", "NONE", "0.0000", "NONE", revenue=True, expenses=True),
        ],
        "tracking": [_tracking(["Main Street", "Airport Road"])],
    }
    for org in (nz, au):
        org["org"]["CreatedDateUTC"] = now
        org.update({"contacts": {}, "invoices": {}, "payments": {}, "credit_notes": {},
                    "allocations": {}, "seq": {"INV": 0, "CN": 0}})
    return [nz, au]
