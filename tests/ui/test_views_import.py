"""Import dialog: the report comes before any write; bad rows are listed and nothing is written."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from xsync_desktop.store.models import Customer, ImportBatch, Invoice
from xsync_desktop.ui.qt import Qt, QtWidgets
from xsync_desktop.ui.services import AppServices, XeroSetup
from xsync_desktop.ui.views.import_dialog import ImportDialog, rejection_columns
from xsync_desktop.ui.views.records_models import RowTableModel

from .test_views_support import OFFSCREEN_NOISE

pytestmark = OFFSCREEN_NOISE
EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


@pytest.fixture
def services(qtbot: Any, profile: Any, store: Any) -> Any:
    svc = AppServices(profile, store, XeroSetup(None, "xsync-desktop-demo", (), None))  # type: ignore[arg-type]
    yield svc
    svc.runner.shutdown()


def _counts(services: Any) -> tuple[int, int, int]:
    with services.session() as s:
        return (s.scalar(select(func.count()).select_from(Customer)) or 0,
                s.scalar(select(func.count()).select_from(Invoice)) or 0,
                s.scalar(select(func.count()).select_from(ImportBatch)) or 0)


def _dialog(qtbot: Any, services: Any) -> ImportDialog:
    dialog = ImportDialog(services)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _choose(qtbot: Any, dialog: ImportDialog, monkeypatch: Any, paths: list[Path]) -> Any:
    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileNames",
                        lambda *a, **k: ([str(p) for p in paths], "Billing exports (*.csv *.json)"))
    with qtbot.waitSignal(dialog.checked, timeout=20_000) as blocker:
        qtbot.mouseClick(dialog.choose_button, Qt.MouseButton.LeftButton)
    return blocker.args[0]


def _bad_csv_set(tmp_path: Path) -> list[Path]:
    """The example CSV export with two broken rows: a bad date and an unknown customer."""
    folder = tmp_path / "export ü"
    shutil.copytree(EXAMPLES / "csv", folder)
    inv = folder / "invoices.csv"
    lines = inv.read_text(encoding="utf-8").splitlines()
    cols = lines[1].split(",")
    cols[5] = "2025-13-45"  # issue_date
    lines[1] = ",".join(cols)
    cols = lines[2].split(",")
    cols[2] = "cus_does_not_exist"  # customer_id
    lines[2] = ",".join(cols)
    inv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return sorted(folder.glob("*.csv"))


def test_bad_rows_are_listed_with_file_row_field_reason_and_nothing_is_written(
    qtbot: Any, services: Any, monkeypatch: Any, tmp_path: Path, qtmodeltester: Any
) -> None:
    dialog = _dialog(qtbot, services)
    report = _choose(qtbot, dialog, monkeypatch, _bad_csv_set(tmp_path))
    assert report is not None and not report.ok
    rows = dialog.model.rows()
    assert dialog.model.rowCount() == len(report.rejected) >= 2
    where = {(r.file, r.row, r.field) for r in rows}
    assert ("invoices.csv", 2, "issue_date") in where
    assert any(r.file == "invoices.csv" and r.row == 3 and r.field == "customer_id" for r in rows)
    # The table shows file, row, field and reason, in that order.
    index = dialog.model.index(0, 3)
    assert dialog.model.headerData(3, Qt.Orientation.Horizontal) == "Reason" and index.data()
    assert "rejected" in dialog.rejected_label.text()
    assert not dialog.import_button.isEnabled()
    asked: list[Any] = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "question", lambda *a, **k: asked.append(a))
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert asked == []
    assert _counts(services) == (0, 0, 0)
    standalone = RowTableModel(rejection_columns())  # outlives the dialog for the tester's teardown
    standalone.set_rows(report.rejected)
    qtmodeltester.check(standalone, force_py=True)


def test_a_clean_export_is_checked_first_then_imported_on_confirmation(
    qtbot: Any, services: Any, monkeypatch: Any
) -> None:
    dialog = _dialog(qtbot, services)
    report = _choose(qtbot, dialog, monkeypatch, [EXAMPLES / "ledger.json"])
    assert report is not None and report.ok and report.added > 0
    assert _counts(services) == (0, 0, 0)  # checked, not written
    assert dialog.import_button.isEnabled()

    monkeypatch.setattr(QtWidgets.QMessageBox, "question", lambda *a, **k: QtWidgets.QMessageBox.StandardButton.Cancel)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert _counts(services) == (0, 0, 0)

    monkeypatch.setattr(QtWidgets.QMessageBox, "question", lambda *a, **k: QtWidgets.QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(dialog.imported, timeout=20_000) as blocker:
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    done = blocker.args[0]
    assert done.committed
    customers, invoices, batches = _counts(services)
    assert customers > 0 and invoices > 0 and batches == 1
    assert not dialog.import_button.isEnabled() and dialog.import_button.text() == "Imported"


def test_unreadable_files_say_so_and_offer_no_import(qtbot: Any, services: Any, monkeypatch: Any,
                                                     tmp_path: Path) -> None:
    odd = tmp_path / "notes.txt"
    odd.write_text("hello", encoding="utf-8")
    dialog = _dialog(qtbot, services)
    report = _choose(qtbot, dialog, monkeypatch, [odd])
    assert report is None or not report.ok
    assert not dialog.import_button.isEnabled()
    assert _counts(services) == (0, 0, 0)
