"""The lists and limits an import is checked against, kept in one place.

Charge types and payment methods are the keys the mapping screen maps to Xero
accounts, so a value outside these lists could never be pushed. Text limits are
Xero's own, so a record that imports cleanly never fails at push time on length.
"""

from __future__ import annotations

from xsync_desktop.store.ledger_models import (
    CONTACT_NAME_MAX,
    INVOICE_STATUSES,
    LINE_DESCRIPTION_MAX,
    REFERENCE_MAX,
)

CHARGE_TYPES: tuple[str, ...] = (
    "rent",
    "insurance",
    "admin_fee",
    "late_fee",
    "deposit",
    "merchandise",
    "discount",
    "cleaning",
    "lock_cut",
)
# Only these charge types may carry negative line amounts (Xero accepts negative
# lines as long as the document total is not negative).
NEGATIVE_CHARGE_TYPES: frozenset[str] = frozenset({"discount"})

PAYMENT_METHODS: tuple[str, ...] = ("card", "bank_transfer", "cash", "direct_debit", "cheque")

STATUSES: tuple[str, ...] = INVOICE_STATUSES  # draft, authorised, void

# ISO 4217 codes we accept: the currencies a self-storage operator invoicing into
# Xero is plausibly set up for. Xero itself accepts a currency only if the
# organisation has enabled it; the sync checks that part. Currencies without
# minor units (JPY, KRW...) are left out: amounts here always have cents.
CURRENCIES: frozenset[str] = frozenset(
    {
        "NZD", "AUD", "USD", "GBP", "EUR", "CAD", "SGD", "HKD", "CHF",
        "ZAR", "FJD", "WST", "TOP", "PGK", "SEK", "NOK", "DKK", "PLN",
        "CNY", "INR", "MYR", "THB", "PHP", "IDR", "AED", "SAR", "MXN", "BRL",
    }
)

EXTERNAL_ID_MAX = 64
CUSTOMER_NUMBER_MAX = 50  # Xero ContactNumber
EMAIL_MAX = 255
PHONE_MAX = 50
ADDRESS_MAX = 500
FACILITY_NAME_MAX = 255
UNIT_CODE_MAX = 32
UNIT_SIZE_MAX = 32
DOCUMENT_NUMBER_MAX = 255  # Xero InvoiceNumber / CreditNoteNumber

__all__ = [
    "ADDRESS_MAX", "CHARGE_TYPES", "CONTACT_NAME_MAX", "CURRENCIES", "CUSTOMER_NUMBER_MAX",
    "DOCUMENT_NUMBER_MAX", "EMAIL_MAX", "EXTERNAL_ID_MAX", "FACILITY_NAME_MAX",
    "LINE_DESCRIPTION_MAX", "NEGATIVE_CHARGE_TYPES", "PAYMENT_METHODS", "PHONE_MAX",
    "REFERENCE_MAX", "STATUSES", "UNIT_CODE_MAX", "UNIT_SIZE_MAX",
]
