"""What the run and item tables share: rows held in blocks fetched on demand, appended
as they arrive, with fixed headers. Subclasses say how a block is queried and shown."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy.orm import Session, sessionmaker

from ..latest import Generation
from ..qt import Qt, QtCore
from .loader import Loader


class PagedTableModel(QtCore.QAbstractTableModel):
    HEADERS: ClassVar[tuple[str, ...]] = ()
    _rows: list[Any]

    def __init__(self, sessions: sessionmaker[Session], loader: Loader, block: int,
                 parent: QtCore.QObject | None) -> None:
        super().__init__(parent)
        self._sessions = sessions
        self._loader = loader  # runs a block's query (in the background in the app)
        self._block = block  # rows a block holds
        self._rows = []
        self._loading = False
        self._generation = Generation()  # answers to a superseded query are dropped

    def _append_rows(self, rows: list[Any]) -> None:
        if rows:
            start = len(self._rows)
            self.beginInsertRows(QtCore.QModelIndex(), start, start + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()

    def rowCount(self, parent: QtCore.QModelIndex = QtCore.QModelIndex()) -> int:  # noqa: B008,N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QtCore.QModelIndex = QtCore.QModelIndex()) -> int:  # noqa: B008,N802
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(self.HEADERS):
            return self.HEADERS[section]
        return None

    def row_at(self, row: int) -> Any | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def data(self, index: QtCore.QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        r = self.row_at(index.row()) if index.isValid() else None
        if r is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(r, index.column())
        return self._role_data(r, index.column(), role)

    @staticmethod
    def _display(r: Any, col: int) -> str:
        """The text of one cell."""
        raise NotImplementedError

    def _role_data(self, r: Any, col: int, role: int) -> Any:
        """Any other role's data for one cell (tooltips, colours, ids); None when it has none."""
        return None
