"""Import billing exports from the UI: choose files, see the validation report, then commit.

The report (rejected rows with file, row, field and reason) is shown BEFORE anything is
written, and Import is enabled only for the very files that were checked and only when
no row was rejected. Both the check and the import run in the background runner: a year
of exports is tens of thousands of rows. The import itself checks again inside its own
transaction and writes all of it or nothing, so a file changed after the check cannot
slip bad rows in.

A row can break several rules, so rows and problems are counted apart ("2 rows rejected,
7 problems"), and the whole list can be saved as CSV (to Documents) or copied to send to
whoever produces the export.
"""

from __future__ import annotations

import io
from pathlib import Path

from ...activity import plural
from ...ledger.importer import ImportUsageError, import_files, validate_files
from ...ledger.report import ImportReport, Rejection, row_text, write_rejections_csv
from ..qt import Qt, QtWidgets, Signal
from ..save_dialog import ask_save_path
from ..services import AppServices
from .records_models import Column, RowTableModel

FILE_FILTER = "Billing exports (*.csv *.json);;CSV files (*.csv);;JSON files (*.json);;All files (*)"


def rejection_columns() -> list[Column[Rejection]]:
    return [
        Column("File", lambda r: r.file),
        Column("Row", lambda r: r.row, text=row_text, align_right=True),
        Column("Field", lambda r: r.field),
        Column("Reason", lambda r: r.reason, tooltip=lambda r: r.reason),
    ]


class ImportDialog(QtWidgets.QDialog):
    """Check, review, then import; `checked` and `imported` signal the end of each step."""

    checked = Signal(object)  # ImportReport, or None when the files could not be read
    imported = Signal(object)  # ImportReport of the committed import (or its rejection)

    def __init__(self, services: AppServices, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("importDialog")
        self.setWindowTitle("Import billing exports")
        self.services = services
        self.paths: list[Path] = []
        self.report: ImportReport | None = None
        self._checked_paths: list[Path] | None = None
        self.busy = False

        intro = QtWidgets.QLabel(
            "Choose the export files (one CSV per record type, or a JSON document). They are checked "
            "first; nothing is written until you click Import, and only if no row is rejected.")
        intro.setWordWrap(True)
        self.choose_button = QtWidgets.QPushButton("Choose files\u2026")
        self.choose_button.setObjectName("chooseFiles")
        self.files_list = QtWidgets.QListWidget()
        self.files_list.setObjectName("importFiles")
        self.files_list.setMaximumHeight(110)
        self.summary = QtWidgets.QPlainTextEdit()
        self.summary.setObjectName("importSummary")
        self.summary.setReadOnly(True)
        self.summary.setMaximumHeight(130)
        self.rejected_label = QtWidgets.QLabel()
        self.rejected_label.setObjectName("rejectedLabel")
        self.rejected_label.setStyleSheet("color: #b3261e;")
        self.rejected_label.setWordWrap(True)
        self.model: RowTableModel[Rejection] = RowTableModel(rejection_columns(), self)
        self.table = QtWidgets.QTableView()
        self.table.setObjectName("rejectedRows")
        self.table.setModel(self.model)
        self.table.setSortingEnabled(False)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.save_list_button = QtWidgets.QPushButton("Save list\u2026")
        self.save_list_button.setObjectName("saveRejected")
        self.save_list_button.setToolTip("Save every rejected row and its problems as a CSV file")
        self.copy_list_button = QtWidgets.QPushButton("Copy list")
        self.copy_list_button.setObjectName("copyRejected")
        self.copy_list_button.setToolTip("Copy every rejected row and its problems (CSV) to paste into a message")
        self.buttons = QtWidgets.QDialogButtonBox()
        self.import_button = self.buttons.addButton("Import", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setObjectName("commitImport")
        self.import_button.setEnabled(False)
        self.close_button = self.buttons.addButton(QtWidgets.QDialogButtonBox.StandardButton.Close)

        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.files_list, 1)
        side = QtWidgets.QVBoxLayout()
        side.addWidget(self.choose_button)
        side.addStretch(1)
        row.addLayout(side)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(row)
        layout.addWidget(self.summary)
        rejected_row = QtWidgets.QHBoxLayout()
        rejected_row.addWidget(self.rejected_label, 1)
        rejected_row.addWidget(self.copy_list_button)
        rejected_row.addWidget(self.save_list_button)
        layout.addLayout(rejected_row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.buttons)
        self.resize(820, 560)

        self.choose_button.clicked.connect(self.choose_files)
        self.import_button.clicked.connect(self.commit)
        self.close_button.clicked.connect(self.reject)
        self.save_list_button.clicked.connect(lambda: self.save_rejected())
        self.copy_list_button.clicked.connect(self.copy_rejected)
        self._update_buttons()

    # -- step 1: choose and check ------------------------------------------------------------
    def choose_files(self) -> None:
        start = str(Path.home())
        names, _ = QtWidgets.QFileDialog.getOpenFileNames(self, "Choose billing export files", start, FILE_FILTER)
        if names:
            self.set_files([Path(n) for n in names])

    def set_files(self, paths: list[Path]) -> None:
        """Take these files and check them (in the background); nothing is written."""
        self.paths = list(paths)
        self.files_list.clear()
        for p in self.paths:
            self.files_list.addItem(str(p))
        self.report = None
        self._checked_paths = None
        self.model.set_rows([])
        self.rejected_label.setText("")
        self._update_buttons()
        if not self.paths:
            return
        paths_now = list(self.paths)
        store = self.services.store
        self._busy(True, "Checking the files\u2026")
        self.services.run_in_background(
            lambda: validate_files(paths_now, store),
            lambda report: self._checked(paths_now, report),
            lambda exc: self._check_failed(paths_now, exc),
            name="import-check")

    def _checked(self, paths: list[Path], report: ImportReport) -> None:
        if paths != self.paths:
            return  # other files were chosen meanwhile
        self._busy(False)
        self.report = report
        self._checked_paths = paths
        self._show_report(report)
        self.checked.emit(report)

    def _check_failed(self, paths: list[Path], exc: BaseException) -> None:
        if paths != self.paths:
            return
        self._busy(False)
        self.report = None
        self._checked_paths = None
        if isinstance(exc, ImportUsageError):
            self.summary.setPlainText(f"These files cannot be imported: {exc}")
        else:
            from ..errors import describe

            self.summary.setPlainText(f"The files could not be checked: {describe(exc)}")
            if not isinstance(exc, OSError):
                self.services.report_error(exc)
        self._update_buttons()
        self.checked.emit(None)

    def _show_report(self, report: ImportReport) -> None:
        self.summary.setPlainText(report.summary_text(max_rejections=None))  # the table lists every one
        self.model.set_rows(report.rejected)
        self.table.resizeColumnsToContents()
        self.rejected_label.setText(self._rejected_text())
        self._update_buttons()

    def _rejected_text(self, done: str = "") -> str:
        """'2 rows rejected (7 problems): ...', then what was just done with the list."""
        r = self.report
        if r is None or not r.rejected:
            return ""
        rows = r.rejected_rows
        return (f"{plural(rows, 'row')} rejected ({plural(len(r.rejected), 'problem')}): fix "
                f"{'them' if rows != 1 else 'it'} in the export and choose the files again. Nothing will be "
                "imported until every row passes." + (f"\n{done}" if done else ""))

    # -- the rejected rows, for whoever fixes the export ---------------------------------------
    def rejected_csv(self, dialect: str = "excel") -> str:
        """Every rejected row with its problems, as CSV text (tab-separated: "excel-tab")."""
        out = io.StringIO()
        write_rejections_csv(self.report.rejected if self.report is not None else [], out, dialect)
        return out.getvalue()

    def save_rejected(self, path: Path | None = None) -> Path | None:
        """Ask where (in Documents), then write the rejected rows as CSV; returns where it went."""
        if self.report is None or not self.report.rejected:
            return None
        if path is None:
            path = ask_save_path(self, "Save the rejected rows", "rejected-rows.csv", "CSV files (*.csv)")
            if path is None:
                return None
        try:
            with path.open("w", newline="", encoding="utf-8-sig") as fh:  # BOM: Excel opens it as UTF-8
                write_rejections_csv(self.report.rejected, fh)
        except OSError as exc:
            from ..errors import describe

            self.rejected_label.setText(self._rejected_text(f"The list could not be saved to {path}: "
                                                            f"{describe(exc)}"))
            return None
        self.rejected_label.setText(self._rejected_text(f"Saved the list to {path}"))
        return path

    def copy_rejected(self) -> None:
        """The same list on the clipboard, tab-separated: pasted into Excel it fills the columns,
        pasted into a message to whoever produces the export it still reads as a table."""
        if self.report is None or not self.report.rejected:
            return
        QtWidgets.QApplication.clipboard().setText(self.rejected_csv("excel-tab"))
        self.rejected_label.setText(self._rejected_text("Copied the list to the clipboard: paste it into a "
                                                        "spreadsheet or a message."))

    # -- step 2: commit ------------------------------------------------------------------------
    @property
    def can_import(self) -> bool:
        return (not self.busy and self.report is not None and self.report.ok and not self.report.committed
                and self._checked_paths == self.paths and bool(self.paths))

    def commit(self) -> None:
        """Import the checked files after the person confirms; all or nothing."""
        if not self.can_import or self.report is None:
            return
        r = self.report
        answer = QtWidgets.QMessageBox.question(
            self, "Import billing exports",
            f"Import {len(self.paths)} file(s) into the ledger?\n\n{r.added} records will be added, "
            f"{r.updated} updated, {r.unchanged} are unchanged.",
            QtWidgets.QMessageBox.StandardButton.Yes | QtWidgets.QMessageBox.StandardButton.Cancel,
            QtWidgets.QMessageBox.StandardButton.Cancel)
        if answer != QtWidgets.QMessageBox.StandardButton.Yes:
            return
        paths_now = list(self.paths)
        store = self.services.store
        self._busy(True, "Importing\u2026")
        self.services.run_in_background(
            lambda: import_files(store, paths_now), self._imported, self._import_failed, name="import")

    def _imported(self, report: ImportReport) -> None:
        self._busy(False)
        self.report = report
        self._show_report(report)
        if report.committed:
            self.services.notify("ledger")
        self.imported.emit(report)

    def _import_failed(self, exc: BaseException) -> None:
        from ..errors import describe

        self._busy(False)
        self.summary.setPlainText(f"Nothing was imported: {describe(exc)}")
        if not isinstance(exc, ImportUsageError | OSError):
            self.services.report_error(exc)
        self.imported.emit(None)

    # -- state ------------------------------------------------------------------------------
    def _busy(self, busy: bool, text: str = "") -> None:
        self.busy = busy
        if text:
            self.summary.setPlainText(text)
        self.setCursor(Qt.CursorShape.BusyCursor if busy else Qt.CursorShape.ArrowCursor)
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.choose_button.setEnabled(not self.busy)
        self.import_button.setEnabled(self.can_import)
        has_rejected = not self.busy and self.report is not None and bool(self.report.rejected)
        self.save_list_button.setEnabled(has_rejected)
        self.copy_list_button.setEnabled(has_rejected)
        done = self.report is not None and self.report.committed
        self.import_button.setText("Imported" if done else "Import")
