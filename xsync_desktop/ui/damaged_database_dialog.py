"""Shown at start when the profile's database failed its check (store/integrity.py).

Before this, a damaged file made the app exit with a traceback and no window (a packaged
build simply vanished). The dialog says what happened, lists the copies in backups/ with
their dates, and can put the chosen copy in place (the damaged file is kept beside it).
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..store.backups import BackupCopy, restore_backup
from ..store.integrity import DatabaseDamaged
from .qt import QtCore, QtGui, QtWidgets

log = logging.getLogger(__name__)


class DamagedDatabaseDialog(QtWidgets.QDialog):
    """Restore a copy (accepted, `chosen` set) or quit (rejected)."""

    def __init__(self, damage: DatabaseDamaged, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.damage = damage
        self.chosen: BackupCopy | None = None
        self.setObjectName("damagedDatabaseDialog")
        self.setWindowTitle("xsync desktop: the database cannot be used")
        layout = QtWidgets.QVBoxLayout(self)
        head, _, _advice = damage.user_message.partition("\n")
        self.message = QtWidgets.QLabel(head)
        self.message.setObjectName("damageMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.message)
        self.copies = QtWidgets.QListWidget()
        self.copies.setObjectName("backupCopies")
        for copy in damage.backups:
            item = QtWidgets.QListWidgetItem(copy.label)
            item.setData(QtCore.Qt.ItemDataRole.UserRole, str(copy.path))
            self.copies.addItem(item)
        if damage.backups:
            layout.addWidget(QtWidgets.QLabel("Copies in the profile's backups folder (newest first). Restoring "
                                              "one keeps the damaged file beside it; before sending anything, "
                                              "the next sync checks Xero for what was sent after the copy was made."))
            layout.addWidget(self.copies)
            self.copies.setCurrentRow(0)
        else:
            self.copies.hide()
            layout.addWidget(QtWidgets.QLabel(
                "There is no copy in the profile's backups folder. Restore xsync.db from your own backup of "
                f"{damage.path.parent}, or ask for help before deleting anything."))
        buttons = QtWidgets.QDialogButtonBox()
        self.restore_button = buttons.addButton("Restore the selected copy",
                                                QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole)
        self.restore_button.setEnabled(bool(damage.backups))
        self.folder_button = buttons.addButton("Open the profile folder",
                                               QtWidgets.QDialogButtonBox.ButtonRole.ActionRole)
        self.quit_button = buttons.addButton("Quit", QtWidgets.QDialogButtonBox.ButtonRole.RejectRole)
        self.restore_button.clicked.connect(self._restore)
        self.folder_button.clicked.connect(self._open_folder)
        self.quit_button.clicked.connect(self.reject)
        layout.addWidget(buttons)

    def _restore(self) -> None:
        item = self.copies.currentItem()
        if item is None:
            return
        wanted = Path(item.data(QtCore.Qt.ItemDataRole.UserRole))
        self.chosen = next(c for c in self.damage.backups if c.path == wanted)
        self.accept()

    def _open_folder(self) -> None:
        QtGui.QDesktopServices.openUrl(QtCore.QUrl.fromLocalFile(str(self.damage.path.parent)))


def offer_backups(damage: DatabaseDamaged) -> bool:
    """Show the dialog; True when a copy was put in place (the caller opens the database again)."""
    dialog = DamagedDatabaseDialog(damage)
    if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted or dialog.chosen is None:
        return False
    try:
        aside = restore_backup(dialog.chosen, damage.path)
    except OSError as exc:
        from .errors import describe

        QtWidgets.QMessageBox.warning(None, "xsync desktop", f"The copy could not be restored: {describe(exc)}")
        return False
    log.warning("restored %s over the damaged database (kept as %s)", dialog.chosen.path, aside)
    return True
