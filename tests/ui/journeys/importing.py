"""File > Import billing files… as a person uses it, for the journeys that start with an import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xsync_desktop.ui.qt import Qt, QtWidgets


def open_import_with(j: Any, monkeypatch: Any, files: list[Path]) -> Any:
    """Ctrl+I, then Choose files… picks `files` (the file dialog answers); the dialog once they are checked."""
    j._press("i")
    j.qtbot.waitUntil(lambda: j.window.findChild(QtWidgets.QDialog, "importDialog") is not None)
    dialog = j.window.findChild(QtWidgets.QDialog, "importDialog")
    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileNames",
                        lambda *a, **k: ([str(p) for p in files], "Billing exports (*.csv *.json)"))
    with j.qtbot.waitSignal(dialog.checked, timeout=20_000):
        j.qtbot.mouseClick(dialog.choose_button, Qt.MouseButton.LeftButton)
    return dialog


def press_import(j: Any, monkeypatch: Any, dialog: Any) -> Any:
    """Import, answering Yes to the confirmation; the committed report."""
    monkeypatch.setattr(QtWidgets.QMessageBox, "question",
                        lambda *a, **k: QtWidgets.QMessageBox.StandardButton.Yes)
    with j.qtbot.waitSignal(dialog.imported, timeout=30_000) as blocker:
        j.qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    return blocker.args[0]


def one_invoice_export(j: Any, folder: Path, number: str, status: str) -> list[Path]:
    """The operator's export of one new invoice (one rent line, dated today) for a customer and a
    facility the ledger already has, as the billing system exports it (invoices.csv + lines)."""
    return invoices_export(j, folder, [number], status)


def invoices_export(j: Any, folder: Path, numbers: list[str], status: str) -> list[Path]:
    """The operator's export of new invoices, one rent line each, dated today, for a customer and
    a facility the ledger already has (invoices.csv + invoice_lines.csv)."""
    from datetime import date

    from sqlalchemy import select

    from xsync_desktop.store.models import Customer, Facility

    with j.services.session() as s:  # the ids the billing system already exported
        customer = s.scalars(select(Customer.external_id).order_by(Customer.id)).first()
        facility = s.scalars(select(Facility.external_id).order_by(Facility.id)).first()
    today = date.today().isoformat()
    exts = [(f"inv_{number.lower()}", number) for number in numbers]
    folder.mkdir()
    (folder / "invoices.csv").write_text(
        "id,number,customer_id,tenancy_id,facility_id,issue_date,due_date,currency,status,reference,"
        "subtotal,tax_total,total\n"
        + "".join(f"{ext},{number},{customer},,{facility},{today},{today},NZD,{status},Unit,100.00,15.00,115.00\n"
                  for ext, number in exts), encoding="utf-8")
    (folder / "invoice_lines.csv").write_text(
        "invoice_id,line_no,charge_type,description,quantity,unit_amount,tax_amount,line_amount\n"
        + "".join(f"{ext},1,rent,Storage unit,1,100.00,15.00,100.00\n" for ext, _n in exts), encoding="utf-8")
    return sorted(folder.glob("*.csv"))
