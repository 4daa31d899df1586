"""Month-end checklist: pick a month, see the six checks and the records behind each,
sign the month off (with an override reason when a check fails), export to CSV and PDF.

The checks are computed in the background runner (a month of thousands of invoices is
hashed record by record); sign-off recomputes inside `sign_off`, so what is recorded is
what was true at that moment, not what the screen showed a while ago.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from ...activity import plural
from ...store.database import session_scope
from ...store.models import Invoice, Link
from ...sync.checklist import (
    Checklist,
    RecordRef,
    SignOffRefused,
    compute_checklist,
    export_checklist_csv,
    latest_signoff,
    sign_off,
)
from ..latest import BackgroundLoad
from ..qt import QtWidgets, Signal
from ..refresh import RefreshCoalescer
from ..save_dialog import ask_save_path
from ..services import AppServices, SyncHandle
from .checklist_report import checklist_html, write_pdf
from .exceptions_rows import default_user
from .records_models import Column, RowTableModel, fit_columns

if TYPE_CHECKING:
    from ...sync.engine import RunResult

_GREEN, _RED = "#1b7f3b", "#b3261e"
_ENTITY_TITLES = {"invoice": "Invoice", "payment": "Payment", "contact": "Customer", "credit_note": "Credit note",
                  "pull": "Xero pull", "compare": "Compare", "allocation": "Credit applied"}


def months_to_offer(first: date | None, today: date) -> list[str]:
    """Every month from the ledger's first invoice to this month, newest first."""
    start = first or today
    months = []
    y, m = today.year, today.month
    while (y, m) >= (start.year, start.month) and len(months) < 120:
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return months


def default_month(today: date) -> str:
    """Month-end work is about the month just ended."""
    return f"{today.year - 1:04d}-12" if today.month == 1 else f"{today.year:04d}-{today.month - 1:02d}"


class ChecklistView(QtWidgets.QWidget):
    loaded = Signal()
    #: "signed", "exported" (with path), or "failed" (with message)
    finished = Signal(str, str)

    def __init__(self, services: AppServices, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("checklistView")
        self.services = services
        self.checklist: Checklist | None = None
        self.signoff: Any = None
        self._load = BackgroundLoad(services, "checklist")

        self.month_box = QtWidgets.QComboBox()
        self.month_box.setObjectName("checklistMonth")
        self.month_box.setMinimumWidth(110)
        self.recheck_button = QtWidgets.QPushButton("Check again")
        self.compare_button = QtWidgets.QPushButton("Compare with Xero")
        self.compare_button.setObjectName("compareWithXero")
        self.compare_button.setToolTip("Read every linked record of the month back from Xero and compare it "
                                       "field by field with the ledger (the sixth check)")
        self._comparing = False
        self._controller: SyncHandle | None = None
        self.csv_button = QtWidgets.QPushButton("Export CSV\u2026")
        self.csv_button.setObjectName("exportCsv")
        self.pdf_button = QtWidgets.QPushButton("Export PDF\u2026")
        self.pdf_button.setObjectName("exportPdf")
        self.summary_label = QtWidgets.QLabel()
        self.summary_label.setObjectName("checklistSummary")
        self.summary_label.setWordWrap(True)
        self.signoff_label = QtWidgets.QLabel()
        self.signoff_label.setObjectName("checklistSignoff")
        self.signoff_label.setWordWrap(True)

        self.check_model: RowTableModel[Any] = RowTableModel([
            Column("Result", lambda c: c.passed, text=lambda c: "\u2714 Pass" if c.passed else "\u2718 Fail",
                   alert=lambda c: not c.passed, good=lambda c: c.passed),
            Column("Check", lambda c: c.title),
            Column("Blocking", lambda c: c.count, align_right=True, alert=lambda c: c.count > 0,
                   tooltip=lambda c: "Records that stop this check passing; click to see them"),
            Column("Checked", lambda c: c.checked, align_right=True),
        ], self)
        self.check_table = QtWidgets.QTableView()
        self.check_table.setObjectName("checksTable")
        self.check_table.setModel(self.check_model)
        self._table_defaults(self.check_table)
        self.check_table.horizontalHeader().setStretchLastSection(False)
        self.check_table.horizontalHeader().setSectionResizeMode(1, QtWidgets.QHeaderView.ResizeMode.Stretch)

        self.record_model: RowTableModel[RecordRef] = RowTableModel([
            Column("Type", lambda r: _ENTITY_TITLES.get(r.entity, r.entity)),
            Column("Record", lambda r: r.label),
            Column("Why it blocks", lambda r: r.reason, tooltip=lambda r: r.reason),
        ], self)
        self.record_table = QtWidgets.QTableView()
        self.record_table.setObjectName("checkRecordsTable")
        self.record_table.setModel(self.record_model)
        self._table_defaults(self.record_table)
        self.records_title = QtWidgets.QLabel("Click a check to see the records behind it.")
        self.open_button = QtWidgets.QPushButton("Open in Xero")
        self.open_button.setEnabled(False)

        # sign-off
        self.name_edit = QtWidgets.QLineEdit(default_user())
        self.name_edit.setObjectName("signoffName")
        self.note_edit = QtWidgets.QLineEdit()
        self.note_edit.setObjectName("signoffNote")
        self.note_edit.setPlaceholderText("optional")
        self.override_edit = QtWidgets.QLineEdit()
        self.override_edit.setObjectName("signoffOverride")
        self.override_edit.setPlaceholderText("required when a check fails")
        self.sign_button = QtWidgets.QPushButton("Sign off month")
        self.sign_button.setObjectName("signOff")
        self.message_label = QtWidgets.QLabel()
        self.message_label.setObjectName("checklistMessage")
        self.message_label.setWordWrap(True)
        sign_box = QtWidgets.QGroupBox("Sign-off")
        form = QtWidgets.QFormLayout(sign_box)
        form.addRow("Name", self.name_edit)
        form.addRow("Note", self.note_edit)
        self.override_row_label = QtWidgets.QLabel("Override reason")
        form.addRow(self.override_row_label, self.override_edit)
        form.addRow("", self.sign_button)
        form.addRow(self.signoff_label)

        top = QtWidgets.QHBoxLayout()
        top.addWidget(QtWidgets.QLabel("<b>Month-end checklist</b> for"))
        top.addWidget(self.month_box)
        top.addWidget(self.recheck_button)
        top.addWidget(self.compare_button)
        top.addStretch(1)
        top.addWidget(self.csv_button)
        top.addWidget(self.pdf_button)
        left = QtWidgets.QVBoxLayout()
        left.addWidget(self.summary_label)
        left.addWidget(self.check_table, 1)
        left.addWidget(sign_box)
        right = QtWidgets.QVBoxLayout()
        rec_bar = QtWidgets.QHBoxLayout()
        rec_bar.addWidget(self.records_title, 1)
        rec_bar.addWidget(self.open_button)
        right.addLayout(rec_bar)
        right.addWidget(self.record_table, 1)
        body = QtWidgets.QHBoxLayout()
        body.addLayout(left, 1)
        body.addLayout(right, 1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(body, 1)
        layout.addWidget(self.message_label)

        self.month_box.currentIndexChanged.connect(lambda _i: self.recheck())
        self.recheck_button.clicked.connect(self.recheck)
        self.compare_button.clicked.connect(self.compare)
        self.check_table.selectionModel().selectionChanged.connect(lambda *_: self._show_records())
        self.record_table.selectionModel().selectionChanged.connect(lambda *_: self._record_selected())
        self.record_table.doubleClicked.connect(lambda _i: self.open_selected())
        self.open_button.clicked.connect(self.open_selected)
        self.sign_button.clicked.connect(self.sign)
        self.csv_button.clicked.connect(lambda: self.export("csv"))
        self.pdf_button.clicked.connect(lambda: self.export("pdf"))
        self._coalescer = RefreshCoalescer(self, self.refresh, services.changed,
                                           ("runs", "exceptions", "ledger", "checklist"))
        self._update_buttons()

    @staticmethod
    def _table_defaults(table: QtWidgets.QTableView) -> None:
        table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setStretchLastSection(True)
        table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)

    # -- months and loading ------------------------------------------------------------------
    @property
    def month(self) -> str:
        return str(self.month_box.currentData() or default_month(date.today()))

    def refresh(self) -> None:
        """Refill the month list (keeping the chosen month) and recompute the checks."""
        with self.services.session() as session:
            first = session.scalar(select(func.min(Invoice.issue_date)))
        today = date.today()
        months = months_to_offer(first, today)
        keep = self.month_box.currentData() or default_month(today)
        if keep not in months:
            months.append(keep)
        self.month_box.blockSignals(True)
        self.month_box.clear()
        for m in months:
            self.month_box.addItem(m, m)
        self.month_box.setCurrentIndex(max(0, self.month_box.findData(keep)))
        self.month_box.blockSignals(False)
        self.recheck()

    def set_month(self, month: str) -> None:
        index = self.month_box.findData(month)
        if index < 0:
            self.month_box.addItem(month, month)
            index = self.month_box.count() - 1
        if index == self.month_box.currentIndex():
            self.recheck()
        else:
            self.month_box.setCurrentIndex(index)

    def recheck(self) -> None:
        """Compute the chosen month's checks in the background."""
        month = self.month
        tenant_id, _ = self.services.tenant()
        sessions = self.services.store.sessions
        self.summary_label.setText(f"Checking {month}\u2026")

        def compute() -> tuple[Checklist, Any]:
            with sessions() as session:
                checklist = compute_checklist(session, tenant_id, month)
                return checklist, latest_signoff(session, month)  # detached on close, attributes kept

        def done(result: tuple[Checklist, Any]) -> None:
            self.checklist, self.signoff = result
            self._show()
            self.loaded.emit()

        def failed(exc: BaseException) -> None:
            self.summary_label.setText("The checklist could not be computed.")
            self._update_buttons()
            self.services.report_error(exc)

        self._load.start(compute, done, failed)
        self._update_buttons()

    @property
    def loading(self) -> bool:
        """The checks are being computed in a worker thread."""
        return self._load.loading

    def _show(self) -> None:
        c = self.checklist
        if c is None:
            return
        keep = self.selected_check()
        self.check_model.set_rows(c.checks)
        for col in (0, 2, 3):
            self.check_table.resizeColumnToContents(col)
        failing = [k for k in c.checks if not k.passed]
        if failing:
            self.summary_label.setText(
                f"<span style='color:{_RED}'><b>{len(failing)} of {len(c.checks)} checks fail</b></span> "
                f"for {c.month}. Click a check to see what blocks it.")
        else:
            self.summary_label.setText(
                f"<span style='color:{_GREEN}'><b>All {len(c.checks)} checks pass</b></span> for {c.month}: "
                "ready to sign off.")
        s = self.signoff
        if s is None:
            self.signoff_label.setText("Not signed off yet.")
        else:
            text = f"Signed off by <b>{s.signed_by}</b> on {s.signed_at.astimezone():%Y-%m-%d %H:%M}"
            if s.note:
                text += f". Note: {s.note}"
            if s.override_reason:
                text += f"<br/><span style='color:{_RED}'>Override: {s.override_reason}</span>"
            self.signoff_label.setText(text)
        row = next((i for i, k in enumerate(c.checks) if keep and k.key == keep.key), None)
        if row is None:
            row = next((i for i, k in enumerate(c.checks) if not k.passed), 0)
        self.check_table.selectRow(row)
        self._show_records()
        self._update_buttons()

    def _update_buttons(self) -> None:
        ready = self.checklist is not None and not self.loading
        failing = ready and self.checklist is not None and not self.checklist.passed
        self.override_edit.setEnabled(bool(failing))
        self.override_row_label.setEnabled(bool(failing))
        self.sign_button.setText("Sign off with override" if failing else "Sign off month")
        self.sign_button.setEnabled(ready)
        self.csv_button.setEnabled(ready)
        self.pdf_button.setEnabled(ready)

    # -- compare with Xero ----------------------------------------------------------------------
    def compare(self) -> bool:
        """Run a Compare with Xero for the chosen month in the background worker, like a sync
        (same run lock, progress shown here); the checks are recomputed when it ends."""
        controller = self.services.sync
        if controller is None:
            self.message_label.setText("Connect to Xero first (Connection view), then compare.")
            return False
        if self._controller is not controller:
            self._controller = controller
            controller.progress.connect(self._compare_progress)
            controller.finished.connect(self._compare_done)
            controller.failed.connect(self._compare_failed)
            controller.cancelled.connect(lambda: self._compare_failed("Compare cancelled."))
        month = self.month
        if not controller.compare(month):
            self.message_label.setText("A sync is running: compare when it has finished.")
            return False
        self._comparing = True
        self.compare_button.setEnabled(False)
        self.message_label.setText(f"Comparing {month} with Xero\u2026")
        return True

    def _compare_progress(self, p: Any) -> None:
        if self._comparing:
            count = f" ({p.done}/{p.total})" if p.total else ""
            self.message_label.setText(f"Comparing with Xero: {p.message}{count}")

    def _compare_done(self, result: RunResult | None) -> None:
        if not self._comparing:
            return
        self._comparing = False
        self.compare_button.setEnabled(True)
        self.message_label.setText((result.message if result is not None else "") or "Compare finished.")
        self.recheck()

    def _compare_failed(self, message: str) -> None:
        if not self._comparing:
            return
        self._comparing = False
        self.compare_button.setEnabled(True)
        self.message_label.setText(message)

    # -- records behind a check --------------------------------------------------------------
    def selected_check(self) -> Any:
        rows = self.check_table.selectionModel().selectedRows()
        return self.check_model.row_at(rows[0].row()) if rows else None

    def select_check(self, key: str) -> bool:
        for i, c in enumerate(self.check_model.rows()):
            if c.key == key:
                self.check_table.selectRow(i)
                return True
        return False

    def _show_records(self) -> None:
        check = self.selected_check()
        if check is None:
            self.record_model.set_rows([])
            self.records_title.setText("Click a check to see the records behind it.")
            return
        # Excluded records are listed after the blocking ones, marked, never counted.
        excluded = [RecordRef(r.entity, r.local_id, r.label, f"Excluded: {r.reason}") for r in check.excluded]
        self.record_model.set_rows(list(check.records) + excluded)
        fit_columns(self.record_table, 320)
        tail = f"; {len(excluded)} excluded" if excluded else ""
        self.records_title.setText(
            f"<b>{check.title}</b>: " + (
                f"{plural(check.count, 'record')} block{'s' if check.count == 1 else ''} it{tail}" if check.records
                else f"passes ({plural(check.checked, 'record')} checked{tail})"))
        self._record_selected()

    def selected_record(self) -> RecordRef | None:
        rows = self.record_table.selectionModel().selectedRows()
        return self.record_model.row_at(rows[0].row()) if rows else None

    def _xero_id(self, ref: RecordRef) -> str | None:
        if ref.local_id is None or ref.entity == "pull":
            return None
        tenant_id, _ = self.services.tenant()
        with self.services.session() as session:
            q = select(Link.xero_id).where(Link.entity == ref.entity, Link.local_id == ref.local_id)
            if tenant_id:
                q = q.where(Link.tenant_id == tenant_id)
            return session.scalar(q)

    def _record_selected(self) -> None:
        ref = self.selected_record()
        self.open_button.setEnabled(bool(ref and self._xero_id(ref)))

    def open_selected(self) -> bool:
        ref = self.selected_record()
        xero_id = self._xero_id(ref) if ref else None
        if ref is None or not xero_id:
            return False
        return bool(self.services.open_in_xero(ref.entity, xero_id))

    # -- sign-off ------------------------------------------------------------------------------
    def sign(self) -> bool:
        """Sign the month off; a failing month needs an override reason and a confirmation."""
        if self.checklist is None:
            return False
        name = self.name_edit.text().strip()
        note = self.note_edit.text().strip() or None
        override = self.override_edit.text().strip() or None
        if not name:
            self.message_label.setText("Enter the name of the person signing off.")
            return False
        if not self.checklist.passed:
            if not override:
                self.message_label.setText("Some checks fail: give an override reason to sign off anyway.")
                self.override_edit.setFocus()
                return False
            answer = QtWidgets.QMessageBox.question(
                self, "Sign off with override",
                f"{sum(1 for c in self.checklist.checks if not c.passed)} check(s) fail for {self.checklist.month}."
                f"\n\nSign off anyway, recording the reason \u201c{override}\u201d?",
                QtWidgets.QMessageBox.StandardButton.Yes | QtWidgets.QMessageBox.StandardButton.Cancel,
                QtWidgets.QMessageBox.StandardButton.Cancel)
            if answer != QtWidgets.QMessageBox.StandardButton.Yes:
                return False
        tenant_id, _ = self.services.tenant()
        try:
            with session_scope(self.services.store.sessions) as session:
                row = sign_off(session, self.checklist.month, name, note, override, tenant_id=tenant_id,
                               seen=self.signoff)
        except SignOffRefused as exc:  # the month changed since it was shown, or another desk signed it
            self.message_label.setText(str(exc))
            self.recheck()
            self.finished.emit("failed", str(exc))
            return False
        self.signoff = row
        self.message_label.setText(f"{self.checklist.month} signed off by {row.signed_by}.")
        self.note_edit.clear()
        self.override_edit.clear()
        self._show()
        self.finished.emit("signed", self.checklist.month)
        return True

    # -- export --------------------------------------------------------------------------------
    def export(self, kind: str) -> None:
        """Ask where, then write the checklist and its details (CSV or PDF) in the background."""
        if self.checklist is None:
            return
        filters = "CSV files (*.csv)" if kind == "csv" else "PDF files (*.pdf)"
        chosen = ask_save_path(self, f"Export checklist as {kind.upper()}", f"checklist-{self.checklist.month}.{kind}",
                               filters)  # in Documents: the profile folder is hidden
        if chosen is None:
            return
        path = str(chosen)
        checklist, signoff = self.checklist, self.signoff
        _, org_name = self.services.tenant()
        self.message_label.setText(f"Exporting to {path}\u2026")

        def work() -> str:
            if kind == "csv":
                return str(export_checklist_csv(checklist, path, signoff))
            return str(write_pdf(checklist_html(checklist, signoff, org_name), path))

        def done(written: str) -> None:
            self.message_label.setText(f"Exported to {written}")
            self.finished.emit("exported", written)

        def failed(exc: BaseException) -> None:
            from ..errors import describe

            self.message_label.setText(f"Export failed: {describe(exc)}")
            self.finished.emit("failed", describe(exc))

        self.services.run_in_background(work, done, failed, name=f"export-{kind}")

