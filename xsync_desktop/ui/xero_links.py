"""Addresses that open a linked record in Xero's web app.

Forms follow Xero's own MCP server (XeroAPI/xero-mcp-server, src/consts/deeplinks.ts):
the new app paths for invoices and contacts, the organisation-login redirect for the
rest. The organisation's ShortCode picks the right organisation when the person
has several; without it Xero opens the last one used. In demo mode the sandbox's
admin listing of that kind of object is opened instead (`sandbox_base` is
`{sandbox}/__admin/{tenant_id}`; go.xero.com knows nothing of the sandbox).
"""

from __future__ import annotations

from urllib.parse import quote

_COLLECTIONS = {"contact": "Contacts", "invoice": "Invoices", "credit_note": "CreditNotes", "payment": "Payments",
                "allocation": "CreditNotes"}


def xero_url(entity: str, xero_id: str | None, shortcode: str | None = None,
             sandbox_base: str | None = None, sandbox_secret: str | None = None) -> str | None:
    """The web address of one Xero object, or None if the record has none to open.

    `sandbox_secret`: the demo sandbox's admin secret, carried as `?admin_secret=` (a browser
    link cannot send the header the admin surface otherwise requires).
    """
    if not xero_id:
        return None
    xid = quote(xero_id, safe="")
    if sandbox_base:
        collection = _COLLECTIONS.get(entity)
        if collection is None:
            return None
        query = f"?admin_secret={quote(sandbox_secret, safe='')}" if sandbox_secret else ""
        return f"{sandbox_base.rstrip('/')}/objects/{collection}{query}#{xid}"
    if shortcode:
        sc = quote(shortcode, safe="")
        if entity == "invoice":
            return f"https://go.xero.com/app/{sc}/invoicing/view/{xid}"
        if entity == "contact":
            return f"https://go.xero.com/app/{sc}/contacts/contact/{xid}"
        login = f"https://go.xero.com/organisationlogin/default.aspx?shortcode={sc}&redirecturl="
        if entity in ("credit_note", "allocation"):
            return login + quote(f"/AccountsReceivable/ViewCreditNote.aspx?creditNoteID={xero_id}", safe="/")
        if entity == "payment":
            return login + quote(f"/Bank/ViewTransaction.aspx?bankTransactionID={xero_id}", safe="/")
        return None
    if entity == "invoice":
        return f"https://go.xero.com/AccountsReceivable/View.aspx?InvoiceID={xid}"
    if entity == "contact":
        return f"https://go.xero.com/Contacts/View/{xid}"
    if entity in ("credit_note", "allocation"):
        return f"https://go.xero.com/AccountsReceivable/ViewCreditNote.aspx?creditNoteID={xid}"
    if entity == "payment":
        return f"https://go.xero.com/Bank/ViewTransaction.aspx?bankTransactionID={xid}"
    return None
