"""Issue 14 point 6: the import dialog counts rejected rows and problems apart, and the
whole list of rejected rows can be saved (CSV, in Documents) or copied.

A real CSV export goes through File > Import (Ctrl+I) on the month's profile; two of its
rows break several rules each, so rows and problems differ.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from xsync_desktop.ui.qt import Qt, QtWidgets
from xsync_desktop.ui.save_dialog import documents_folder

from .importing import open_import_with

HEADER = ("id,number,customer_id,tenancy_id,facility_id,issue_date,due_date,currency,status,reference,"
          "subtotal,tax_total,total")
BAD_INVOICES = [  # row 2: 3 problems (date, customer, facility); row 3: 4 (currency, customer, facility, due date)
    "inv_x1,INV-900001,cus_nobody,,fac_nowhere,2025-13-45,2025-03-20,NZD,authorised,Bad one,10.00,1.50,11.50",
    "inv_x2,INV-900002,cus_nobody,,fac_nowhere,2025-03-06,2025-03-01,XXX,authorised,Bad two,10.00,1.50,11.50",
]


def _bad_export(tmp_path: Path) -> Path:
    folder = tmp_path / "export"
    folder.mkdir()
    path = folder / "invoices.csv"
    path.write_text("\n".join([HEADER, *BAD_INVOICES]) + "\n", encoding="utf-8")
    return path


def test_rows_and_problems_are_counted_apart_and_the_list_is_saved_and_copied(
        journey: Any, monkeypatch: Any, tmp_path: Path) -> None:
    j = journey(online=False)
    dialog = open_import_with(j, monkeypatch, [_bad_export(tmp_path)])

    summary = dialog.summary.toPlainText()
    assert "7 problems on 2 rows" in summary
    assert "more" not in summary  # every problem is in the table below, none is "more"
    assert dialog.rejected_label.text().startswith("2 rows rejected (7 problems)")
    assert dialog.model.rowCount() == 7
    assert not dialog.import_button.isEnabled()

    asked: list[str] = []
    saved_to = tmp_path / "mine" / "rejected.csv"
    saved_to.parent.mkdir()
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        lambda _parent, _title, start, _filters: asked.append(start) or (str(saved_to), ""))
    j.qtbot.mouseClick(dialog.save_list_button, Qt.MouseButton.LeftButton)
    assert Path(asked[0]).parent == documents_folder()  # not the hidden profile folder
    with saved_to.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["File", "Row", "Field", "Problem"]
    assert len(rows) == 1 + 7
    assert sorted({(r[0], r[1]) for r in rows[1:]}) == [("invoices.csv", "2"), ("invoices.csv", "3")]
    assert ["invoices.csv", "3", "currency"] == rows[1 + [r[2] for r in rows[1:]].index("currency")][:3]
    assert "Saved the list to" in dialog.rejected_label.text()

    j.qtbot.mouseClick(dialog.copy_list_button, Qt.MouseButton.LeftButton)
    # Tab-separated on the clipboard: pasted into Excel or a mail, each field lands in its own column.
    copied = list(csv.reader(io.StringIO(QtWidgets.QApplication.clipboard().text()), dialect="excel-tab"))
    assert copied == rows
    assert "\t" in QtWidgets.QApplication.clipboard().text().splitlines()[0]
