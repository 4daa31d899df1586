"""Which files PyInstaller's Qt hooks collect that the bundle leaves out (used by build.spec).

PyInstaller collects every plugin of a category a Qt module might use, and every
translation. xsync desktop is a Qt Widgets app in English on a desktop session,
so it never loads:

- platform plugins for embedded or remote screens (eglfs, linuxfb, vnc, ...) and the
  embedded-input and EGL device plugins beside them, nor direct2d (never the default);
- image formats it has no files in (pdf, tiff, webp, tga, wbmp, icns);
- network-information plugins (the app asks httpx, not Qt, about the network);
- Qt's translations (~7 MB of .qm files; the UI is English only);
- Windows' software OpenGL fallback (opengl32sw.dll, ~20 MB) and the D3D shader
  compiler: widgets paint with the raster engine, only Qt Quick/QOpenGLWidget need them.

Kept on purpose: platforms windows/xcb/wayland/offscreen/minimal/cocoa, styles,
iconengines (svg), imageformats ico/svg/jpeg/gif, platformthemes, tls, xcbglintegrations.

Destinations are matched in any layout (Linux wheels put plugins under
PySide6/Qt/plugins/, Windows wheels under PySide6/plugins/).
"""

from __future__ import annotations

import re

_DROPPED_PLUGIN_DIRS = {
    "egldeviceintegrations",
    "generic",
    "networkinformation",
    "wayland-graphics-integration-server",
    "designer",
    "qmltooling",
    "sqldrivers",
    "printsupport",
    "vectorimageformats",
}
_DROPPED_PLUGINS = {
    "platforms": re.compile(r"q?(eglfs|linuxfb|vnc|minimalegl|vkkhrdisplay|direct2d)", re.I),
    "imageformats": re.compile(r"q?(pdf|tiff|webp|tga|wbmp|icns)", re.I),
}
# Libraries that only the dropped plugins above link to.
_DROPPED_LIBRARIES = re.compile(
    r"(^|/)(lib)?(Qt6EglFSDeviceIntegration|Qt6EglFsKmsSupport|Qt6WaylandCompositor\w*|Qt6Pdf|"
    r"opengl32sw|d3dcompiler_\d+)[.\w]*$",
    re.I,
)


def _plugin_parts(dest: str) -> tuple[str, str] | None:
    """(category, file name) when `dest` is a Qt plugin (.../plugins/<category>/<file>), else None."""
    parts = dest.split("/")
    if len(parts) >= 3 and parts[-3] == "plugins":
        return parts[-2], parts[-1]
    return None


def keep_binary(dest: str) -> bool:
    """False for a collected binary the bundle should leave out."""
    norm = dest.replace("\\", "/")
    if _DROPPED_LIBRARIES.search(norm):
        return False
    plugin = _plugin_parts(norm)
    if plugin is None:
        return True
    category, name = plugin
    if category in _DROPPED_PLUGIN_DIRS:
        return False
    pattern = _DROPPED_PLUGINS.get(category)
    return not (pattern and pattern.match(name.removeprefix("lib")))


def keep_data(dest: str) -> bool:
    """False for collected data the bundle should leave out (Qt's translations)."""
    parts = dest.replace("\\", "/").split("/")
    return not ("PySide6" in parts and "translations" in parts and parts[-1].endswith(".qm"))
