"""The one place that names the Qt binding (qutebrowser's habit).

Everything else in ui/ imports Qt from here, so switching binding or pinning a
workaround touches one file, and a grep for "PySide6" finds only this module.
"""

from __future__ import annotations

import sys

import PySide6
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Property, QObject, Qt, QThread, QTimer, Signal, Slot


def _keep_singletons_alive() -> None:
    """Work around a reference-count bug of PySide6 6.12 on CPython 3.11.

    Measured here: every call of a void Qt method (label.setText, app.processEvents...)
    drops one reference to None, and every Signal.emit() one to True, without having
    taken it (on 3.12+ these objects are immortal, so the bug is invisible there).
    A sync emits and repaints tens of thousands of times; None's count reaches zero
    and CPython aborts with "none_dealloc" / "bool_dealloc" (tests/ui/test_qt_refcount.py).
    pyproject pins PySide6 below 6.12, so this only acts when someone installed the
    broken release by hand: raising the three singletons' counts by 2**40 makes them as
    good as immortal; an extra count on an object that is never freed costs nothing.
    """
    if sys.version_info >= (3, 12) or hasattr(sys, "gettotalrefcount"):  # immortal already / debug build
        return
    if not PySide6.__version__.startswith("6.12."):
        return
    import ctypes

    for singleton in (None, True, False):
        ctypes.c_ssize_t.from_address(id(singleton)).value += 1 << 40  # ob_refcnt is PyObject's first field


_keep_singletons_alive()

__all__ = ["Property", "QObject", "Qt", "QThread", "QTimer", "QtCore", "QtGui", "QtWidgets", "Signal", "Slot"]
