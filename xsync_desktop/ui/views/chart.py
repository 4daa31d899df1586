"""A small bar chart of the last runs (synced vs failed), drawn with QPainter.

PySide6-Essentials has no QtCharts, and two stacked bars per run do not need it.
Colours: the palette's text colour for axes and labels, the status accents for
the bars (they read on light and dark palettes alike).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..models.style import OUTCOME_COLOURS
from ..qt import Qt, QtCore, QtGui, QtWidgets


@dataclass(frozen=True)
class ChartPoint:
    label: str  # tooltip text, e.g. the run's time
    synced: int
    failed: int


class RunsChart(QtWidgets.QWidget):
    """Bars of synced (green) with failed (red) stacked on top, oldest left."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._points: list[ChartPoint] = []
        self.setMinimumHeight(120)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Preferred)
        self.setMouseTracking(True)
        self.setAccessibleName("Chart of the last runs: synced and failed")

    def set_points(self, points: Sequence[ChartPoint]) -> None:
        self._points = list(points)
        self.update()

    @property
    def points(self) -> list[ChartPoint]:
        return list(self._points)

    def sizeHint(self) -> QtCore.QSize:  # noqa: N802
        return QtCore.QSize(360, 150)

    def _plot_rect(self) -> QtCore.QRectF:
        fm = self.fontMetrics()
        left = fm.horizontalAdvance("00000") + 8
        bottom = fm.height() + 6
        return QtCore.QRectF(left, 6, max(10, self.width() - left - 8), max(10, self.height() - bottom - 12))

    def _bar_rects(self) -> list[tuple[QtCore.QRectF, ChartPoint]]:
        if not self._points:
            return []
        plot = self._plot_rect()
        top = max(1, max(p.synced + p.failed for p in self._points))
        # Room for at least a dozen bars: three runs should not become three slabs.
        slot = plot.width() / max(len(self._points), 12)
        width = min(36.0, max(2.0, slot * 0.7))
        out = []
        for i, p in enumerate(self._points):
            h = plot.height() * (p.synced + p.failed) / top
            x = plot.left() + i * slot + (slot - width) / 2
            out.append((QtCore.QRectF(x, plot.bottom() - h, width, h), p))
        return out

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:  # noqa: N802
        painter = QtGui.QPainter(self)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        text = pal.color(QtGui.QPalette.ColorRole.Text)
        grid = pal.color(QtGui.QPalette.ColorRole.Mid)
        plot = self._plot_rect()
        painter.setPen(QtGui.QPen(grid, 1))
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())
        if not self._points:
            painter.setPen(text)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No runs yet")
            painter.end()
            return
        top = max(1, max(p.synced + p.failed for p in self._points))
        painter.setPen(text)
        fm = self.fontMetrics()
        painter.drawText(QtCore.QRectF(0, plot.top() - 2, plot.left() - 6, fm.height()),
                         Qt.AlignmentFlag.AlignRight, f"{top:,}")
        painter.drawText(QtCore.QRectF(0, plot.bottom() - fm.height() + 2, plot.left() - 6, fm.height()),
                         Qt.AlignmentFlag.AlignRight, "0")
        green = QtGui.QColor(OUTCOME_COLOURS["succeeded"])
        red = QtGui.QColor(OUTCOME_COLOURS["failed"])
        painter.setPen(Qt.PenStyle.NoPen)
        for rect, p in self._bar_rects():
            total = p.synced + p.failed
            if total == 0:
                continue
            failed_h = rect.height() * p.failed / total
            painter.setBrush(green)
            painter.drawRect(QtCore.QRectF(rect.left(), rect.top() + failed_h, rect.width(), rect.height() - failed_h))
            if p.failed:
                painter.setBrush(red)
                painter.drawRect(QtCore.QRectF(rect.left(), rect.top(), rect.width(), max(1.0, failed_h)))
        # legend under the axis
        y = plot.bottom() + 4
        x = plot.left()
        for colour, label in ((green, "synced"), (red, "failed")):
            painter.setBrush(colour)
            painter.drawRect(QtCore.QRectF(x, y + fm.ascent() / 2 - 4, 8, 8))
            painter.setPen(text)
            painter.drawText(QtCore.QPointF(x + 12, y + fm.ascent()), label)
            painter.setPen(Qt.PenStyle.NoPen)
            x += 12 + fm.horizontalAdvance(label) + 14
        painter.setPen(text)
        caption = f"last {len(self._points)} runs"
        painter.drawText(QtCore.QRectF(plot.left(), y, plot.width(), fm.height()), Qt.AlignmentFlag.AlignRight, caption)
        painter.end()

    def event(self, e: QtCore.QEvent) -> bool:
        if e.type() == QtCore.QEvent.Type.ToolTip:
            pos = QtCore.QPointF(e.pos())  # type: ignore[attr-defined]
            for rect, p in self._bar_rects():
                hit = QtCore.QRectF(rect.left() - 2, self._plot_rect().top(), rect.width() + 4, self._plot_rect().height())
                if hit.contains(pos):
                    QtWidgets.QToolTip.showText(e.globalPos(), f"{p.label}\n{p.synced:,} synced · {p.failed:,} failed", self)  # type: ignore[attr-defined]
                    return True
            QtWidgets.QToolTip.hideText()
            return True
        return super().event(e)
