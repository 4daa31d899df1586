"""Plain words for what went wrong and what to do next (STYLE: say the fix, not the code).

Xero's own messages are kept verbatim on the item beside these; this module only
turns the common ones into advice.
"""

from __future__ import annotations

NETWORK = "Xero cannot be reached. Check the internet connection; nothing was lost, run sync again."
UNAVAILABLE = "Xero is not responding properly right now. Nothing was lost; run sync again in a few minutes."
CANCELLED = "Stopped at your request. Everything sent so far is recorded; run sync again to continue."
NOT_SENT_PAUSED = "Not sent yet: Xero's daily call limit was reached. It is sent when sync resumes."
LEFT_OUT = ("Xero's answer left this record out; it will be checked on the next run (looked up in Xero by its "
            "number, never sent twice).")
ANSWER_MISMATCH = ("Xero's answer in this record's place named another record ({got}), so it was not linked; it will "
                   "be checked on the next run (looked up in Xero by its number, never sent twice).")
NOT_SENT_RECONNECT = "Not sent: the connection to Xero needs renewing. Connect to Xero again, then retry."

_ADVICE: tuple[tuple[str, str], ...] = (
    ("must be unique", "Xero already has a record with this number or name that this app did not create. "
                       "Rename or renumber one of them, or link them in Exceptions, then retry."),
    ("exceeds the amount outstanding", "The payment is more than what is still owing on the invoice in Xero. "
                                       "Check for a payment recorded twice (in Xero or the ledger), then retry."),
    ("can only be made against authorised", "Xero takes payments only on approved invoices with money still owing; this one is a draft or already fully paid in Xero. Check it in Xero, then retry."),
    ("account must be valid", "The Xero account this record uses is archived or invalid. Fix the mapping in "
                              "Mapping, then retry."),
    ("is not a valid code", "The Xero account this record uses is not allowed here. Fix the mapping in "
                            "Mapping, then retry."),
    ("cannot be used with account", "The tax type is not allowed with the mapped account. Fix the mapping in "
                                    "Mapping, then retry."),
    ("lock date", "The record is dated in a period Xero has locked. Ask your accountant to move the lock date, "
                  "or date the record later in the ledger."),
    ("archived", "The Xero contact for this customer is archived. Restore it in Xero or resolve it in "
                 "Exceptions, then retry."),
    ("payment or credit note allocated", "Xero has a payment or credit on this document, so it cannot be "
                                         "changed. Remove the payment in Xero first, or credit the difference."),
    ("not of valid status", "Xero's copy is in a status that does not allow this change (already paid, "
                            "voided or deleted in Xero). Check the document in Xero."),
)


def explain_rejection(label: str, xero_messages: list[str]) -> str:
    """'Xero did not accept Invoice INV-1: <advice>' from Xero's validation messages."""
    joined = " ".join(xero_messages).lower()
    for needle, advice in _ADVICE:
        if needle in joined:
            return f"Xero did not accept {label}. {advice}"
    detail = "; ".join(xero_messages) or "no reason given"
    return f"Xero did not accept {label}: {detail}. Correct it in the ledger (or its mapping), then retry."
