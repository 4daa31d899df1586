"""Issue 13 case 6, the operator's side: credit notes and their allocations edited in the ledger.

Set up as it happens: the operator's change reaches the app through a billing-export import
(ledger/importer), the bookkeeper's through the sandbox's public API or admin surface, then the
engine syncs over real sockets; Xero (read back through the sandbox) and the ledger must then
agree, or an open exception names the record.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tests.fixtures.ledger import import_export
from tests.sync.test_pull import TODAY, World, world  # noqa: F401 - fixture
from xsync_desktop.store.database import session_scope
from xsync_desktop.store.models import CreditAllocation, CreditNote, Invoice
from xsync_desktop.sync.exceptions import resolve_exception


def _credit_note_files(number: str, total: str, reference: str) -> dict[str, str]:
    """A credit note of customer C1 (one rent line, no tax: the world's NoTax setting)."""
    return {
        "credit_notes.csv": "id,number,customer_id,issue_date,currency,status,reference,subtotal,tax_total,total\n"
                            f"{number},{number},C1,{TODAY.isoformat()},NZD,authorised,{reference},{total},0.00,"
                            f"{total}\n",
        "credit_note_lines.csv": "credit_note_id,line_no,charge_type,description,quantity,unit_amount,tax_amount,"
                                 "line_amount\n"
                                 f"{number},1,rent,Goodwill credit,1,{total},0.00,{total}\n",
    }


def _allocation_file(alloc_id: str, number: str, invoice_ext: str, amount: str) -> dict[str, str]:
    return {"credit_allocations.csv": "id,credit_note_id,invoice_id,date,amount\n"
                                      f"{alloc_id},{number},{invoice_ext},{TODAY.isoformat()},{amount}\n"}


def _xero_credit_note(w: World, number: str) -> dict[str, Any]:
    return next(c for c in w.admin.objects(w.tenant, "CreditNotes") if c["CreditNoteNumber"] == number)


def _credit_note_id(w: World, number: str) -> int:
    with session_scope(w.store.sessions) as s:
        return s.scalars(select(CreditNote.id).where(CreditNote.number == number)).one()


def _bookkeeper_edits_reference(w: World, number: str, reference: str) -> None:
    """The bookkeeper edits the credit note in Xero (the public API, as Xero's own screen would)."""
    xid = w.xero_id("credit_note", _credit_note_id(w, number))
    client = w.rig.new_client()
    try:
        client.post(f"/CreditNotes/{xid}", {"CreditNotes": [{"CreditNoteID": xid, "Reference": reference}]},
                    idempotency_key=f"bookkeeper-{number}-{reference.replace(' ', '-')}")
    finally:
        client.close()


# -- case 13 for credit notes: dismiss leaves both as they are ---------------------------------------
def test_dismissing_a_credit_note_conflict_sends_nothing_for_that_field(world: World, tmp_path: Path) -> None:  # noqa: F811
    import_export(world.store, tmp_path / "1", _credit_note_files("CN-D1", "30.00", "Goodwill"))
    assert world.sync().counts["credit_notes_pushed"] == 1
    _bookkeeper_edits_reference(world, "CN-D1", "Xero ref")
    import_export(world.store, tmp_path / "2", _credit_note_files("CN-D1", "30.00", "Ledger ref"))
    world.sync()
    (conflict,) = [e for e in world.exceptions() if e.kind == "credit_note_both_sides"]
    assert (conflict.field, conflict.ledger_value, conflict.xero_value) == ("reference", "Ledger ref", "Xero ref")
    resolve_exception(world.store, world.engine, conflict.id, "dismiss", "Ana", note="ask the customer first")
    world.sync()
    world.sync()
    assert _xero_credit_note(world, "CN-D1")["Reference"] == "Xero ref"  # Xero keeps its value ...
    with session_scope(world.store.sessions) as s:  # ... and the ledger its own
        assert s.get(CreditNote, _credit_note_id(world, "CN-D1")).reference == "Ledger ref"
    # A later ledger edit of another field still goes out, without the dismissed field.
    import_export(world.store, tmp_path / "3", _credit_note_files("CN-D1", "35.00", "Ledger ref"))
    world.sync()
    x = _xero_credit_note(world, "CN-D1")
    assert (x["Reference"], Decimal(str(x["Total"]))) == ("Xero ref", Decimal("35.00"))
    report = world.engine.verify(None).extra["compare"]
    assert report.unexplained == 0 and [f.exception_id for f in report.findings] == [conflict.id]


def test_keep_ledger_after_a_credit_note_dismissal_is_not_needed_to_edit_again(
        world: World, tmp_path: Path) -> None:  # noqa: F811
    """A dismissed field is left alone only while the ledger still holds the dismissed value: a new
    ledger value is a new decision by the operator, and it goes out."""
    import_export(world.store, tmp_path / "1", _credit_note_files("CN-D2", "30.00", "Goodwill"))
    world.sync()
    _bookkeeper_edits_reference(world, "CN-D2", "Xero ref")
    import_export(world.store, tmp_path / "2", _credit_note_files("CN-D2", "30.00", "Ledger ref"))
    world.sync()
    (conflict,) = [e for e in world.exceptions() if e.kind == "credit_note_both_sides"]
    resolve_exception(world.store, world.engine, conflict.id, "dismiss", "Ana", note="later")
    world.sync()
    import_export(world.store, tmp_path / "3", _credit_note_files("CN-D2", "30.00", "Agreed ref"))
    world.sync()
    assert _xero_credit_note(world, "CN-D2")["Reference"] == "Agreed ref"
    assert world.engine.verify(None).extra["compare"].differences == 0




# -- case 6: an allocation edited or deleted in the ledger after it was applied in Xero --------------
def _xero_allocations(w: World, number: str) -> list[tuple[str, Decimal]]:
    """The credit note's live allocations as Xero's API shows them: (invoice number, amount)."""
    xid = w.xero_id("credit_note", _credit_note_id(w, number))
    client = w.rig.new_client()
    try:
        (xcn,) = client.get(f"/CreditNotes/{xid}")["CreditNotes"]
    finally:
        client.close()
    return sorted((str((a.get("Invoice") or {}).get("InvoiceNumber")), Decimal(str(a["Amount"])))
                  for a in xcn.get("Allocations") or [] if not a.get("IsDeleted"))


def _xero_amount_credited(w: World, number: str) -> Decimal:
    client = w.rig.new_client()
    try:
        (xinv,) = client.get(f"/Invoices/{w.xero_id('invoice', w.invoice(number).id)}")["Invoices"]
    finally:
        client.close()
    return Decimal(str(xinv["AmountCredited"]))


def _applied(w: World, folder: Path) -> None:
    """CN-A1 (30.00) with 20.00 of it applied to INV-0001, imported and synced."""
    import_export(w.store, folder, {**_credit_note_files("CN-A1", "30.00", "Goodwill"),
                                    **_allocation_file("AL-1", "CN-A1", "I1", "20.00")})
    w.sync()
    assert _xero_allocations(w, "CN-A1") == [("INV-0001", Decimal("20.00"))]


def test_allocation_amount_changed_in_the_ledger_is_sent_to_xero(world: World, tmp_path: Path) -> None:  # noqa: F811
    """Xero cannot edit an allocation: the app removes the old one and applies the ledger's."""
    _applied(world, tmp_path / "1")
    import_export(world.store, tmp_path / "2", _allocation_file("AL-1", "CN-A1", "I1", "15.00"))
    result = world.sync()
    assert result.outcome == "succeeded", result.message
    assert _xero_allocations(world, "CN-A1") == [("INV-0001", Decimal("15.00"))]
    assert _xero_amount_credited(world, "INV-0001") == Decimal("15.00")
    assert world.invoice("INV-0001").amount_credited == Decimal("15.00")
    assert world.exceptions() == []
    world.sync()  # nothing left to send: the new allocation is linked
    assert _xero_allocations(world, "CN-A1") == [("INV-0001", Decimal("15.00"))]
    assert world.engine.verify(None).extra["compare"].differences == 0


def test_allocation_deleted_in_the_ledger_is_removed_from_xero(world: World, tmp_path: Path) -> None:  # noqa: F811
    """The billing system deletes an allocation (an import never deletes: the billing system
    writes the ledger's tables itself, as DESIGN.md says)."""
    _applied(world, tmp_path / "1")
    with session_scope(world.store.sessions) as s:
        s.delete(s.scalars(select(CreditAllocation).where(CreditAllocation.external_id == "AL-1")).one())
        s.get(Invoice, world.invoice("INV-0001").id).amount_credited = Decimal("0.00")
    result = world.sync()
    assert result.outcome == "succeeded", result.message
    assert _xero_allocations(world, "CN-A1") == []
    assert _xero_amount_credited(world, "INV-0001") == Decimal("0.00")
    assert world.exceptions() == []
    assert world.engine.verify(None).extra["compare"].differences == 0


def test_allocation_change_whose_removal_answer_was_lost_is_applied_once(world: World, tmp_path: Path) -> None:  # noqa: F811
    """The connection drops after Xero removed the old allocation: the next attempt finds it gone
    (the app's own removal, recorded before it was sent) and applies the ledger's version once."""
    _applied(world, tmp_path / "1")
    import_export(world.store, tmp_path / "2", _allocation_file("AL-1", "CN-A1", "I1", "12.50"))
    world.admin.faults("drop_after_commit", method="DELETE", path="/api.xro/2.0/CreditNotes/", count=1)
    world.engine.run("manual")  # however this run ends (the client retries a dropped connection) ...
    world.sync()  # ... the next one leaves both sides agreeing
    with world.rig.srv.faults._lock:
        assert not world.rig.srv.faults._faults  # the dropped connection did happen
    assert _xero_allocations(world, "CN-A1") == [("INV-0001", Decimal("12.50"))]
    assert world.exceptions() == []
    assert world.engine.verify(None).extra["compare"].differences == 0


def test_allocation_xero_will_not_remove_is_a_failed_item_never_imported_back(
        world: World, tmp_path: Path) -> None:  # noqa: F811
    """The allocation is in a period the accountant locked: Xero refuses to remove it. The run says
    so on the allocation (what to do), and the pull does not take Xero's copy for credit the
    bookkeeper applied: the ledger's deletion is never undone behind the operator's back."""
    _applied(world, tmp_path / "1")
    world.admin.organisation(world.tenant, PeriodLockDate=TODAY.isoformat())
    with session_scope(world.store.sessions) as s:
        s.delete(s.scalars(select(CreditAllocation).where(CreditAllocation.external_id == "AL-1")).one())
        s.get(Invoice, world.invoice("INV-0001").id).amount_credited = Decimal("0.00")
    for _ in range(2):
        result = world.sync(expect="failed")
        failed = [i for i in world.items(result.run_id) if i.outcome == "failed"]
        assert [(i.entity, i.action) for i in failed] == [("allocation", "withdraw")], \
            [(i.entity, i.action, i.message) for i in world.items(result.run_id)]
        assert "lock date" in (failed[0].message or "")
        with session_scope(world.store.sessions) as s:
            assert s.scalars(select(CreditAllocation)).all() == []  # not imported back from Xero
    assert _xero_allocations(world, "CN-A1") == [("INV-0001", Decimal("20.00"))]
