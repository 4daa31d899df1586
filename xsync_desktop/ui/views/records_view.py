"""Records: every customer, invoice, payment and credit note with its sync status, and the
change log of what Xero wrote back to the ledger.

The queries run in the background runner (a big ledger must not freeze the window);
only the newest answer is shown (ui/latest.py).
"""

from __future__ import annotations

from typing import Any

from ..latest import BackgroundLoad
from ..qt import QtWidgets, Signal
from ..refresh import RefreshCoalescer
from ..services import AppServices
from .records_models import Column, RowFilterProxy, RowTableModel, contains_text, fit_columns
from .records_queries import (
    RECORD_KINDS,
    STATUSES,
    ChangeRow,
    RecordRow,
    RecordStatus,
    load_change_log,
    load_records,
)

_STATUS_TITLES = {RecordStatus.LINKED: "Linked", RecordStatus.PENDING: "Pending",
                  RecordStatus.NOT_NEEDED: "Not needed in Xero", RecordStatus.FAILED: "Failed",
                  RecordStatus.EXCEPTION: "Exception"}
_LABEL_TITLES = {"customer": "Customer no.", "invoice": "Invoice", "payment": "Payment", "credit_note": "Credit note"}


#: the fifth column holds what the ledger says of the record, which differs by kind
LEDGER_COLUMN = 4
LEDGER_COLUMN_TITLES = {"customer": "Email", "invoice": "Ledger status", "credit_note": "Ledger status",
                        "payment": "Method"}


def _ledger_text(r: RecordRow) -> str:
    """'authorised' -> 'Authorised', 'bank_transfer (ledger)' -> 'Bank transfer (ledger)'; emails as they are."""
    if r.kind == "customer" or not r.ledger_status:
        return r.ledger_status
    words = r.ledger_status.replace("_", " ")
    return words[:1].upper() + words[1:]


def record_columns() -> list[Column[RecordRow]]:
    return [
        Column("Record", lambda r: r.label),
        Column("Customer", lambda r: r.party),
        Column("Date", lambda r: r.day),
        Column("Amount", lambda r: r.amount, align_right=True),
        Column(LEDGER_COLUMN_TITLES["customer"], lambda r: r.ledger_status, text=_ledger_text),
        Column("Sync status", lambda r: r.status, text=lambda r: _STATUS_TITLES.get(r.status, r.status),
               tooltip=lambda r: r.status_detail or None, alert=lambda r: r.status in (RecordStatus.FAILED, RecordStatus.EXCEPTION)),
        Column("Why", lambda r: r.status_detail, tooltip=lambda r: r.status_detail or None),
        Column("Last sync", lambda r: r.last_sync),
    ]


def change_columns() -> list[Column[ChangeRow]]:
    return [
        Column("When", lambda c: c.at),
        Column("Record", lambda c: c.record),
        Column("Field", lambda c: c.field),
        Column("Ledger had", lambda c: c.old_value),
        Column("Now", lambda c: c.new_value),
        Column("Reason", lambda c: c.reason, tooltip=lambda c: c.reason),
        Column("Run", lambda c: c.run_id),
    ]


def _table(model: Any) -> QtWidgets.QTableView:
    view = QtWidgets.QTableView()
    view.setModel(model)
    view.setSortingEnabled(True)
    view.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
    view.setAlternatingRowColors(True)
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setStretchLastSection(True)
    view.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
    return view


class RecordsView(QtWidgets.QWidget):
    """Ledger records and their sync status; filter, search, open in Xero; the change log."""

    #: emitted on the GUI thread whenever a refresh has put new rows in the tables
    loaded = Signal()

    def __init__(self, services: AppServices, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recordsView")
        self.services = services
        self._load = BackgroundLoad(services, "records")

        self.kind_box = QtWidgets.QComboBox()
        self.kind_box.setObjectName("recordKind")
        for kind, _entity, title in RECORD_KINDS:
            self.kind_box.addItem(title, kind)
        self.status_box = QtWidgets.QComboBox()
        self.status_box.setObjectName("recordStatus")
        self.status_box.addItem("All statuses", None)
        for status in STATUSES:
            self.status_box.addItem(_STATUS_TITLES[status], status)
        self.search = QtWidgets.QLineEdit()
        self.search.setObjectName("recordSearch")
        self.search.setPlaceholderText("Search number, customer, reason…")
        self.search.setClearButtonEnabled(True)
        self.open_button = QtWidgets.QPushButton("Open in Xero")
        self.open_button.setObjectName("openInXero")
        self.open_button.setEnabled(False)
        self.count_label = QtWidgets.QLabel()

        self.model: RowTableModel[RecordRow] = RowTableModel(record_columns(), self)
        self.proxy = RowFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = _table(self.proxy)
        self.table.setObjectName("recordsTable")

        self.change_model: RowTableModel[ChangeRow] = RowTableModel(change_columns(), self)
        self.change_proxy = RowFilterProxy(self)
        self.change_proxy.setSourceModel(self.change_model)
        self.change_table = _table(self.change_proxy)
        self.change_table.setObjectName("changeLogTable")
        self.change_search = QtWidgets.QLineEdit()
        self.change_search.setPlaceholderText("Search the change log…")
        self.change_search.setClearButtonEnabled(True)

        bar = QtWidgets.QHBoxLayout()
        bar.addWidget(self.kind_box)
        bar.addWidget(self.status_box)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.count_label)
        bar.addWidget(self.open_button)
        records_tab = QtWidgets.QWidget()
        rl = QtWidgets.QVBoxLayout(records_tab)
        rl.addLayout(bar)
        rl.addWidget(self.table)

        changes_tab = QtWidgets.QWidget()
        cl = QtWidgets.QVBoxLayout(changes_tab)
        hint = QtWidgets.QLabel("Every change Xero made to the ledger, with its reason, newest first.")
        hint.setWordWrap(True)
        cl.addWidget(hint)
        cl.addWidget(self.change_search)
        cl.addWidget(self.change_table)

        self.tabs = QtWidgets.QTabWidget()
        self.tabs.addTab(records_tab, "Records")
        self.tabs.addTab(changes_tab, "Changes from Xero")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)

        self.kind_box.currentIndexChanged.connect(lambda _i: self.refresh())
        self.status_box.currentIndexChanged.connect(lambda _i: self._apply_filter())
        self.search.textChanged.connect(lambda _t: self._apply_filter())
        self.change_search.textChanged.connect(self._apply_change_filter)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        self.table.doubleClicked.connect(lambda _i: self.open_selected())
        self.open_button.clicked.connect(self.open_selected)
        self._coalescer = RefreshCoalescer(self, self.refresh, services.changed, ("runs", "ledger", "exceptions"))

    # -- loading -------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        return str(self.kind_box.currentData())

    def refresh(self) -> None:
        """Reload the current kind and the change log in the background."""
        kind = self.kind
        tenant_id, _ = self.services.tenant()
        sessions = self.services.store.sessions
        self.count_label.setText("Loading…")

        def load() -> tuple[list[RecordRow], list[ChangeRow]]:
            with sessions() as session:
                return load_records(session, tenant_id, kind), load_change_log(session)

        def done(result: tuple[list[RecordRow], list[ChangeRow]]) -> None:
            records, changes = result
            self.model.set_title(LEDGER_COLUMN, LEDGER_COLUMN_TITLES.get(kind, "Ledger"))
            self.model.set_rows(records)
            self.change_model.set_rows(changes)
            fit_columns(self.table)
            fit_columns(self.change_table, 320)
            self._apply_filter()
            self._selection_changed()
            self.loaded.emit()

        def failed(exc: BaseException) -> None:
            self.count_label.setText("Could not load")
            self.services.report_error(exc)

        self._load.start(load, done, failed)

    @property
    def loading(self) -> bool:
        """A load is running in a worker thread."""
        return self._load.loading

    def show_records(self, kind: str, status: str | None = None, text: str = "") -> None:
        """Switch to one kind/status/search (used by other views to point at records)."""
        self.tabs.setCurrentIndex(0)
        self.status_box.setCurrentIndex(max(0, self.status_box.findData(status)))
        self.search.setText(text)
        index = self.kind_box.findData(kind)
        if index >= 0 and index != self.kind_box.currentIndex():
            self.kind_box.setCurrentIndex(index)  # triggers refresh
        else:
            self._apply_filter()

    # -- filtering -----------------------------------------------------------------------
    def _apply_filter(self) -> None:
        status = self.status_box.currentData()
        text = self.search.text().strip()

        def accept(r: RecordRow) -> bool:
            if status and r.status != status:
                return False
            return contains_text(text, r.label, r.party, r.ledger_status, r.status_detail, r.amount, r.day)

        self.proxy.set_predicate(accept if (status or text) else None)
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        noun = self.kind_box.currentText().lower()
        self.count_label.setText(f"{shown} of {total} {noun}" if shown != total else f"{total} {noun}")

    def _apply_change_filter(self, text: str) -> None:
        text = text.strip()
        self.change_proxy.set_predicate(
            (lambda c: contains_text(text, c.record, c.field, c.old_value, c.new_value, c.reason)) if text else None
        )

    # -- selection and open in Xero ------------------------------------------------------------
    def selected(self) -> RecordRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.proxy.row_at(rows[0].row()) if rows else None

    def _selection_changed(self) -> None:
        row = self.selected()
        self.open_button.setEnabled(bool(row and row.xero_id))
        self.open_button.setToolTip(
            "" if row is None else (f"Open {_LABEL_TITLES[row.kind].lower()} {row.label} in Xero"
                                    if row.xero_id else "This record is not in Xero yet")
        )

    def open_selected(self) -> bool:
        row = self.selected()
        if row is None or not row.xero_id:
            return False
        return bool(self.services.open_in_xero(row.entity, row.xero_id))

    def select_row(self, label: str) -> bool:
        """Select the first visible row whose record label is `label` (tests and deep links)."""
        for r in range(self.proxy.rowCount()):
            if self.proxy.row_at(r).label == label:
                self.table.selectRow(r)
                return True
        return False

