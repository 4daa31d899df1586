"""Two kinds of failure, handled differently (qutebrowser's misc/sql.py split):

- the *environment* failed (disk full, database locked, network down, Xero
  unreachable or refusing): a plain message, and the app goes on;
- a *bug* (anything else): logged with its traceback to the profile's log folder
  (secrets redacted), shown in a dialog whose details can be copied, and the app
  goes on when it can.

Uncaught exceptions reach `ErrorReporter` through sys.excepthook (GUI thread,
Qt slots) and threading.excepthook (any other thread; marshalled to the GUI
thread by a queued signal because widgets may only be touched there).
"""

from __future__ import annotations

import errno
import logging
import logging.handlers
import sqlite3
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType

from ..store.disk_full import causes
from .qt import QObject, Qt, QtWidgets, Signal, Slot

log = logging.getLogger("xsync_desktop.ui")

_SQLITE_ENVIRONMENT = {
    "database is locked": "The database is busy (another program is using it). Try again in a moment.",
    "database table is locked": "The database is busy (another program is using it). Try again in a moment.",
    "disk i/o error": "The disk could not be read or written. Check the drive and try again.",
    "database or disk is full": "The disk is full. Free some space and try again.",
    "unable to open database file": "The database file cannot be opened. Check the profile folder exists "
    "and is writable.",
    "attempt to write a readonly database": "The database is read-only. Check the profile folder's permissions.",
    "database disk image is malformed": "The database file is damaged. Close xsync desktop and start it again: "
    "it then checks the file and offers the copies in the profile's backups folder.",
    "file is not a database": "The database file is damaged. Close xsync desktop and start it again: "
    "it then checks the file and offers the copies in the profile's backups folder.",
}
_OS_ENVIRONMENT = {
    errno.ENOSPC: "The disk is full. Free some space and try again.",
    errno.EACCES: "Permission denied: the file or folder is not writable.",
    errno.EROFS: "The drive is read-only.",
    errno.EIO: "The disk could not be read or written. Check the drive and try again.",
}


def environment_message(exc: BaseException) -> str | None:
    """A plain sentence if `exc` is the environment failing (not a bug), else None."""
    from ..xero.errors import XeroError  # the Xero layer already words its failures for people

    for cur in causes(exc):
        if isinstance(cur, XeroError):
            return cur.user_message
        designed = getattr(cur, "user_message", None)  # a failure already worded for people
        if isinstance(designed, str) and designed:
            return designed
        if isinstance(cur, sqlite3.DatabaseError):  # OperationalError and damage ("malformed")
            text = str(cur).lower()
            for needle, message in _SQLITE_ENVIRONMENT.items():
                if needle in text:
                    return message
        if isinstance(cur, OSError) and cur.errno in _OS_ENVIRONMENT:
            return _OS_ENVIRONMENT[cur.errno]
        if isinstance(cur, ConnectionError | TimeoutError):
            return "Could not reach Xero. Check the internet connection and try again."
    return None


def describe(exc: BaseException) -> str:
    """What to tell a person about `exc`: the environment message or a generic bug sentence."""
    return environment_message(exc) or f"Something went wrong inside xsync desktop ({type(exc).__name__})."


def setup_logging(logs_dir: Path, level: int = logging.INFO) -> logging.Handler:
    """A rotating log in the profile, with the Xero helper's redaction filter on the handler.

    The filter sits on the *handler* so records propagated from httpx/authlib
    loggers are redacted too.
    """
    from ..xero.redaction import RedactingFilter

    logs_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        logs_dir / "xsync-desktop.log", maxBytes=2_000_000, backupCount=5, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    return handler


def show_message(parent: QtWidgets.QWidget | None, text: str, title: str = "xsync desktop") -> None:
    """A warning that does not block the event loop (a sync keeps reporting progress behind it)."""
    box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Warning, title, text,
                                QtWidgets.QMessageBox.StandardButton.Ok, parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()


class ErrorDialog(QtWidgets.QDialog):
    """Says what happened in one line, with the details ready to copy for a bug report."""

    def __init__(self, summary: str, details: str, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("xsync desktop: unexpected error")
        self.setObjectName("errorDialog")
        layout = QtWidgets.QVBoxLayout(self)
        label = QtWidgets.QLabel(
            f"{summary}\n\nThe details were saved to the log. The app will keep running; "
            "if something looks wrong, restart it."
        )
        label.setWordWrap(True)
        layout.addWidget(label)
        self.details = QtWidgets.QPlainTextEdit(details)
        self.details.setReadOnly(True)
        self.details.setMinimumSize(520, 200)
        layout.addWidget(self.details)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        copy = buttons.addButton("Copy details", QtWidgets.QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(self.copy_details)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def copy_details(self) -> None:
        QtWidgets.QApplication.clipboard().setText(self.details.toPlainText())


class ErrorReporter(QObject):
    """Catches uncaught exceptions from every thread; one dialog at a time."""

    _from_thread = Signal(object, str)
    #: (summary, environment: bool) for tests and the status bar
    reported = Signal(str, bool)

    def __init__(self, parent: QObject | None = None, *, show_dialogs: bool = True) -> None:
        super().__init__(parent)
        self.show_dialogs = show_dialogs
        self.last: tuple[str, str] | None = None
        self._dialog: ErrorDialog | None = None
        self._old_hooks: tuple[object, object] | None = None
        self._from_thread.connect(self._on_thread_error, Qt.ConnectionType.QueuedConnection)

    def install(self) -> None:
        self._old_hooks = (sys.excepthook, threading.excepthook)
        sys.excepthook = self._sys_hook
        threading.excepthook = self._thread_hook

    def uninstall(self) -> None:
        if self._old_hooks is not None:
            sys.excepthook, threading.excepthook = self._old_hooks  # type: ignore[assignment]
            self._old_hooks = None

    def _sys_hook(self, etype: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if issubclass(etype, KeyboardInterrupt):
            QtWidgets.QApplication.quit()
            return
        self.report(value, "".join(traceback.format_exception(etype, value, tb)))

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None:
            return
        details = "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))
        self._from_thread.emit(args.exc_value, f"in thread {getattr(args.thread, 'name', '?')}\n{details}")

    @Slot(object, str)
    def _on_thread_error(self, exc: BaseException, details: str) -> None:
        self.report(exc, details)

    def report(self, exc: BaseException, details: str | None = None) -> None:
        """Log and show one failure; environment failures get a message, bugs a dialog."""
        if details is None:
            details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        env = environment_message(exc)
        if env is not None:
            log.warning("environment problem: %s (%s)", env, type(exc).__name__)
            self.last = (env, details)
            self.reported.emit(env, True)
            if self.show_dialogs:
                show_message(self._parent_widget(), env)
            return
        summary = f"Something went wrong inside xsync desktop: {type(exc).__name__}: {exc}"
        log.error("unexpected error\n%s", details)
        self.last = (summary, details)
        self.reported.emit(summary, False)
        if self.show_dialogs and self._dialog is None:
            self._dialog = ErrorDialog(summary, details, self._parent_widget())
            self._dialog.finished.connect(self._dialog_closed)
            self._dialog.open()

    def _dialog_closed(self) -> None:
        if self._dialog is not None:
            self._dialog.deleteLater()
        self._dialog = None

    @staticmethod
    def _parent_widget() -> QtWidgets.QWidget | None:
        return QtWidgets.QApplication.activeWindow()
