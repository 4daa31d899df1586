"""The app survives PySide6's reference-count bug on CPython 3.11 (see ui/qt.py).

Runs in a subprocess: without the workaround the interpreter aborts, which would
take the whole test session down with it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_many_void_calls_and_emits_do_not_abort_the_interpreter() -> None:
    code = textwrap.dedent("""
        import os
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from xsync_desktop.ui.qt import QObject, QtWidgets, Signal
        app = QtWidgets.QApplication([])
        class S(QObject):
            sig = Signal(object)
        s = S()
        label = QtWidgets.QLabel()
        for i in range(300_000):
            label.setText("x")
            s.sig.emit(i)
            if i % 1000 == 0:
                app.processEvents()
        print("alive")
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "alive" in proc.stdout


def test_installed_binding_does_not_leak_references_to_none_or_true() -> None:
    """The pin in pyproject keeps the broken PySide6 out; this fails if it comes back."""
    code = textwrap.dedent("""
        import os, sys
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from PySide6 import QtWidgets
        from PySide6.QtCore import QObject, Signal
        app = QtWidgets.QApplication([])
        class S(QObject):
            sig = Signal(object)
        s = S()
        label = QtWidgets.QLabel()
        none0, true0 = sys.getrefcount(None), sys.getrefcount(True)
        for i in range(2000):
            label.setText("x")
            s.sig.emit(i)
        print(none0 - sys.getrefcount(None), true0 - sys.getrefcount(True))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lost_none, lost_true = (int(x) for x in proc.stdout.split())
    assert lost_none < 100 and lost_true < 100, (lost_none, lost_true)
