"""Issue 13.12: a batch answer is never trusted by position alone.

The sandbox's fault injection reshapes a committed answer the way answers generated from
Xero's spec examples look: elements in another order, or one left out.
"""

from __future__ import annotations

from sqlalchemy import select

from tests.fixtures.sync import SyncRig, assert_no_duplicates
from xsync_desktop.store.models import Invoice, Link, Payment

INVOICES = "/api.xro/2.0/Invoices"
PAYMENTS = "/api.xro/2.0/Payments"


def _wrong_links(rig: SyncRig) -> list[str]:
    """Ledger invoices linked to a Xero invoice with another number."""
    numbers = {r["InvoiceID"]: r["InvoiceNumber"] for r in rig.objects("Invoices")}
    with rig.store.sessions() as s:
        rows = s.execute(select(Invoice.number, Link.xero_id).join(Link, Link.local_id == Invoice.id)
                         .where(Link.entity == "invoice", Link.xero_id.is_not(None))).all()
    return [f"{n} -> {numbers.get(x)}" for n, x in rows if numbers.get(x) != n]


def test_an_answer_in_another_order_links_nothing_wrongly_and_is_settled_by_number(sync_rig: SyncRig) -> None:
    sync_rig.fault(action="answer_reversed", method="PUT", path=INVOICES, count=1)
    first = sync_rig.run()
    assert _wrong_links(sync_rig) == []
    mixed = [i for i in sync_rig.items(first.run_id) if i.entity == "invoice" and i.outcome == "failed"]
    assert len(mixed) == 50
    assert all("named another record (InvoiceNumber" in (i.message or "") for i in mixed)
    assert not any("cannot be reached" in (i.message or "") for i in mixed)
    again = sync_rig.run()
    assert again.outcome == "succeeded", again.message
    assert again.counts["invoices_pushed"] == 0
    assert _wrong_links(sync_rig) == []
    assert_no_duplicates(sync_rig)


def test_an_element_left_out_of_the_answer_is_said_plainly_and_settled(sync_rig: SyncRig) -> None:
    sync_rig.fault(action="answer_short", method="PUT", path=PAYMENTS, count=1)
    first = sync_rig.run()
    left_out = [i for i in sync_rig.items(first.run_id) if i.entity == "payment" and i.outcome == "failed"]
    assert len(left_out) == 1
    assert left_out[0].message.startswith("Xero's answer left this record out; it will be checked on the next run")
    again = sync_rig.run()
    assert again.outcome == "succeeded", again.message
    with sync_rig.store.sessions() as s:
        pid = left_out[0].local_id
        ref = f"xsync:P-{s.get(Payment, pid).external_id}"
    lk = sync_rig.link("payment", pid)
    assert lk is not None and lk.state == "linked"
    assert [p["PaymentID"] for p in sync_rig.objects("Payments") if p.get("Reference") == ref] == [lk.xero_id]
    assert_no_duplicates(sync_rig)
