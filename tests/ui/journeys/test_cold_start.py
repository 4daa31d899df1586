"""Issue 16, cold start: the window is on screen before the profile's slow part, and the first
view then shows its data, without the person doing anything.

The app is started through its real entry point (`run_gui_command`, its own event loop) on a
copy of the month's profile. Opening the store (integrity check, migrations; with SQLAlchemy,
Alembic and the models imported on the way) is held at its start until the person has seen
the window: had the app opened the store before showing the window, the person would never
see it while the store waits, and the order of events below would say so. With --demo, the
sandbox's start is held the same way. No timings are asserted; the benchmark (tests/perf/bench_frozen_start.py) measures them.
"""

from __future__ import annotations

import argparse
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.fixtures.ui import Person
from xsync_desktop.profile import Profile
from xsync_desktop.store.models import SyncRun
from xsync_desktop.ui.qt import QtWidgets

#: the longest the held store waits for the person (only reached when the window never showed)
HOLD_LIMIT_S = 60


def _main_window() -> Any | None:
    shown = [w for w in QtWidgets.QApplication.topLevelWidgets() if type(w).__name__ == "MainWindow" and w.isVisible()]
    return shown[0] if shown else None


def _held_until_seen(real: Any, events: list[str], seen_window: threading.Event, starting: str, while_: str,
                     done: str) -> Any:
    """`real`, held at its start until the person has seen the window; each step noted in `events`."""

    def held(*args: Any, **kwargs: Any) -> Any:
        events.append(starting)
        if not seen_window.wait(HOLD_LIMIT_S):
            events.append(f"the person never saw the window while {while_}")
        result = real(*args, **kwargs)
        events.append(done)
        return result

    return held


def _start(root: Path, monkeypatch: pytest.MonkeyPatch, events: list[str], seen_window: threading.Event) -> int:
    from xsync_desktop.composition.gui import run_gui_command
    from xsync_desktop.store import store as store_mod
    from xsync_desktop.ui import app as app_mod

    monkeypatch.setattr(store_mod, "open_store", _held_until_seen(
        store_mod.open_store, events, seen_window, "opening the store", "the store was opening", "store open"))
    monkeypatch.setattr(app_mod, "_settle_gc_when_idle", lambda: None)  # keeps the test process's collector as is
    return run_gui_command(argparse.Namespace(profile=str(root), demo=False, smoke_test=False))


def test_window_shows_before_the_profile_opens_then_the_dashboard_has_its_data(
        month_profile: Any, tmp_path: Path, qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "profile"
    shutil.copytree(month_profile.root, root)
    from xsync_desktop.store.store import open_store

    store = open_store(Profile(root).ensure().database_url)
    with store.sessions() as s:
        runs_in_db = s.scalar(select(func.count()).select_from(SyncRun))
    store.close()
    events: list[str] = []
    seen_window = threading.Event()

    def see_the_window_opening(person: Person) -> bool:
        window = _main_window()
        if window is None:
            return False
        events.append("window shown")
        person.seen["open_at_first"] = window.is_open
        holder = window.stack.currentWidget()
        person.seen["placeholder"] = [label.text() for label in holder.findChildren(QtWidgets.QLabel)
                                      if label.isVisible()]
        person.seen["sidebar"] = [window.sidebar.item(i).text() for i in range(window.sidebar.count())]
        seen_window.set()
        return True

    def read_the_dashboard_and_quit(person: Person) -> bool:
        window = _main_window()
        if window is None or not window.is_open:
            return False
        events.append("dashboard shown")
        dashboard = window.views.get(window.current_view_key())
        person.seen["view"] = window.current_view_key()
        person.seen["recent_runs"] = dashboard.recent.topLevelItemCount()
        person.seen["open_exceptions"] = dashboard.card_exceptions.value.text()
        person.seen["status"] = window.connection_label.text()
        window.close()
        return True

    person = Person([see_the_window_opening, read_the_dashboard_and_quit])
    code = _start(root, monkeypatch, events, seen_window)

    assert code == 0
    # The store's opening may begin before or after the person looks; it ends only after.
    assert "the person never saw the window while the store was opening" not in events, events
    assert len(events) == 4, events
    assert events.index("window shown") < events.index("store open") < events.index("dashboard shown"), events
    assert events.index("opening the store") < events.index("store open"), events
    assert person.seen["open_at_first"] is False
    assert person.seen["placeholder"] == ["Opening the profile…"]
    assert person.seen["sidebar"][0] == "Dashboard"
    # The first view shown is the dashboard, with the month's runs and open exceptions on it.
    assert person.seen["view"] == "dashboard"
    assert person.seen["recent_runs"] == min(8, runs_in_db) and runs_in_db >= 2
    assert person.seen["open_exceptions"] == str(month_profile.open_exceptions)
    assert person.seen["status"].startswith("Xero: ")


def test_demo_window_shows_before_its_sandbox_starts_and_the_demo_begins_once_open(
        tmp_path: Path, qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--demo`: the sandbox (a child process) starts behind the window, and the demo's bootstrap
    (ledger, sign-in, mapping) is started only once the profile is open."""
    from xsync_desktop.composition import demo as demo_kit
    from xsync_desktop.composition.gui import run_gui_command
    from xsync_desktop.ui import app as app_mod

    events: list[str] = []
    seen_window = threading.Event()
    monkeypatch.setattr(demo_kit, "start_sandbox", _held_until_seen(
        demo_kit.start_sandbox, events, seen_window, "starting the sandbox", "the sandbox was starting",
        "sandbox running"))
    # The bootstrap itself (a 600-invoice ledger, the sign-in) is the demo's own tests' subject.
    monkeypatch.setattr(app_mod, "_start_demo", lambda *_args: events.append("demo bootstrap started"))
    monkeypatch.setattr(app_mod, "_settle_gc_when_idle", lambda: None)

    def see_the_window_opening(person: Person) -> bool:
        window = _main_window()
        if window is None:
            return False
        events.append("window shown")
        person.seen["title"] = window.windowTitle()
        person.seen["open_at_first"] = window.is_open
        person.seen["sync_enabled_at_first"] = window.sync_action.isEnabled()
        seen_window.set()
        return True

    def see_it_open_and_quit(person: Person) -> bool:
        window = _main_window()
        if window is None or not window.is_open or "demo bootstrap started" not in events:
            return False
        person.seen["sync_enabled"] = window.sync_action.isEnabled()
        person.seen["view"] = type(window.views[window.current_view_key()]).__name__
        window.close()
        return True

    person = Person([see_the_window_opening, see_it_open_and_quit])
    code = run_gui_command(argparse.Namespace(profile=str(tmp_path / "demo profile"), demo=True, smoke_test=False))

    assert code == 0
    assert "the person never saw the window while the sandbox was starting" not in events, events
    assert len(events) == 4, events
    assert events.index("window shown") < events.index("sandbox running") < events.index("demo bootstrap started")
    assert person.seen["title"] == "Demo — xsync desktop"
    assert person.seen["open_at_first"] is False and person.seen["sync_enabled_at_first"] is False
    assert person.seen["sync_enabled"] is True and person.seen["view"] == "DashboardView"
