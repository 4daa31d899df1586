"""Validation messages. Those marked [facts] are Xero's own words from the research facts;
the others are the sandbox's choice where no source gave Xero's wording (listed in the issue note).
"""

CONTACT_NAME_UNIQUE = "The contact name must be unique across all active contacts."  # [facts]
CONTACT_NAME_EMPTY = "Contact Name cannot be empty."  # [xeroizer#380 quoting Xero]
CONTACT_ARCHIVED = "The contact '{name}' has been archived and cannot be used on a new transaction."
CONTACT_NOT_FOUND = "The contact with ID '{id}' could not be found."
EMAIL_INVALID = "Email address must be valid."
ACCOUNT_NOT_VALID = "Account code '{code}' is not a valid code for this document."  # [facts]
ACCOUNT_MUST_BE_VALID = "Account must be valid."  # [facts] archived/removed account
ACCOUNT_REQUIRED = "Account code must be specified for each line item."
TAX_NOT_VALID = "The TaxType code '{tax}' cannot be used with account code '{code}'."  # [facts]
INVOICE_NUMBER_UNIQUE = "Invoice # must be unique."  # [facts]
INVALID_STATUS = "Invoice not of valid status for modification"  # [facts]
HAS_PAYMENTS = "This document cannot be edited as it has a payment or credit note allocated to it"  # [facts]
PAYMENT_NOT_AUTHORISED = "Payments can only be made against authorised documents."  # [facts]
PAYMENT_EXCEEDS = "Payment amount exceeds the amount outstanding on this document"  # [facts]
PAYMENT_ACCOUNT = "Account type is invalid for making a payment to/from"
PAYMENT_AMOUNT_POSITIVE = "Payment amount must be greater than zero."
PAYMENT_DOC_MISSING = "Payment must have an Invoice or CreditNote."
PAYMENT_DOC_NOT_FOUND = "The document could not be found."
PAYMENT_DELETE_ONLY = "Payments can only be deleted. To update, delete and re-create the payment."
PAYMENT_ALREADY_DELETED = "This payment has already been deleted."
LOCK_DATE = "The document date cannot be before the period lock date, currently set at {date}"
CURRENCY_NOT_ENABLED = "Organisation is not subscribed to currency {code}"
DUE_DATE_REQUIRED = "Due Date is required for approved invoices."
INVOICE_TYPE = "Invoice Type must be ACCREC or ACCPAY."
CREDIT_NOTE_TYPE = "CreditNote Type must be ACCRECCREDIT or ACCPAYCREDIT."
STATUS_ON_CREATE = "Invoice not of valid status for creation"
TAX_AMOUNT_INCORRECT = "Tax amount {given} is incorrect for {tax} tax type, should be {expected}"  # xero-node#768
LINE_TOTAL_MISMATCH = "The line total {given} does not match the expected line total {expected}"
TRACKING_INVALID = "The tracking option '{option}' is not valid for tracking category '{name}'."
DATE_INVALID = "The {field} '{value}' is not a valid date."
AMOUNT_INVALID = "The {field} '{value}' is not a valid number."
ALLOCATION_EXCEEDS_CREDIT = "The amount to allocate exceeds the remaining credit on this credit note."
ALLOCATION_EXCEEDS_DUE = "The amount to allocate exceeds the amount outstanding on the invoice."
ALLOCATION_NOT_AUTHORISED = "Allocations can only be made between authorised documents."
ALLOCATION_CONTACT = "The credit note and invoice must belong to the same contact."
ALLOCATION_INVOICE_MISSING = "The invoice could not be found."
PAGE_SIZE = "The page size must be between 1 and 1000."
PAGE = "The page number must be 1 or greater."
