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
