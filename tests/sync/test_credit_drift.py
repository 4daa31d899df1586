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

from tests.sync.test_pull import TODAY, World, world  # noqa: F401 - fixture
from xsync_desktop.ledger.importer import import_files
from xsync_desktop.store.database import session_scope
from xsync_desktop.store.models import CreditNote
from xsync_desktop.sync.exceptions import resolve_exception


def _import(w: World, folder: Path, files: dict[str, str]) -> None:
    """The operator's billing export (CSV files by record type), imported as the app imports it."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in files.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    report = import_files(w.store, paths)
    assert report.ok and report.committed, report


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
    _import(world, tmp_path / "1", _credit_note_files("CN-D1", "30.00", "Goodwill"))
    assert world.sync().counts["credit_notes_pushed"] == 1
    _bookkeeper_edits_reference(world, "CN-D1", "Xero ref")
    _import(world, tmp_path / "2", _credit_note_files("CN-D1", "30.00", "Ledger ref"))
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
    _import(world, tmp_path / "3", _credit_note_files("CN-D1", "35.00", "Ledger ref"))
    world.sync()
    x = _xero_credit_note(world, "CN-D1")
    assert (x["Reference"], Decimal(str(x["Total"]))) == ("Xero ref", Decimal("35.00"))
    report = world.engine.verify(None).extra["compare"]
    assert report.unexplained == 0 and [f.exception_id for f in report.findings] == [conflict.id]


def test_keep_ledger_after_a_credit_note_dismissal_is_not_needed_to_edit_again(
        world: World, tmp_path: Path) -> None:  # noqa: F811
    """A dismissed field is left alone only while the ledger still holds the dismissed value: a new
    ledger value is a new decision by the operator, and it goes out."""
    _import(world, tmp_path / "1", _credit_note_files("CN-D2", "30.00", "Goodwill"))
    world.sync()
    _bookkeeper_edits_reference(world, "CN-D2", "Xero ref")
    _import(world, tmp_path / "2", _credit_note_files("CN-D2", "30.00", "Ledger ref"))
    world.sync()
    (conflict,) = [e for e in world.exceptions() if e.kind == "credit_note_both_sides"]
    resolve_exception(world.store, world.engine, conflict.id, "dismiss", "Ana", note="later")
    world.sync()
    _import(world, tmp_path / "3", _credit_note_files("CN-D2", "30.00", "Agreed ref"))
    world.sync()
    assert _xero_credit_note(world, "CN-D2")["Reference"] == "Agreed ref"
    assert world.engine.verify(None).extra["compare"].differences == 0


