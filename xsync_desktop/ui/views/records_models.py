"""One table model for every decision view: rows are plain objects, columns say how to show them.

The views (mapping, exceptions, checklist, records, import report) all show lists of
small immutable rows. Writing one QAbstractTableModel per list would repeat the same
row/column bookkeeping five times; here a view declares its columns once and hands
the model new rows whenever its query has run. A proxy sorts by each column's raw
value (dates sort as dates, money as money) and filters with a plain predicate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Generic, TypeVar

from ..qt import Qt, QtCore, QtGui, QtWidgets

R = TypeVar("R")

# Role under which a row object itself is available (views pick the selected row this way).
RowRole = int(Qt.ItemDataRole.UserRole) + 1

_RED = QtGui.QColor("#b3261e")
_GREEN = QtGui.QColor("#1b7f3b")


@dataclass(frozen=True)
class Column(Generic[R]):
    """How one column reads a row: `value` for sorting, `text` for display (defaults to str(value))."""

    title: str
    value: Callable[[R], Any]
    text: Callable[[R], str] | None = None
    tooltip: Callable[[R], str | None] | None = None
    # True when the cell should be shown in red (an invalid mapping, a failed check...).
    alert: Callable[[R], bool] | None = None
    # True when the cell should be shown in green (a check that passes).
    good: Callable[[R], bool] | None = None
    align_right: bool = False

    def display(self, row: R) -> str:
        if self.text is not None:
            return self.text(row)
        return format_value(self.value(row))


def format_value(value: Any) -> str:
    """Plain text for a cell: empty for None, money with two places, dates in ISO order."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if hasattr(value, "strftime") and hasattr(value, "hour"):
        return value.astimezone().strftime("%Y-%m-%d %H:%M")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


class RowTableModel(QtCore.QAbstractTableModel, Generic[R]):
    """A read-only table of rows described by `columns`; `set_rows` swaps the whole list."""

    def __init__(self, columns: Sequence[Column[R]], parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._columns = list(columns)
        self._rows: list[R] = []

    # -- data in -----------------------------------------------------------
    def set_rows(self, rows: Sequence[R]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[R]:
        return list(self._rows)

    def row_at(self, row: int) -> R:
        return self._rows[row]

    def columns(self) -> list[Column[R]]:
        return list(self._columns)

    def set_title(self, section: int, title: str) -> None:
        """Rename one column's header (a column whose meaning depends on what is listed)."""
        if 0 <= section < len(self._columns) and self._columns[section].title != title:
            self._columns[section] = replace(self._columns[section], title=title)
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, section, section)

    # -- Qt model interface --------------------------------------------------
    def rowCount(self, parent: QtCore.QModelIndex = QtCore.QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QtCore.QModelIndex = QtCore.QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: QtCore.QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        if not (0 <= index.column() < len(self._columns)):
            return None
        row = self._rows[index.row()]
        col = self._columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return col.display(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return col.tooltip(row) if col.tooltip is not None else None
        if role == Qt.ItemDataRole.ForegroundRole:
            if col.alert is not None and col.alert(row):
                return QtGui.QBrush(_RED)
            if col.good is not None and col.good(row):
                return QtGui.QBrush(_GREEN)
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if col.align_right:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return None
        if role == RowRole:
            return row
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self._columns):
            return self._columns[section].title
        if orientation == Qt.Orientation.Vertical and 0 <= section < len(self._rows):
            return str(section + 1)
        return None

    def sort_key(self, row: int, column: int) -> tuple[int, Any]:
        """None sorts first; mixed types fall back to their text so sorting never raises."""
        value = self._columns[column].value(self._rows[row])
        if value is None:
            return (0, "")
        if isinstance(value, str):
            return (1, value.casefold())
        return (1, value)


class RowFilterProxy(QtCore.QSortFilterProxyModel):
    """Sorts by raw column values and keeps the rows a predicate accepts."""

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._predicate: Callable[[Any], bool] | None = None
        self.setDynamicSortFilter(True)

    def set_predicate(self, predicate: Callable[[Any], bool] | None) -> None:
        # begin/endFilterChange replace invalidateFilter (deprecated since Qt 6.10).
        self.beginFilterChange()
        self._predicate = predicate
        self.endFilterChange(QtCore.QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: QtCore.QModelIndex) -> bool:
        if self._predicate is None:
            return True
        model = self.sourceModel()
        if not isinstance(model, RowTableModel):
            return True
        return bool(self._predicate(model.row_at(source_row)))

    def lessThan(self, left: QtCore.QModelIndex, right: QtCore.QModelIndex) -> bool:
        model = self.sourceModel()
        if not isinstance(model, RowTableModel):
            return super().lessThan(left, right)
        a = model.sort_key(left.row(), left.column())
        b = model.sort_key(right.row(), right.column())
        try:
            return bool(a < b)
        except TypeError:
            return str(a) < str(b)

    def row_at(self, proxy_row: int) -> Any:
        return self.data(self.index(proxy_row, 0), RowRole)


def fit_columns(table: QtWidgets.QTableView, max_width: int = 260) -> None:
    """Size columns to their contents, but keep any one from pushing the rest off screen
    (a long reference or reason is read in full from its tooltip or the detail panel)."""
    table.resizeColumnsToContents()
    header = table.horizontalHeader()
    for col in range(header.count()):
        if header.sectionSize(col) > max_width:
            header.resizeSection(col, max_width)


def contains_text(needle: str, *haystack: Any) -> bool:
    """Case-insensitive search across a row's visible fields."""
    if not needle:
        return True
    n = needle.casefold()
    return any(n in format_value(h).casefold() for h in haystack if h is not None)
