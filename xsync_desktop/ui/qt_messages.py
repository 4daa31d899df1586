"""Qt's own messages (warnings about layouts, fonts, platform plugins...) into the app log.

The packaged app on Windows is windowed: it has no console, so whatever Qt
prints to stderr is lost, and a "QFont::setPointSize: Point size <= 0" or a
platform-plugin warning would never reach a bug report. `install()` routes every
Qt message to the `qt` logger at the matching level (warnings at WARNING), and
still hands it to the handler that was there before (Qt's default prints it).

Only `run_gui` installs it. Tests must not: pytest-qt installs its own handler
per test to fail tests on Qt warnings (`qt_log_level_fail`), and replacing it
would swallow them. Because `install()` chains to the previous handler, even a
handler installed while pytest-qt's is active leaves pytest-qt seeing every message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from .qt import QtCore

log = logging.getLogger("qt")

_LEVELS = {
    QtCore.QtMsgType.QtDebugMsg: logging.DEBUG,
    QtCore.QtMsgType.QtInfoMsg: logging.INFO,
    QtCore.QtMsgType.QtWarningMsg: logging.WARNING,
    QtCore.QtMsgType.QtCriticalMsg: logging.ERROR,
    QtCore.QtMsgType.QtFatalMsg: logging.CRITICAL,
}

#: the installed handler, kept referenced for as long as Qt may call it
_installed: Callable[..., None] | None = None


def level_of(mode: Any) -> int:
    return _LEVELS.get(mode, logging.WARNING)


def install(logger: logging.Logger = log) -> Callable[[], None]:
    """Route Qt messages to `logger`; returns a function that restores the previous handler."""
    global _installed
    previous: Any = None

    def handler(mode: Any, context: Any, message: str) -> None:
        where = ""
        if context is not None and getattr(context, "file", None):
            where = f" ({context.file}:{context.line})"
        category = getattr(context, "category", None)
        prefix = f"{category}: " if category and category != "default" else ""
        try:
            logger.log(level_of(mode), "%s%s%s", prefix, message, where)
        except Exception:  # noqa: BLE001 - a logging failure must never turn into a Qt crash
            pass
        if previous is not None:
            previous(mode, context, message)

    previous = QtCore.qInstallMessageHandler(handler)
    _installed = handler

    def uninstall() -> None:
        global _installed
        QtCore.qInstallMessageHandler(previous)
        _installed = None

    return uninstall
