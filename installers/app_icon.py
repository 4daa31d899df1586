"""Draw the xsync desktop icon and write it as resources/app.png and resources/app.ico.

Why generated rather than drawn by hand: one small script keeps the PNG (window
icon, Linux) and the ICO (exe, installer, shortcuts) identical, needs no image
editor and no Pillow, and can be re-run when the artwork changes. The files are
committed; the build only reads them.

The ICO holds classic 32-bit DIB images for 16-64 px (what the NSIS stub and old
shell code read) plus a PNG-compressed 256 px image (what Explorer shows large).

Run: `QT_QPA_PLATFORM=offscreen python installers/app_icon.py [resources_dir]`.
"""

from __future__ import annotations

import math
import struct
import sys
from pathlib import Path

DIB_SIZES = (16, 24, 32, 48, 64)
PNG_SIZE = 256
BACKGROUND = "#0f6e6e"  # deep teal: readable on light and dark taskbars
FOREGROUND = "#ffffff"


def render(size: int):  # -> QImage (Qt imported lazily: the module is also read by tests without a display)
    """The icon at `size` px: a rounded tile with two chasing arrows (a ledger kept in sync)."""
    from PySide6.QtCore import QPointF, QRectF, Qt
    from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen, QPolygonF

    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = float(size)
    tile = QRectF(s * 0.03, s * 0.03, s * 0.94, s * 0.94)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(BACKGROUND))
    p.drawRoundedRect(tile, s * 0.2, s * 0.2)

    pen = QPen(QColor(FOREGROUND), max(1.5, s * 0.1))
    pen.setCapStyle(Qt.PenCapStyle.FlatCap)
    ring = QRectF(s * 0.27, s * 0.27, s * 0.46, s * 0.46)
    radius, centre = ring.width() / 2, ring.center()
    sweep = 125.0
    head = s * 0.13
    for start in (40.0, 220.0):
        # Two arcs chasing each other counter-clockwise (Qt angles: degrees, 0 at 3 o'clock, y up).
        path = QPainterPath()
        path.arcMoveTo(ring, start)
        path.arcTo(ring, start, sweep)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(path)
        end = math.radians(start + sweep)
        normal = QPointF(math.cos(end), -math.sin(end))  # outward, in screen coordinates
        tangent = QPointF(-math.sin(end), -math.cos(end))  # direction of travel
        at = centre + normal * radius
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(FOREGROUND))
        p.drawPolygon(QPolygonF([at + tangent * head, at + normal * head * 0.8, at - normal * head * 0.8]))
    p.end()
    return image


def png_bytes(image) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")
    buf.close()
    return bytes(data.data())


def dib_bytes(image) -> bytes:
    """A 32-bit BGRA DIB as an ICO entry wants it: bottom-up rows, doubled height, then an AND mask."""
    size = image.width()
    header = struct.pack("<IiiHHIIiiII", 40, size, size * 2, 1, 32, 0, 0, 0, 0, 0, 0)
    rows = []
    for y in range(size - 1, -1, -1):
        row = bytearray()
        for x in range(size):
            argb = image.pixel(x, y)
            row += struct.pack("<I", argb & 0xFFFFFFFF)  # little-endian ARGB32 is B, G, R, A in memory
        rows.append(bytes(row))
    mask_stride = ((size + 31) // 32) * 4
    mask = bytes(mask_stride * size)  # all zero: the alpha channel decides transparency
    return header + b"".join(rows) + mask


def ico_bytes(entries: list[tuple[int, bytes]]) -> bytes:
    """Pack (size, image bytes) pairs into an ICO file (ICONDIR + ICONDIRENTRY table + images)."""
    out = struct.pack("<HHH", 0, 1, len(entries))
    offset = 6 + 16 * len(entries)
    table, blobs = b"", b""
    for size, blob in entries:
        dim = 0 if size >= 256 else size  # 0 means 256 in the directory
        table += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(blob), offset)
        offset += len(blob)
        blobs += blob
    return out + table + blobs


def write_icons(resources: Path) -> tuple[Path, Path]:
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication.instance() or QGuiApplication(["app_icon"])  # QPainter on QImage needs a Gui app
    resources.mkdir(parents=True, exist_ok=True)
    png_path = resources / "app.png"
    ico_path = resources / "app.ico"
    big = render(PNG_SIZE)
    png_path.write_bytes(png_bytes(big))
    entries = [(size, dib_bytes(render(size))) for size in DIB_SIZES] + [(PNG_SIZE, png_bytes(big))]
    ico_path.write_bytes(ico_bytes(entries))
    return png_path, ico_path


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "resources"
    for path in write_icons(target):
        print(path)
