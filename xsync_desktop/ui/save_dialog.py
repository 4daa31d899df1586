"""Where a file the person saves goes: a save dialog that opens in their Documents folder.

The profile folder is hidden (AppData) and holds the database: a list or report saved
for a colleague belongs where the person keeps their own files, and where the file
dialog's "Recent" and Explorer will find it again.
"""

from __future__ import annotations

from pathlib import Path

from .qt import QtCore, QtWidgets


def documents_folder() -> Path:
    """The user's Documents folder (the home folder where the platform names none)."""
    found = QtCore.QStandardPaths.writableLocation(QtCore.QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(found) if found else Path.home()


def ask_save_path(parent: QtWidgets.QWidget | None, title: str, file_name: str, filters: str) -> Path | None:
    """Ask where to save `file_name`, starting in Documents; None when the person cancels."""
    name, _ = QtWidgets.QFileDialog.getSaveFileName(parent, title, str(documents_folder() / file_name), filters)
    return Path(name) if name else None
