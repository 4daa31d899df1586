"""Which invoices and credit notes are not needed in Xero, and why: one rule for every screen.

The month-end checklist lists them as excluded (never counted as missing), and Records shows
them as "Not needed in Xero" instead of pending for ever; both ask this module, so the two can
never disagree about the same record.
"""

from __future__ import annotations

from datetime import date


def not_needed_in_xero(issue_date: date, status: str, xero_id: str | None, sync_start: date | None) -> str | None:
    """Why the document is not needed in Xero (the reason a person reads), or None when it is.

    Dated before the sync start date: the sync never sends it. Void and never sent: there is
    nothing to void in Xero and nothing to create. A void document that reached Xero is needed
    there (voided), so it does not qualify.
    """
    if sync_start is not None and issue_date < sync_start:
        return f"dated before the sync start date ({sync_start.isoformat()}): not sent"
    if status == "void" and not xero_id:
        return "void and never sent to Xero: nothing to send"
    return None
