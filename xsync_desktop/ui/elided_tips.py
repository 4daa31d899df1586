"""A cell too narrow for its text shows the whole text in a tooltip.

Tables elide long text ("Invoice amounts or lines chan…") so the other columns stay on
screen; a person then reads the full text by hovering, as in a file manager. Cells whose
model gives a tooltip of its own keep it.
"""

from __future__ import annotations

from .qt import QObject, Qt, QtCore, QtWidgets


class ElidedTextTips(QObject):
    """Event filter for an item view's viewport: the full text of an elided cell on hover."""

    def __init__(self, view: QtWidgets.QAbstractItemView) -> None:
        super().__init__(view)
        self._view = view
        view.setTextElideMode(Qt.TextElideMode.ElideRight)
        if isinstance(view, QtWidgets.QTableView):
            view.setWordWrap(False)  # a wrapped cell in a one-line row is cut mid-word, with no "…"
        view.viewport().installEventFilter(self)

    def full_text_if_elided(self, index: QtCore.QModelIndex) -> str | None:
        """The cell's text when it does not fit its column, else None."""
        if not index.isValid():
            return None
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if text is None or index.data(Qt.ItemDataRole.ToolTipRole):
            return None
        text = str(text)
        rect = self._view.visualRect(index)
        margin = 2 * (self._view.style().pixelMetric(QtWidgets.QStyle.PixelMetric.PM_FocusFrameHMargin) + 1)
        if self._view.fontMetrics().horizontalAdvance(text) + margin <= rect.width():
            return None
        return text

    def eventFilter(self, watched: QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
        if event.type() == QtCore.QEvent.Type.ToolTip:
            pos = event.pos()  # type: ignore[attr-defined]
            text = self.full_text_if_elided(self._view.indexAt(pos))
            if text is not None:
                QtWidgets.QToolTip.showText(event.globalPos(), text, self._view.viewport())  # type: ignore[attr-defined]
                return True
        return False


def add_elided_tips(root: QtWidgets.QWidget) -> None:
    """Give every item view under `root` tooltips for elided cells (once per view)."""
    for view in root.findChildren(QtWidgets.QAbstractItemView):
        if view.property("elidedTips") is not True:
            view.setProperty("elidedTips", True)
            ElidedTextTips(view)
