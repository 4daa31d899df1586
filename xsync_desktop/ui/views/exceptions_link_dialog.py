"""Choose the Xero object an exception's record should be linked to.

The search queries Xero (Contacts or Invoices, `searchTerm`) in the background runner;
the dialog stays responsive and a slow or failed search says so in the dialog.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..latest import BackgroundLoad
from ..qt import QtWidgets, Signal
from ..services import AppServices
from .exceptions_rows import describe_object, link_collection
from .records_models import Column, RowTableModel


@dataclass(frozen=True)
class XeroHit:
    name: str
    details: str
    xero_id: str


class LinkDialog(QtWidgets.QDialog):
    """Search Xero, pick one result; `chosen_id` holds its Xero id after accept()."""

    #: emitted when a search has finished (results shown or an error message)
    searched = Signal()

    def __init__(self, services: AppServices, tenant_id: str, entity: str, initial: str = "",
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("linkDialog")
        self.services = services
        self.tenant_id = tenant_id
        self.entity = entity
        self.chosen_id: str | None = None
        self._search = BackgroundLoad(services, "link-search")
        what = "contact" if entity == "contact" else "invoice"
        self.setWindowTitle(f"Link to a Xero {what}")

        self.search_edit = QtWidgets.QLineEdit(initial)
        self.search_edit.setObjectName("linkSearch")
        self.search_edit.setPlaceholderText(f"Search Xero {what}s (name, number, email, reference)")
        self.search_button = QtWidgets.QPushButton("Search Xero")
        self.search_button.setObjectName("linkSearchButton")
        self.status = QtWidgets.QLabel("")
        self.status.setObjectName("linkStatus")
        self.model: RowTableModel[XeroHit] = RowTableModel([
            Column("Name" if entity == "contact" else "Invoice", lambda h: h.name),
            Column("Details", lambda h: h.details),
            Column("Xero id", lambda h: h.xero_id),
        ], self)
        self.table = QtWidgets.QTableView()
        self.table.setObjectName("linkResults")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Link")
        self.ok_button.setEnabled(False)

        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.search_edit, 1)
        row.addWidget(self.search_button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.buttons)
        self.resize(640, 400)

        self.search_button.clicked.connect(self.search)
        self.search_edit.returnPressed.connect(self.search)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        self.table.doubleClicked.connect(lambda _i: self.accept())
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    def search(self) -> None:
        text = self.search_edit.text().strip()
        self.status.setText("Searching Xero\u2026")
        self.search_button.setEnabled(False)
        collection = link_collection(self.entity)
        entity = self.entity
        client = self.services.make_client(self.tenant_id)

        def query() -> list[XeroHit]:
            params: dict[str, Any] = {"page": 1, "pageSize": 100}
            if text:
                params["searchTerm"] = text
            if collection == "Contacts":
                params["includeArchived"] = "true"
            try:
                body = client.get(f"/{collection}", params=params)
            finally:
                close = getattr(client, "close", None)
                if close is not None:
                    close()
            return [XeroHit(*describe_object(entity, obj)) for obj in body.get(collection) or []]

        def done(hits: list[XeroHit]) -> None:
            self.search_button.setEnabled(True)
            self.model.set_rows(hits)
            self.table.resizeColumnsToContents()
            self.status.setText(f"{len(hits)} found in Xero." if hits else "Nothing found in Xero.")
            self._selection_changed()
            self.searched.emit()

        def failed(exc: BaseException) -> None:
            from ..errors import describe

            self.search_button.setEnabled(True)
            self.status.setText(getattr(exc, "user_message", None) or describe(exc))
            self.searched.emit()

        self._search.start(query, done, failed)

    def _selection_changed(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        self.chosen_id = self.model.row_at(rows[0].row()).xero_id if rows else None
        self.ok_button.setEnabled(self.chosen_id is not None)

    def select_id(self, xero_id: str) -> bool:
        for r, hit in enumerate(self.model.rows()):
            if hit.xero_id == xero_id:
                self.table.selectRow(r)
                return True
        return False
