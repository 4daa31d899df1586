"""Issue 13.4: unit amounts with four decimals reach Xero as they are (unitdp=4), and the reads
that feed comparisons see them at four decimals too."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from tests.fixtures.sync import SyncRig, copy_invoice
from xsync_desktop.store.models import Invoice, InvoiceLine, ReconException


def test_a_four_decimal_unit_amount_is_sent_and_read_back_without_rounding(sync_rig: SyncRig) -> None:
    assert sync_rig.run().outcome == "succeeded"
    inv_id = copy_invoice(sync_rig, number="DP4-0001")
    with sync_rig.store.sessions() as s:
        inv = s.get(Invoice, inv_id)
        charge = inv.lines[0].charge_type
        inv.lines.clear()
        s.flush()
        inv.lines.append(InvoiceLine(line_no=1, charge_type=charge, description="Electricity 303.7 kWh",
                                     quantity=Decimal("3"), unit_amount=Decimal("10.1234"),
                                     tax_amount=Decimal("4.56"), line_amount=Decimal("30.37")))
        inv.subtotal, inv.tax_total, inv.total = Decimal("30.37"), Decimal("4.56"), Decimal("34.93")
        s.commit()
    result = sync_rig.run()
    item = next(i for i in sync_rig.items(result.run_id) if i.entity == "invoice" and i.local_id == inv_id)
    assert item.outcome == "succeeded", item.message
    xero = next(r for r in sync_rig.objects("Invoices") if r["InvoiceNumber"] == "DP4-0001")
    assert Decimal(str(xero["LineItems"][0]["UnitAmount"])) == Decimal("10.1234")
    assert Decimal(str(xero["Total"])) == Decimal("34.93")
    again = sync_rig.run()  # the pull reads it back: nothing looks changed in Xero
    assert again.outcome == "succeeded", again.message
    with sync_rig.store.sessions() as s:
        assert not s.scalars(select(ReconException).where(ReconException.local_id == inv_id)).all()
