"""A small bar chart of the last runs (synced vs failed), drawn with QPainter.

PySide6-Essentials has no QtCharts, and two stacked bars per run do not need it.
Colours: the palette's text colour for axes and labels, the status accents for
the bars (they read on light and dark palettes alike).

The scale fits the usual runs, not the biggest: a first sync of thousands would
otherwise flatten every later run of a dozen into an invisible sliver. A run far
above the others (an outlier) is drawn to the top, cut by a break mark, with its
real figure written over it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ...store.states import RunOutcome
from ..models.style import OUTCOME_COLOURS
from ..qt import Qt, QtCore, QtGui, QtWidgets


@dataclass(frozen=True)
class ChartPoint:
    label: str  # tooltip text, e.g. the run's time
    synced: int
    failed: int

    @property
    def total(self) -> int:
        return self.synced + self.failed


#: a run more than this many times the median run is an outlier: it does not set the scale
OUTLIER_FACTOR = 4


def fitted_top(totals: Sequence[int]) -> tuple[int, set[int]]:
    """The scale's top and the indexes of the outliers drawn cut above it.

    The median of the runs that did something is the usual size; a run over OUTLIER_FACTOR
    times that is an outlier. With fewer than three such runs there is no usual size yet.
    """
    busy = sorted(t for t in totals if t > 0)
    if len(busy) < 3:
        return max(1, max(totals, default=0)), set()
    median = busy[len(busy) // 2] if len(busy) % 2 else (busy[len(busy) // 2 - 1] + busy[len(busy) // 2]) / 2
    limit = OUTLIER_FACTOR * median
    outliers = {i for i, t in enumerate(totals) if t > limit}
    top = max((t for t in totals if t <= limit), default=1)
    return max(1, top), outliers


class RunsChart(QtWidgets.QWidget):
    """Bars of synced (green) with failed (red) stacked on top, oldest left."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._points: list[ChartPoint] = []
        self._top = 1
        self._outliers: set[int] = set()
        self.setMinimumHeight(120)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Preferred)
        self.setMouseTracking(True)
        self.setAccessibleName("Chart of the last runs: synced and failed")

    def set_points(self, points: Sequence[ChartPoint]) -> None:
        self._points = list(points)
        self._top, self._outliers = fitted_top([p.total for p in self._points])
        outliers = [self._points[i] for i in sorted(self._outliers)]
        self.setToolTip("")
        self.setAccessibleDescription(
            "Scale fitted to the usual runs; drawn cut: " + ", ".join(
                f"{p.label} ({p.total:,})" for p in outliers) if outliers else "")
        self.update()

    @property
    def outliers(self) -> list[ChartPoint]:
        """The runs drawn cut above the scale (their real figure is written over them)."""
        return [self._points[i] for i in sorted(self._outliers)]

    def bar_heights(self) -> list[float]:
        """Each run's bar height in pixels, oldest first (what a person sees of it)."""
        return [rect.height() for rect, _p in self._bar_rects()]

    @property
    def caption(self) -> str:
        """What the chart covers, under its bars: "the last run" or "last 12 runs"."""
        n = len(self._points)
        return "the last run" if n == 1 else f"last {n} runs"

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
        top = self._top
        room = plot.height() - self.fontMetrics().height() if self._outliers else plot.height()  # the figure's line
        # Room for at least a dozen bars: three runs should not become three slabs.
        slot = plot.width() / max(len(self._points), 12)
        width = min(36.0, max(2.0, slot * 0.7))
        out = []
        for i, p in enumerate(self._points):
            h = room if i in self._outliers else room * min(p.total, top) / top
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
        top = self._top
        painter.setPen(text)
        fm = self.fontMetrics()
        painter.drawText(QtCore.QRectF(0, plot.top() - 2, plot.left() - 6, fm.height()),
                         Qt.AlignmentFlag.AlignRight, f"{top:,}")
        painter.drawText(QtCore.QRectF(0, plot.bottom() - fm.height() + 2, plot.left() - 6, fm.height()),
                         Qt.AlignmentFlag.AlignRight, "0")
        green = QtGui.QColor(OUTCOME_COLOURS[RunOutcome.SUCCEEDED])
        red = QtGui.QColor(OUTCOME_COLOURS[RunOutcome.FAILED])
        painter.setPen(Qt.PenStyle.NoPen)
        rects = self._bar_rects()
        for rect, p in rects:
            total = p.synced + p.failed
            if total == 0:
                continue
            failed_h = rect.height() * p.failed / total
            painter.setBrush(green)
            painter.drawRect(QtCore.QRectF(rect.left(), rect.top() + failed_h, rect.width(), rect.height() - failed_h))
            if p.failed:
                painter.setBrush(red)
                painter.drawRect(QtCore.QRectF(rect.left(), rect.top(), rect.width(), max(1.0, failed_h)))
        self._mark_outliers(painter, [rects[i] for i in sorted(self._outliers)], text)
        painter.setPen(Qt.PenStyle.NoPen)
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
        painter.drawText(QtCore.QRectF(plot.left(), y, plot.width(), fm.height()), Qt.AlignmentFlag.AlignRight,
                         self.caption)
        painter.end()

    def _mark_outliers(self, painter: QtGui.QPainter, rects: list[tuple[QtCore.QRectF, ChartPoint]],
                       text: QtGui.QColor) -> None:
        """A break across each outlier's bar (it is cut) and its real figure above it."""
        fm = self.fontMetrics()
        gap = self.palette().color(QtGui.QPalette.ColorRole.Window)
        for rect, p in rects:
            y = rect.top() + rect.height() * 0.3
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(gap)
            painter.drawPolygon(QtGui.QPolygonF([
                QtCore.QPointF(rect.left() - 2, y + 3), QtCore.QPointF(rect.right() + 2, y - 3),
                QtCore.QPointF(rect.right() + 2, y + 3), QtCore.QPointF(rect.left() - 2, y + 9)]))
            painter.setPen(text)
            label = f"{p.total:,}"
            w = fm.horizontalAdvance(label)
            painter.drawText(QtCore.QPointF(max(0.0, rect.center().x() - w / 2), rect.top() - 3), label)

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
