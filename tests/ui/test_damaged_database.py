"""Starting the app on a damaged database (issue 15 case 2): a dialog, not a traceback and no window.

The app is started the way a person starts it (`run_gui_command`, the real entry point) on a profile
whose database file was cut short. The test then acts as the person: reads the dialog, sees
the copy in backups/ with its date, presses "Restore the selected copy", and the main window
opens on the restored ledger; closing it ends the app.
"""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.ui import Person
from xsync_desktop.profile import Profile
from xsync_desktop.store.backups import backup_sqlite
from xsync_desktop.store.store import open_store
from xsync_desktop.ui.qt import QtWidgets


def _profile_with_ledger_and_a_backup(profile: Profile) -> Path:
    from xsync_desktop.ledger.demo import generate_demo_ledger

    store = open_store(profile.database_url, profile.backups_dir)
    with store.sessions.begin() as s:
        generate_demo_ledger(s, invoices=15, seed=5)
    store.close()
    return backup_sqlite(profile.database_path, profile.backups_dir, "daily")


def _cut_short(db: Path) -> None:
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])


def _run_gui(profile: Profile, monkeypatch: pytest.MonkeyPatch) -> int:
    from xsync_desktop.composition.gui import run_gui_command
    from xsync_desktop.ui import app as app_mod

    monkeypatch.setattr(app_mod, "_settle_gc_when_idle", lambda: None)  # keeps the test process's collector as is
    return run_gui_command(argparse.Namespace(profile=str(profile.root), demo=False, smoke_test=False))


def test_damaged_database_offers_the_backup_and_restoring_it_opens_the_window(
        profile: Profile, qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = _profile_with_ledger_and_a_backup(profile)
    _cut_short(profile.database_path)

    def read_dialog_and_restore(person: Person) -> bool:
        dialog = QtWidgets.QApplication.activeModalWidget()
        if dialog is None or dialog.objectName() != "damagedDatabaseDialog":
            return False
        person.seen["message"] = dialog.findChild(QtWidgets.QLabel, "damageMessage").text()
        copies = dialog.findChild(QtWidgets.QListWidget, "backupCopies")
        person.seen["copies"] = [copies.item(i).text() for i in range(copies.count())]
        button = next(b for b in dialog.findChildren(QtWidgets.QPushButton) if b.text() == "Restore the selected copy")
        button.click()
        return True

    def see_the_window_and_close_it(person: Person) -> bool:
        windows = [w for w in QtWidgets.QApplication.topLevelWidgets()
                   if w.objectName() == "mainWindow" or type(w).__name__ == "MainWindow"]
        # shown with its profile open (the window appears first and opens the profile behind it)
        shown = [w for w in windows if w.isVisible() and getattr(w, "is_open", True)]
        if not shown:
            return False
        person.seen["title"] = shown[0].windowTitle()
        shown[0].close()
        return True

    person = Person([read_dialog_and_restore, see_the_window_and_close_it])
    code = _run_gui(profile, monkeypatch)

    assert code == 0
    assert "is damaged" in person.seen["message"] and "cut short" in person.seen["message"]
    assert len(person.seen["copies"]) == 1 and copy.name in person.seen["copies"][0]
    assert person.seen["copies"][0][:4].isdigit()  # starts with its date
    assert "title" in person.seen  # the main window opened on the restored database
    aside = list(profile.root.glob("xsync.db.damaged-*"))
    assert len(aside) == 1 and aside[0].stat().st_size < copy.stat().st_size  # the damaged file is kept
    conn = sqlite3.connect(profile.database_path)
    try:
        assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM invoice").fetchone()[0] > 0
    finally:
        conn.close()


def test_damaged_database_quit_leaves_the_file_untouched(profile: Profile, qtbot: Any,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    _profile_with_ledger_and_a_backup(profile)
    with profile.database_path.open("r+b") as fh:
        fh.write(b"\x00" * 100)  # the header overwritten
    before = profile.database_path.read_bytes()

    def quit_(person: Person) -> bool:
        dialog = QtWidgets.QApplication.activeModalWidget()
        if dialog is None or dialog.objectName() != "damagedDatabaseDialog":
            return False
        person.seen["message"] = dialog.findChild(QtWidgets.QLabel, "damageMessage").text()
        next(b for b in dialog.findChildren(QtWidgets.QPushButton) if b.text() == "Quit").click()
        return True

    person = Person([quit_])
    code = _run_gui(profile, monkeypatch)
    assert code == 6
    assert "does not start like an SQLite database" in person.seen["message"]
    assert profile.database_path.read_bytes() == before
