"""Issue 14 point 3: the activity log tells what the last syncs did, readable offline:
local time with the zone, one line per event, failed items with their messages, the
retry, the skip, the decision, the sign-off, and a run that found Xero unreachable;
no secrets. Runs and Help reach it."""

from __future__ import annotations

import re
import time
from typing import Any

from xsync_desktop.activity import FILE_NAME
from xsync_desktop.ui.qt import Qt, QtGui, QtWidgets

from .conftest import SIGNED_BY


def _log(j: Any) -> str:
    return (j.services.profile.logs_dir / FILE_NAME).read_text(encoding="utf-8")


def test_the_month_is_in_the_activity_log_and_an_unreachable_run_too(journey: Any) -> None:
    j = journey(online=False)
    text = _log(j)
    f = j.facts
    assert f"Sync {f.first_run_id} started (started by a person)" in text
    assert re.search(rf"Sync {f.first_run_id} ended: failed\. Sent .*; \d+ items failed\.", text)
    assert "failed: " in text and "Charge type 'Merchandise' has no Xero account" in text  # each failed item with its plain message
    assert "(a retry)" in text
    assert "Skipped " in text and "Sold at the counter, not billed" in text
    assert f"Month {f.signed_month} signed off by {SIGNED_BY}" in text
    zone = time.strftime("%Z")
    first = text.splitlines()[0]
    assert re.match(rf"\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d {re.escape(zone)}  ", first), first

    j.window.activateWindow()
    j.qtbot.waitUntil(lambda: QtWidgets.QApplication.activeWindow() is j.window, timeout=5_000)
    with j.qtbot.waitSignal(j.window.sync.finished, timeout=60_000) as blocker:
        j.qtbot.keyClick(QtWidgets.QApplication.focusWidget() or j.window, "r", Qt.KeyboardModifier.ControlModifier)
    run_id = blocker.args[0].run_id
    text = _log(j)
    assert f"Sync {run_id} started" in text
    assert re.search(rf"Sync {run_id} ended: failed\..* Xero unreachable: ", text), text[-600:]
    secret = j.facts.grant.refresh_token
    assert secret and secret not in text


def test_help_and_runs_reach_the_log(journey: Any, monkeypatch: Any) -> None:
    j = journey()
    opened: list[str] = []
    monkeypatch.setattr(QtGui.QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    help_menu = next(a.menu() for a in j.window.menuBar().actions() if a.text() == "&Help")
    action = next(a for a in help_menu.actions() if a.text().replace("&", "") == "Open log folder")
    action.trigger()
    assert opened[-1] == str(j.services.profile.logs_dir)
    runs = j.show("runs")
    j.qtbot.mouseClick(runs.activity_button, Qt.MouseButton.LeftButton)
    assert opened[-1] == str(j.services.profile.logs_dir / FILE_NAME)
