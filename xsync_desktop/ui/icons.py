"""The app icon: resources/icons/xsync.svg when present, else drawn here.

Drawing it keeps the smoke test and the packaged build independent of where
resource files end up.
"""

from __future__ import annotations

from pathlib import Path

from .qt import Qt, QtCore, QtGui

_SVG = Path(__file__).resolve().parents[2] / "resources" / "icons" / "xsync.svg"


def app_icon() -> QtGui.QIcon:
    if _SVG.is_file():
        icon = QtGui.QIcon(str(_SVG))
        if not icon.isNull() and icon.availableSizes():
            return icon
    icon = QtGui.QIcon()
    for size in (16, 32, 64, 128, 256):
        icon.addPixmap(_draw(size))
    return icon


def _draw(size: int) -> QtGui.QPixmap:
    pm = QtGui.QPixmap(size, size)
    pm.fill(Qt.GlobalColor.transparent)
    p = QtGui.QPainter(pm)
    p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    p.setBrush(QtGui.QColor("#1f7a8c"))
    p.setPen(Qt.PenStyle.NoPen)
    p.drawRoundedRect(QtCore.QRectF(0, 0, size, size), size * 0.2, size * 0.2)
    pen = QtGui.QPen(QtGui.QColor("white"), max(1.5, size * 0.1))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    p.setPen(pen)
    m = size * 0.28
    p.drawLine(QtCore.QPointF(m, m), QtCore.QPointF(size - m, size - m))
    p.drawLine(QtCore.QPointF(size - m, m), QtCore.QPointF(m, size - m))
    p.end()
    return pm
