"""The main window without Xero: views, shortcuts, remembered state, one instance, errors, offline reading."""

from __future__ import annotations

import logging
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.ui.runs_data import add_run
from xsync_desktop.profile import Profile
from xsync_desktop.ui.qt import QtCore, QtGui, QtWidgets
from xsync_desktop.ui.views import VIEW_SPECS, PlaceholderView

from .test_views_support import open_view


def test_every_view_loads_and_ctrl_digits_switch(ui_app: Any, qtbot: Any) -> None:
    services, window = ui_app()
    window.windowHandle().requestActivate()
    qtbot.waitUntil(window.isActiveWindow)
    for i, spec in enumerate(VIEW_SPECS):
        qtbot.keyClick(window, QtCore.Qt.Key(QtCore.Qt.Key.Key_1.value + i),
                       QtCore.Qt.KeyboardModifier.ControlModifier)
        assert window.current_view_key() == spec.key
        assert not isinstance(window.views[spec.key], PlaceholderView)
    assert window.connection_label.text() == "Not connected"
    assert window.last_sync_label.text() == "Last sync: never"


def test_window_remembers_size_position_and_view(ui_app: Any, profile: Profile, qtbot: Any) -> None:
    services, window = ui_app()
    window.resize(780, 580)
    window.show_view("runs")
    window.close()
    ini = profile.root / "window.ini"
    assert ini.is_file()
    _, again = ui_app()
    assert again.current_view_key() == "runs"
    assert (again.width(), again.height()) == (780, 580)


def test_missing_view_module_becomes_placeholder(ui_app: Any, monkeypatch: Any) -> None:
    from xsync_desktop.ui import views

    monkeypatch.setattr(views, "VIEW_SPECS", views.VIEW_SPECS)  # keep the original list
    spec = views.ViewSpec("x", "Nowhere", "no_such_view_module", "NoView", "")
    services, _window = ui_app()
    assert isinstance(views.create_view(spec, services), PlaceholderView)


def test_status_bar_shows_organisation_and_last_sync(ui_app: Any, qtbot: Any) -> None:
    services, window = ui_app()
    add_run(services.store.sessions, 3)
    services.set_settings(tenant_id="t-1", tenant_name="Harbour Storage Ltd")
    qtbot.waitUntil(lambda: window.connection_label.text() == "Xero: Harbour Storage Ltd")
    assert window.last_sync_label.text().startswith("Last sync: ")
    assert window.last_sync_label.text() != "Last sync: never"


def test_runs_are_readable_offline(ui_app: Any, qtbot: Any) -> None:
    """No Xero at all (real endpoints, no network use): history and items can be read and filtered."""
    services, window = ui_app()
    run_id = add_run(services.store.sessions, 120, failed_every=6)
    services.notify("runs")  # what a finished sync tells the views
    runs = open_view(qtbot, window, "runs", None)
    qtbot.waitUntil(lambda: runs.runs_model.row_of(run_id) >= 0)
    rect = runs.runs_table.visualRect(runs.runs_model.index(runs.runs_model.row_of(run_id), 1))
    qtbot.mouseClick(runs.runs_table.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: runs.items_model.rowCount() > 0 and runs.items_model.total == 120)
    runs.set_filter(outcome="failed")
    qtbot.waitUntil(lambda: runs.items_model.total == 20 and runs.items_model.rowCount() > 0)
    runs.items_table.selectRow(0)
    assert "archived" in runs.detail.toPlainText()
    assert "Xero: Account code" in runs.detail.toPlainText()


def test_export_run_log_csv(ui_app: Any, qtbot: Any, tmp_path: Path) -> None:
    import csv

    services, window = ui_app()
    run_id = add_run(services.store.sessions, 30, failed_every=3)
    runs = window.view("runs")
    runs.runs_model.reload()
    runs.show_run(run_id)
    runs.set_filter(outcome="failed")
    qtbot.waitUntil(lambda: runs.items_model.total == 10)
    target = tmp_path / "run log ü.csv"
    assert runs.export_csv(target)
    qtbot.waitUntil(lambda: runs.last_export is not None)
    with target.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 10 and {r["outcome"] for r in rows} == {"failed"}
    assert rows[0]["xero_messages"] == "Account code '200' is not a valid code"


def test_second_instance_on_same_profile_is_refused(profile: Profile) -> None:
    lock = QtCore.QLockFile(str(profile.root / "gui.lock"))
    assert lock.tryLock(100)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "xsync_desktop", "--profile", str(profile.root), "--smoke-test"],
            capture_output=True, text=True, timeout=120, env=_env())
        assert proc.returncode == 6
        assert "already open for this profile" in proc.stderr
    finally:
        lock.unlock()


def test_smoke_test_exits_zero_without_profile() -> None:
    proc = subprocess.run([sys.executable, "-m", "xsync_desktop", "--smoke-test"],
                          capture_output=True, text=True, timeout=120, env=_env())
    assert proc.returncode == 0, proc.stderr
    assert "smoke test ok" in proc.stdout


def _env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.pop("XSYNC_PROFILE", None)
    return env


def test_environment_errors_are_messages_and_bugs_are_dialogs(qtbot: Any, tmp_path: Path) -> None:
    from xsync_desktop.ui.errors import ErrorReporter, environment_message

    locked = sqlite3.OperationalError("database is locked")
    assert environment_message(locked) == "The database is busy (another program is using it). Try again in a moment."
    from sqlalchemy.exc import OperationalError

    wrapped = OperationalError("INSERT ...", {}, sqlite3.OperationalError("database or disk is full"))
    assert "disk is full" in (environment_message(wrapped) or "")
    assert environment_message(KeyError("x")) is None

    reporter = ErrorReporter(show_dialogs=True)
    reporter.report(ValueError("a bug"))
    dialog = reporter._dialog
    assert dialog is not None and "ValueError: a bug" in dialog.details.toPlainText()
    dialog.copy_details()
    assert "ValueError" in QtWidgets.QApplication.clipboard().text()
    dialog.reject()
    reporter.show_dialogs = False
    reporter.report(locked)
    assert reporter.last is not None and reporter.last[0].startswith("The database is busy")


def test_thread_exceptions_reach_the_gui_thread_and_the_log(qtbot: Any, tmp_path: Path) -> None:
    from xsync_desktop.ui.errors import ErrorReporter, setup_logging

    handler = setup_logging(tmp_path / "logs")
    reporter = ErrorReporter(show_dialogs=False)
    reporter.install()
    try:
        with qtbot.waitSignal(reporter.reported, timeout=5000) as sig:
            t = threading.Thread(target=lambda: (_ for _ in ()).throw(RuntimeError(
                "boom access_token=eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl")))
            t.start()
            t.join()
        assert sig.args[1] is False  # a bug, not the environment
    finally:
        reporter.uninstall()
        logging.getLogger().removeHandler(handler)
        handler.close()
    text = (tmp_path / "logs" / "xsync-desktop.log").read_text(encoding="utf-8")
    assert "RuntimeError" in text
    assert "eyJhbGciOi" not in text  # the redaction filter sits on the handler


def test_background_job_reports_progress_result_and_cancel(qtbot: Any) -> None:
    from xsync_desktop.sync.progress import Progress
    from xsync_desktop.ui.worker import BackgroundRunner

    runner = BackgroundRunner()
    seen: list[Progress] = []
    results: list[Any] = []
    gui_thread = QtCore.QThread.currentThread()
    threads: list[Any] = []

    def work(progress: Any, cancel: Any) -> int:
        for i in range(1, 101):
            progress(Progress("invoices", i, 100))
        return 42

    def done(r: Any) -> None:
        threads.append(QtCore.QThread.currentThread())
        results.append(r)

    job = runner.run(work, done, None, seen.append)
    qtbot.waitUntil(lambda: results == [42])
    assert threads == [gui_thread]  # callbacks run on the GUI thread
    assert seen and seen[-1].done == 100 and len(seen) < 100  # throttled, final count kept
    qtbot.waitUntil(lambda: not job.running)

    cancelled: list[bool] = []

    def slow(progress: Any, cancel: Any) -> None:
        while True:
            cancel.check()
            QtCore.QThread.msleep(5)

    job = runner.run(slow, on_cancelled=lambda: cancelled.append(True))
    job.cancel()
    qtbot.waitUntil(lambda: cancelled == [True])
    assert runner.shutdown(5000)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_views_use_the_palette(ui_app: Any, scheme: str) -> None:
    """No hard-coded backgrounds: the window follows whatever palette the system gives."""
    app = QtWidgets.QApplication.instance()
    old = app.palette()
    pal = QtGui.QPalette(old)
    colour = QtGui.QColor("#202124") if scheme == "dark" else QtGui.QColor("#fafafa")
    pal.setColor(QtGui.QPalette.ColorRole.Window, colour)
    app.setPalette(pal)
    try:
        _, window = ui_app()
        image = window.grab().toImage()  # the view it opens on, as shown
        corner = image.pixelColor(image.width() - 5, image.height() // 2)
        assert abs(corner.lightness() - colour.lightness()) < 40
    finally:
        app.setPalette(old)
