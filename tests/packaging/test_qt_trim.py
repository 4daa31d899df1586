"""The bundle drops Qt files a widgets app never loads, and keeps the ones it does."""

from __future__ import annotations

import pytest
from qt_trim import keep_binary, keep_data


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/plugins/platforms/qwindows.dll",
        "PySide6/plugins/platforms/qoffscreen.dll",
        "PySide6/plugins/styles/qmodernwindowsstyle.dll",
        "PySide6/plugins/imageformats/qico.dll",
        "PySide6\\plugins\\imageformats\\qsvg.dll",
        "PySide6/Qt/plugins/iconengines/libqsvgicon.so",
        "PySide6/plugins/tls/qschannelbackend.dll",
        "PySide6/Qt6Widgets.dll",
        "PySide6/Qt/lib/libQt6Gui.so.6",
        "python311.dll",
    ],
)
def test_keeps_what_the_app_loads(dest: str) -> None:
    assert keep_binary(dest)


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/Qt/plugins/platforms/libqeglfs.so",
        "PySide6/Qt/plugins/platforms/libqvnc.so",
        "PySide6/plugins/platforms/qdirect2d.dll",
        "PySide6/plugins/imageformats/qpdf.dll",
        "PySide6/Qt/plugins/imageformats/libqtiff.so",
        "PySide6/Qt/plugins/egldeviceintegrations/libqeglfs-kms-integration.so",
        "PySide6/plugins/networkinformation/qnetworklistmanager.dll",
        "PySide6/Qt/lib/libQt6EglFSDeviceIntegration.so.6",
        "PySide6/opengl32sw.dll",
        "PySide6\\d3dcompiler_47.dll",
        "PySide6/Qt6Pdf.dll",
    ],
)
def test_drops_what_a_widgets_app_never_loads(dest: str) -> None:
    assert not keep_binary(dest)


def test_drops_qt_translations_but_no_other_data() -> None:
    assert not keep_data("PySide6/Qt/translations/qtbase_de.qm")
    assert not keep_data("PySide6/translations/qt_fr.qm")
    assert keep_data("xsync_desktop/store/migrations/env.py")
    assert keep_data("resources/app.png")
