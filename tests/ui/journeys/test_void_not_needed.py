"""Issue 14 point 9: an invoice voided in the billing system before it was ever sent is not
needed in Xero. Records says so (not "Pending" for ever), for the same reason the month-end
checklist gives when it leaves it out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from xsync_desktop.store.models import Invoice, Link
from xsync_desktop.ui.qt import Qt

from .importing import one_invoice_export, open_import_with, press_import

NUMBER = "INV-900101"


def _status_of(view: Any, number: str) -> tuple[str, str]:
    """The Sync status cell of the record's row as shown, and its tooltip (why)."""
    model = view.table.model()
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    status = headers.index("Sync status")
    for r in range(model.rowCount()):
        if number in [model.index(r, c).data() for c in range(model.columnCount())]:
            cell = model.index(r, status)
            return cell.data(), cell.data(Qt.ItemDataRole.ToolTipRole)
    raise AssertionError(f"{number} not listed")


def test_a_void_invoice_never_sent_is_not_needed_in_xero(journey: Any, monkeypatch: Any, tmp_path: Path) -> None:
    j = journey()
    dialog = open_import_with(j, monkeypatch, one_invoice_export(j, tmp_path / "export", NUMBER, "void"))
    assert dialog.report.ok, dialog.summary.toPlainText()
    assert press_import(j, monkeypatch, dialog).committed
    dialog.close()
    j.sync_now()  # the sync leaves it alone: nothing to create, nothing to void
    with j.services.session() as s:
        inv_id = s.scalar(select(Invoice.id).where(Invoice.number == NUMBER))
        assert s.scalar(select(Link.xero_id).where(Link.entity == "invoice", Link.local_id == inv_id)) is None

    view = j.shortcut(6)
    view.kind_box.setCurrentIndex(view.kind_box.findData("invoice"))  # as a person picks Invoices
    view.search.setText(NUMBER)
    j.qtbot.waitUntil(lambda: view.table.model().rowCount() == 1, timeout=10_000)
    status, why = _status_of(view, NUMBER)
    assert status == "Not needed in Xero"
    assert why == "void and never sent to Xero: nothing to send"  # the checklist's own words
