"""Process-level plumbing of the GUI: Qt messages in the log, the app icon, the collector, the demo's
sandbox process."""

from __future__ import annotations

import gc
import logging
import sys
import weakref
from typing import Any

import httpx
import pytest

from tests.ui.conftest import OFFSCREEN_NOISE
from xsync_desktop.ui import qt_messages
from xsync_desktop.ui.qt import QtCore

QT_TEST_WARNING = "xsync test: a Qt warning routed to the log"


@pytest.mark.qt_log_ignore(QT_TEST_WARNING, *OFFSCREEN_NOISE)
def test_qt_warnings_reach_the_app_log_and_pytest_qt_still_sees_them(caplog: Any, qtlog: Any) -> None:
    restore = qt_messages.install()
    try:
        with caplog.at_level(logging.DEBUG, logger="qt"):
            QtCore.qWarning(QT_TEST_WARNING)
            QtCore.qDebug("xsync test: a debug line")
    finally:
        restore()
    records = [r for r in caplog.records if r.name == "qt"]
    assert [(r.levelno, r.getMessage()) for r in records][:2] == [
        (logging.WARNING, QT_TEST_WARNING), (logging.DEBUG, "xsync test: a debug line")]
    # chained: pytest-qt's handler (installed before ours) still got the warning
    assert any(QT_TEST_WARNING in rec.message for rec in qtlog.records)


@pytest.mark.qt_log_ignore(QT_TEST_WARNING, *OFFSCREEN_NOISE)
def test_build_app_leaves_pytest_qt_capture_alone(ui_app: Any, caplog: Any, qtlog: Any) -> None:
    ui_app()
    with caplog.at_level(logging.DEBUG, logger="qt"):
        QtCore.qWarning(QT_TEST_WARNING)
    assert any(QT_TEST_WARNING in rec.message for rec in qtlog.records)
    assert not [r for r in caplog.records if r.name == "qt"]  # only run_gui installs the log handler


def test_window_icon_is_the_exe_picture(ui_app: Any) -> None:
    from xsync_desktop.ui.icons import APP_PNG, app_icon

    assert APP_PNG.is_file()
    icon = app_icon()
    expected = QtCore.QSize(256, 256)
    assert expected in icon.availableSizes()
    services, window = ui_app()
    got = window.windowIcon().pixmap(64).toImage()
    want = icon.pixmap(64).toImage()
    assert got == want


def test_settle_after_start_freezes_and_makes_full_collections_rarer(qtbot: Any) -> None:
    from xsync_desktop.ui import gc_tuning

    before = gc.get_threshold()
    # Tests share the process: an app an earlier test started may have settled the collector or
    # left a hold of a sync that test ended mid-way (seen with another order of test files).
    gc_tuning._settled, gc_tuning._held = False, None
    try:
        figures = gc_tuning.settle_after_start()
        # The figure is the count at the freeze. Frozen objects freed since (by threads earlier tests
        # in this worker left running) leave the permanent generation, so the count can only fall,
        # and only by a few: an exact equality failed once in a full run (478,607 against 478,609).
        frozen_now = gc.get_freeze_count()
        assert 0 < frozen_now <= figures["frozen"] and frozen_now >= 0.99 * figures["frozen"]
        assert gc.get_threshold()[2] == gc_tuning.GEN2_THRESHOLD
        gc_tuning.hold_full_collections()  # a sync started: no automatic full collections
        assert gc.get_threshold()[2] == 1_000_000
        gc_tuning.hold_full_collections()  # a second hold keeps the first's thresholds
        gc_tuning.release_full_collections()
        assert gc.get_threshold()[2] == gc_tuning.GEN2_THRESHOLD
    finally:
        gc.unfreeze()  # tests share the process: give the objects back to the collector
        gc.set_threshold(*before)
        gc_tuning._settled, gc_tuning._held = False, None


class _Cyclic:
    """An object in a reference cycle: only a full collection frees it once it is in the oldest generation."""

    def __init__(self) -> None:
        self.me = self


def test_catch_up_after_a_sync_frees_its_garbage_and_freezes_only_what_lives(qtbot: Any) -> None:
    """The catch-up after a sync collects, then freezes the survivors (so the next catch-up need not walk
    them again). Garbage made during the sync is freed, not frozen; garbage made after the freeze is
    still collected: memory stays bounded."""
    from xsync_desktop.ui import gc_tuning

    before = gc.get_threshold()
    gc_tuning._settled, gc_tuning._held = False, None
    full: list[int] = []

    def on_collection(phase: str, info: dict[str, Any]) -> None:
        if phase == "stop" and info["generation"] == 2:
            full.append(info["collected"])

    try:
        gc_tuning.settle_after_start()
        gc_tuning.hold_full_collections()  # a sync starts
        lives, dies = _Cyclic(), _Cyclic()
        for _ in range(3):  # both reach the oldest generation, where only a full collection looks
            gc.collect(1)
        died = weakref.ref(dies)
        del dies
        # Only the catch-up collects from here on (an automatic full collection could free the cycle
        # first and hide a catch-up that froze before collecting).
        gc.disable()
        gc.callbacks.append(on_collection)
        gc_tuning.release_full_collections()  # the sync ended: the catch-up follows a second later
        qtbot.waitUntil(lambda: bool(full), timeout=10_000)
        assert died() is None  # the sync's garbage was freed, not frozen
        assert not any(o is lives for o in gc.get_objects())  # what lives was frozen: out of every scan
        later = _Cyclic()
        later_ref = weakref.ref(later)
        del later
        gc.collect(1)  # into the oldest generation, with what the catch-up froze
        gc.collect()
        assert later_ref() is None  # a cycle made after the freeze is still freed
        assert lives.me is lives
    finally:
        if on_collection in gc.callbacks:
            gc.callbacks.remove(on_collection)
        gc.enable()
        gc.unfreeze()
        gc.set_threshold(*before)
        gc_tuning._settled, gc_tuning._held = False, None


def test_one_catch_up_as_the_pull_begins_frees_the_push_garbage_and_freezes_what_lives(
        qtbot: Any, monkeypatch: Any) -> None:
    """A big sync's objects are collected in two steps (when its pull begins, and at its end), not
    one long pause at the end; one step per sync, and none for a sync that made few objects."""
    from xsync_desktop.ui import gc_tuning

    before = gc.get_threshold()
    gc_tuning._settled, gc_tuning._held = False, None
    try:
        gc_tuning.settle_after_start()
        assert not gc_tuning.catch_up_as_the_pull_begins()  # no sync running: nothing held
        gc_tuning.hold_full_collections()  # a sync starts
        lives, dies = _Cyclic(), _Cyclic()
        died = weakref.ref(dies)
        del dies
        gc.disable()  # only the step collects from here on
        monkeypatch.setattr(gc_tuning, "STEP_OBJECTS", 1)
        assert gc_tuning.catch_up_as_the_pull_begins()
        assert died() is None  # the push's garbage freed
        assert not any(o is lives for o in gc.get_objects())  # what lives frozen: out of the end's walk
        again = _Cyclic()
        again_ref = weakref.ref(again)
        del again
        assert not gc_tuning.catch_up_as_the_pull_begins()  # one step per sync
        assert again_ref() is not None  # (nothing collected by that call)
        gc.enable()
        gc_tuning.release_full_collections()
        gc.collect()
        assert again_ref() is None
        gc_tuning.hold_full_collections()  # the next sync, a small one
        monkeypatch.setattr(gc_tuning, "STEP_OBJECTS", 10_000_000)
        assert not gc_tuning.catch_up_as_the_pull_begins()
        gc_tuning.release_full_collections()
    finally:
        gc.enable()
        gc.unfreeze()
        gc.set_threshold(*before)
        gc_tuning._settled, gc_tuning._held = False, None


def test_a_sync_in_the_window_takes_its_catch_up_step_as_the_pull_begins(
        demo_app: Any, qtbot: Any, monkeypatch: Any) -> None:
    """The wiring: the window's sync controller takes the step when the engine reports a pull phase,
    while the sync still runs (as run_gui settles the collector first)."""
    from xsync_desktop.ui import gc_tuning

    services, window = demo_app
    before = gc.get_threshold()
    gc_tuning._settled, gc_tuning._held = False, None
    phases: list[str] = []
    window.sync.progress.connect(lambda p: phases.append(p.phase))
    steps: list[str] = []
    real = gc_tuning.catch_up_as_the_pull_begins

    def step() -> bool:
        took = real()
        if took:
            steps.append(phases[-1] if phases else "")
        return took

    monkeypatch.setattr(gc_tuning, "catch_up_as_the_pull_begins", step)
    monkeypatch.setattr(gc_tuning, "STEP_OBJECTS", 1)
    try:
        gc_tuning.settle_after_start()
        with qtbot.waitSignal(window.sync.finished, timeout=60_000) as blocker:
            window.view("dashboard").sync_button.click()
        assert blocker.args[0].outcome == "succeeded"
        assert steps == ["pull_payments"], (steps, phases)  # once, as the first pull phase began
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
        gc_tuning._settled, gc_tuning._held = False, None


def test_the_app_shortens_the_switch_interval(qtbot: Any) -> None:
    """The GUI thread gets the GIL back from a busy sync worker within a millisecond, not CPython's 5 ms."""
    from xsync_desktop.ui import switch_interval

    previous = sys.getswitchinterval()
    sys.setswitchinterval(0.005)  # CPython's default, whatever an earlier test left
    try:
        assert switch_interval.shorten_for_gui() == pytest.approx(0.005)
        assert sys.getswitchinterval() == pytest.approx(switch_interval.GUI_SWITCH_INTERVAL)
        assert switch_interval.GUI_SWITCH_INTERVAL < 0.005
    finally:
        sys.setswitchinterval(previous)


def test_sandbox_process_serves_a_real_login_and_stops(tmp_path: Any) -> None:
    from tests.fixtures.xero import free_loopback_ports
    from xsync_desktop.composition.demo import browser_for
    from xsync_desktop.composition.sandbox_process import SandboxProcess
    from xsync_desktop.xero.endpoints import DEFAULT_SCOPES, XeroEndpoints
    from xsync_desktop.xero.login import LoopbackLogin

    ports = free_loopback_ports()
    state = tmp_path / "sandbox state.json"
    proc = SandboxProcess(state_file=state, rate_limits=False, redirect_ports=ports)
    try:
        assert proc.running
        login = LoopbackLogin(XeroEndpoints.for_sandbox(proc.base_url), proc.config.client_id, DEFAULT_SCOPES,
                              ports, opener=browser_for(proc.approve), timeout=20)
        login.start()
        tokens = login.wait()
        assert tokens.access_token
        assert httpx.get(f"{proc.base_url}/__admin/stats", timeout=5).status_code == 403  # no secret: refused
        assert httpx.get(f"{proc.base_url}/__admin/stats", timeout=5,
                         headers={"X-Sandbox-Admin-Secret": proc.admin_secret}).status_code == 200
    finally:
        proc.stop()
    assert not proc.running
    assert state.is_file()  # stopping by closing stdin let it save its state


WARM_CHECK = r'''
import json, sys, tempfile
from pathlib import Path
from xsync_desktop.ui import gc_tuning
gc_tuning.warm_imports()
from xsync_desktop.composition import headless
from xsync_desktop.ledger.demo import generate_demo_ledger
from xsync_desktop.profile import Profile
from xsync_desktop.store.store import open_store
with tempfile.TemporaryDirectory() as tmp:
    profile = Profile(Path(tmp) / "p").ensure()
    store = open_store(profile.database_url, profile.backups_dir)
    with store.sessions.begin() as s:
        generate_demo_ledger(s, invoices=3, seed=3)
    ports = headless.free_loopback_ports()
    sandbox = headless.start_sandbox(profile, ports)
    before = set(sys.modules)
    try:
        setup = headless.demo_connection(store, sandbox.base_url, ports)
        client = setup.factory()
        try:
            client.organisation()
        finally:
            client.close()
    finally:
        sandbox.stop()
        store.close()
print(json.dumps(sorted(set(sys.modules) - before)))
'''


def test_the_start_warms_the_transport_a_sync_loads(tmp_path: Any) -> None:
    """The app's first request to Xero, after the start's warm imports, imports none of httpx's
    transport (httpcore, h11) or the IDNA codec: imported during the first sync they were about
    2,000 live objects its catch-up collection walked while the window waited (issue 16)."""
    import json
    import subprocess

    done = subprocess.run([sys.executable, "-c", WARM_CHECK], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    new = json.loads(done.stdout.strip().splitlines()[-1])
    loaded = [m for m in new if m.split(".")[0] in ("httpcore", "h11", "anyio", "stringprep") or m == "encodings.idna"]
    assert not loaded, loaded
