"""Issue 13.1: a number match alone never links a ledger record to a Xero document.

The bookkeeper's own invoice with the ledger's number is made through the sandbox's public
API (as Xero's default numbering makes it happen); the app's lost requests through fault
injection. Everything runs over real sockets against a real profile database.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tests.fixtures.sync import SyncRig, assert_no_duplicates, copy_invoice
from xsync_desktop.store.models import Invoice, ReconException
from xsync_desktop.sync.exceptions import available_actions, resolve_exception
from xsync_desktop.xero.codec import dumps

INVOICES = "/api.xro/2.0/Invoices"



def bookkeeper_invoice(rig: SyncRig, number: str, *, contact_name: str = "Walk-in customer (bookkeeper)",
                       amount: str = "99.00") -> dict[str, Any]:
    """An invoice the bookkeeper types into Xero by hand, with a number of her choosing."""
    client = rig.xero.new_client()
    try:
        body = {"Invoices": [{
            "Type": "ACCREC", "Contact": {"Name": contact_name}, "InvoiceNumber": number, "Status": "AUTHORISED",
            "Date": "2025-06-01", "DueDate": "2025-06-20", "LineAmountTypes": "Exclusive",
            "LineItems": [{"Description": "Boxes", "Quantity": 1, "UnitAmount": amount, "AccountCode": "200"}],
        }]}
        data = client.put("/Invoices", body, f"bookkeeper-{number}", {"summarizeErrors": "false"})
    finally:
        client.close()
    row = data["Invoices"][0]
    assert not row.get("ValidationErrors"), dumps(row)
    return row


def _exception(rig: SyncRig, local_id: int) -> ReconException:
    with rig.store.sessions() as s:
        row = s.scalars(select(ReconException).where(ReconException.kind == "number_taken",
                                                     ReconException.local_id == local_id)).one()
        s.expunge(row)
        return row


def _xero_numbered(rig: SyncRig, number: str) -> list[dict[str, Any]]:
    return [r for r in rig.objects("Invoices") if r.get("InvoiceNumber") == number and r["Status"] != "DELETED"]


def test_a_lost_create_is_not_settled_onto_the_bookkeepers_invoice_with_that_number(sync_rig: SyncRig) -> None:
    assert sync_rig.run().outcome == "succeeded"
    inv_id = copy_invoice(sync_rig, number="INV-7001")
    # The create never reaches Xero (every attempt answered 503): the link is left "sending".
    sync_rig.fault(action="status", method="PUT", path=INVOICES, status=503)
    lost = sync_rig.run()
    sync_rig.admin.clear_faults()
    assert lost.outcome == "failed"
    lk = sync_rig.link("invoice", inv_id)
    assert lk is not None and lk.state == "sending"
    # Meanwhile the bookkeeper raises her own invoice with that number in Xero.
    theirs = bookkeeper_invoice(sync_rig, "INV-7001")

    again = sync_rig.run()
    lk = sync_rig.link("invoice", inv_id)
    assert lk is not None and lk.xero_id != theirs["InvoiceID"], "linked to someone else's invoice by number"
    assert lk.xero_id is None
    exc = _exception(sync_rig, inv_id)
    assert exc.xero_id == theirs["InvoiceID"]
    assert available_actions(exc) == ["link", "renumber", "dismiss"]
    assert "not the one this app sent" in (exc.detail or "")
    item = next(i for i in sync_rig.items(again.run_id) if i.entity == "invoice" and i.local_id == inv_id)
    assert item.outcome == "needs_review" and "already used in Xero" in (item.message or "")
    assert len(_xero_numbered(sync_rig, "INV-7001")) == 1
    # Held while the exception is open: the next run sends nothing for it and raises nothing new.
    third = sync_rig.run()
    assert not [i for i in sync_rig.items(third.run_id) if i.entity == "invoice" and i.local_id == inv_id]


def test_a_lost_create_that_did_reach_xero_is_still_settled(sync_rig: SyncRig) -> None:
    """The proof accepts the app's own object (same contact, total, lines, created after the send)."""
    assert sync_rig.run().outcome == "succeeded"
    inv_id = copy_invoice(sync_rig, number="INV-7002")
    sync_rig.fault(action="drop_after_commit", method="PUT", path=INVOICES, count=6)
    sync_rig.run()
    sync_rig.admin.clear_faults()
    sync_rig.admin.clock(advance=3600)
    again = sync_rig.run()
    assert again.outcome == "succeeded", again.message
    lk = sync_rig.link("invoice", inv_id)
    assert lk is not None and lk.state == "linked" and lk.xero_id == _xero_numbered(sync_rig, "INV-7002")[0]["InvoiceID"]
    assert_no_duplicates(sync_rig)


@pytest.mark.parametrize("decision", ["renumber", "link"])
def test_a_first_push_whose_number_is_taken_is_an_exception_with_link_and_renumber(
        sync_rig: SyncRig, decision: str) -> None:
    assert sync_rig.run().outcome == "succeeded"
    theirs = bookkeeper_invoice(sync_rig, "INV-7003")
    inv_id = copy_invoice(sync_rig, number="INV-7003")
    result = sync_rig.run()
    item = next(i for i in sync_rig.items(result.run_id) if i.entity == "invoice" and i.local_id == inv_id)
    assert item.outcome == "needs_review", item.message
    assert "already used in Xero" in (item.message or "")
    exc = _exception(sync_rig, inv_id)
    assert exc.xero_id == theirs["InvoiceID"]
    assert result.counts["failed"] == 0

    if decision == "renumber":
        resolve_exception(sync_rig.store, sync_rig.engine, exc.id, "renumber", "Bea", new_number="INV-7003-B")
        with sync_rig.store.sessions() as s:
            assert s.get(Invoice, inv_id).number == "INV-7003-B"
        lk = sync_rig.link("invoice", inv_id)
        assert lk is not None and lk.state == "linked"
        assert len(_xero_numbered(sync_rig, "INV-7003-B")) == 1
        assert len(_xero_numbered(sync_rig, "INV-7003")) == 1  # hers, untouched
    else:
        resolve_exception(sync_rig.store, None, exc.id, "link", "Bea", xero_id=theirs["InvoiceID"])
        lk = sync_rig.link("invoice", inv_id)
        assert lk is not None and lk.xero_id == theirs["InvoiceID"]
    assert_no_duplicates(sync_rig)
