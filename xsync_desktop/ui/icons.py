"""The app icon: resources/app.png, the picture the exe and the installer carry (app.ico is
made from it), so the window, the taskbar and the installer show the same thing.

The packaged app keeps resources/ at the same place relative to the package (build.spec
copies it next to xsync_desktop/). Fallbacks, in order: resources/icons/xsync.svg, then a
drawn icon, so a build that lost its resources still starts (the smoke test needs none).
"""

from __future__ import annotations

from pathlib import Path

from .qt import Qt, QtCore, QtGui

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
APP_PNG = RESOURCES / "app.png"
_SVG = RESOURCES / "icons" / "xsync.svg"


def app_icon() -> QtGui.QIcon:
    for path in (APP_PNG, _SVG):
        if path.is_file():
            icon = QtGui.QIcon(str(path))
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
