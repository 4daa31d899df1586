"""Issue 13.11: a record in a currency the organisation has not enabled fails before sending."""

from __future__ import annotations

from tests.fixtures.sync import SyncRig, copy_invoice
from xsync_desktop.store.models import Invoice, XeroReference


def test_a_currency_not_enabled_in_xero_fails_before_sending_and_says_what_to_enable(sync_rig: SyncRig) -> None:
    with sync_rig.store.sessions() as s:
        codes = {r.key for r in s.query(XeroReference).filter(XeroReference.kind == "currency")}
    assert codes == {"NZD", "AUD"}  # read with the settings, as the organisation has them
    inv_id = copy_invoice(sync_rig, number="USD-0001")
    with sync_rig.store.sessions() as s:
        s.get(Invoice, inv_id).currency = "USD"
        s.commit()
    result = sync_rig.run()
    item = next(i for i in sync_rig.items(result.run_id) if i.entity == "invoice" and i.local_id == inv_id)
    assert item.outcome == "failed"
    assert item.xero_messages is None and item.attempts == 0  # never sent
    assert "add USD under Settings > Currencies" in (item.message or "")
    assert not [r for r in sync_rig.objects("Invoices") if r.get("InvoiceNumber") == "USD-0001"]
    others = [i for i in sync_rig.items(result.run_id) if i.entity == "invoice" and i.local_id != inv_id]
    assert others and all(i.outcome == "succeeded" for i in others)
