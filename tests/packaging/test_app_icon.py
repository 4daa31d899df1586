"""resources/app.ico and app.png: valid files with the sizes Windows and NSIS look for."""

from __future__ import annotations

import struct
from pathlib import Path

import app_icon

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def read_ico(data: bytes) -> dict[int, bytes]:
    reserved, kind, count = struct.unpack_from("<HHH", data, 0)
    assert (reserved, kind) == (0, 1)
    images = {}
    for i in range(count):
        width, height, _, _, planes, bpp, size, offset = struct.unpack_from("<BBBBHHII", data, 6 + 16 * i)
        assert width == height and planes == 1 and bpp == 32
        assert offset + size <= len(data)
        images[width or 256] = data[offset:offset + size]
    return images


def check_icon_files(png: Path, ico: Path) -> None:
    data = png.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert struct.unpack(">II", data[16:24]) == (256, 256)
    images = read_ico(ico.read_bytes())
    assert set(images) == {*app_icon.DIB_SIZES, 256}
    assert images[256].startswith(PNG_SIGNATURE)
    for size in app_icon.DIB_SIZES:
        header_size, width, height = struct.unpack_from("<Iii", images[size], 0)
        assert (header_size, width, height) == (40, size, 2 * size)  # DIB: height counts the AND mask
        mask_stride = ((size + 31) // 32) * 4
        assert len(images[size]) == 40 + size * size * 4 + mask_stride * size


def test_committed_icons_are_valid() -> None:
    check_icon_files(RESOURCES / "app.png", RESOURCES / "app.ico")


def test_generator_writes_valid_icons(tmp_path: Path, qapp) -> None:
    png, ico = app_icon.write_icons(tmp_path / "res")
    check_icon_files(png, ico)


def test_icon_is_opaque_in_the_middle_and_transparent_in_the_corner(qapp) -> None:
    image = app_icon.render(64)
    assert image.pixelColor(0, 0).alpha() == 0
    assert image.pixelColor(32, 5).alpha() == 255
