"""The one place that names the Qt binding (qutebrowser's habit).

Everything else in ui/ imports Qt from here, so switching binding or pinning a
workaround touches one file, and a grep for "PySide6" finds only this module.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Property, QObject, Qt, QThread, QTimer, Signal, Slot

__all__ = ["Property", "QObject", "Qt", "QThread", "QTimer", "QtCore", "QtGui", "QtWidgets", "Signal", "Slot"]
