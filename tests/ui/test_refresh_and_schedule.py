"""Views refresh coalesced (not once per change), and the scheduler starts syncs on its own."""

from __future__ import annotations

from typing import Any

from xsync_desktop.ui.qt import QObject, Qt, QtWidgets, Signal
from xsync_desktop.ui.refresh import RefreshCoalescer


class _Hub(QObject):
    changed = Signal(str)


def _view(qtbot: Any, delay_ms: int) -> tuple[_Hub, QtWidgets.QWidget, list[int], RefreshCoalescer]:
    """A bare widget whose coalescer listens to the "runs" topic; `calls` grows at each refresh."""
    hub = _Hub()
    widget = QtWidgets.QWidget()
    qtbot.addWidget(widget)
    calls: list[int] = []
    return hub, widget, calls, RefreshCoalescer(widget, lambda: calls.append(1), hub.changed, ("runs",),
                                                delay_ms=delay_ms)


def test_many_changes_make_one_refresh(qtbot: Any) -> None:
    hub, widget, calls, co = _view(qtbot, 50)
    widget.show()
    for _ in range(500):
        hub.changed.emit("runs")
    hub.changed.emit("mappings")  # not this view's topic
    qtbot.waitUntil(lambda: calls == [1])
    # Nothing is left to fire: not dirty and no timer running (no fixed wait needed to see that).
    assert calls == [1] and not co.dirty and not co._timer.isActive()


def test_hidden_view_refreshes_when_shown(qtbot: Any) -> None:
    hub, widget, calls, co = _view(qtbot, 10)
    hub.changed.emit("runs")
    # Hidden: the change is remembered, and no timer was even started to refresh it.
    assert calls == [] and co.dirty and not co._timer.isActive()
    widget.show()
    qtbot.waitUntil(lambda: calls == [1])


def test_scheduled_sync_runs_and_a_failure_is_announced(ui_app: Any, qtbot: Any) -> None:
    services, window = ui_app()
    scheduler = window.scheduler
    assert not scheduler.timer.isActive()
    services.set_settings(schedule_minutes="15")
    assert scheduler.timer.isActive() and scheduler.timer.interval() == 15 * 60_000
    assert not scheduler.tick()  # no organisation chosen: nothing to do
    services.set_settings(tenant_id="t-offline", tenant_name="Nowhere Ltd")
    # Not signed in (empty keyring): the scheduled run fails, and says why.
    with qtbot.waitSignal(scheduler.scheduled_failed, timeout=30_000) as sig:
        assert scheduler.tick()
    assert "Connect to Xero" in sig.args[0] or "connect" in sig.args[0].lower()
    assert scheduler.tray is None or QtWidgets.QSystemTrayIcon.isSystemTrayAvailable()
    services.set_settings(schedule_minutes="0")
    assert not scheduler.timer.isActive()


def test_a_scheduled_sync_finding_another_sync_running_is_skipped_quietly(demo_app: Any, qtbot: Any) -> None:
    """Several desks (or a desk and its scheduled task) on one schedule: the tick that finds the
    organisation's run lock held skips without a tray warning; a manual sync is told plainly."""
    from sqlalchemy import func, select

    from xsync_desktop.store.models import SyncRun
    from xsync_desktop.sync.run_lock import run_lock_for

    services, window = demo_app
    tenant_id, _ = services.tenant()
    other = run_lock_for(services.store.engine, tenant_id, services.profile.lock_path)
    assert other is not None
    other.acquire()  # what another process's sync holds
    try:
        with qtbot.waitSignal(window.sync.skipped, timeout=30_000) as skipped:
            assert window.scheduler.tick()
        assert "already running" in skipped.args[0]
        assert window.scheduler.last_tray_message is None
        dash = window.view("dashboard")
        with qtbot.waitSignal(window.sync.failed, timeout=30_000):
            qtbot.mouseClick(dash.sync_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dash.banner.isVisible())
        assert "already running" in dash.banner.text()
    finally:
        other.release()
    with services.store.sessions() as s:
        assert s.scalar(select(func.count()).select_from(SyncRun)) == 0  # neither left a run behind
