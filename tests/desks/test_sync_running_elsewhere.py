"""What an open window shows while another desk syncs (issue 17, point 1).

Desk 1 is a separate process syncing the shared PostgreSQL database's organisation; desk 2 is
the real window in this process, on its own profile. Without anyone touching it, desk 2's
dashboard says "Sync running on FRONT-DESK-1 since <time> (<user>)" (LISTEN/NOTIFY brings the
new run; the run lock's holder row says who). Its scheduled ticks skip quietly, however many
come (nothing piles up: no run, no waiting worker, no tray warning); "Sync now" is told the
same sentence; the person reviews meanwhile; when desk 1 finishes, the sentence goes.

Desk 1 is frozen with SIGSTOP once it holds the lock, so the window's checks never race the
end of its sync; its connection (and so the lock) stays open while it is stopped.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.desks.conftest import Desk, desk_window
from tests.fixtures.ui import click_sidebar
from tests.ui.conftest import OFFSCREEN_NOISE
from xsync_desktop.ledger.demo import generate_demo_ledger
from xsync_desktop.store.database import session_scope
from xsync_desktop.store.models import SyncRun
from xsync_desktop.store.store import Store
from xsync_desktop.sync.run_lock import DESK_NAME_ENV
from xsync_desktop.ui.qt import Qt

TICKS = 3  # scheduled ticks while desk 1 syncs: each one is skipped, none is queued


def _runs(store: Store) -> list[tuple[int, str, str]]:
    with store.sessions() as s:
        return [(r.id, r.trigger, r.outcome) for r in s.scalars(select(SyncRun).order_by(SyncRun.id))]


@pytest.mark.qt_log_ignore(*OFFSCREEN_NOISE)
def test_an_open_window_shows_who_is_syncing_and_its_schedule_skips(
        desks: list[Desk], shared_url: str, shared_store: Store, sandbox_admin, qtbot: Any,  # noqa: ANN001
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with session_scope(shared_store.sessions) as s:
        generate_demo_ledger(s, invoices=40)
    monkeypatch.setenv(DESK_NAME_ENV, "FRONT-DESK-2")
    sandbox_admin.faults("delay", path="/api.xro/2.0/", seconds=1.0)  # a sync of some seconds
    with desk_window(qtbot, tmp_path / "front desk 2 ü", shared_url) as (services, window):
        services.set_settings(schedule_minutes="15")  # every desk on the same schedule
        dash = window.view("dashboard")
        desk1 = desks[0].start("sync")
        try:
            # Nobody touches desk 2: the run desk 1 starts reaches its dashboard by itself.
            qtbot.waitUntil(lambda: "Sync running on FRONT-DESK-1 since " in dash.banner.text()
                            or desk1.poll() is not None, timeout=120_000)
            assert desk1.poll() is None, desk1.communicate()[0]
            desk1.send_signal(signal.SIGSTOP)  # holds the lock (its connection stays open) until SIGCONT
            assert dash.banner.isVisible()
            assert "You can review everything meanwhile" in dash.banner.text()
            runs_while_busy = _runs(shared_store)
            assert [(t, o) for _, t, o in runs_while_busy][-1] == ("cli", "running")

            for _ in range(TICKS):  # the timer's ticks, as they come every 15 minutes
                with qtbot.waitSignal(window.sync.skipped, timeout=30_000) as skipped:
                    assert window.scheduler.tick()
                assert "Sync running on FRONT-DESK-1 since " in skipped.args[0]
                assert not window.sync.running  # nothing left waiting for the lock
            assert window.scheduler.last_tray_message is None
            assert _runs(shared_store) == runs_while_busy  # the skipped ticks left no run behind

            with qtbot.waitSignal(window.sync.failed, timeout=30_000):
                qtbot.mouseClick(dash.sync_button, Qt.MouseButton.LeftButton)
            assert "Sync running on FRONT-DESK-1 since " in dash.banner.text()
            click_sidebar(qtbot, window, "exceptions")  # reviewing goes on meanwhile
            click_sidebar(qtbot, window, "dashboard")

            desk1.send_signal(signal.SIGCONT)
            sandbox_admin.clear_faults()
            out = desk1.communicate(timeout=300)[0]
            assert desk1.returncode == 0, out
            # The sentence goes once desk 1's run ends (the same notification path brings the end).
            qtbot.waitUntil(lambda: not dash.banner.isVisible(), timeout=10_000)
            assert dash.last_run is not None and dash.last_run.outcome == "succeeded"
            assert [t for _, t, _ in _runs(shared_store)] == ["cli"]
        finally:
            if desk1.poll() is None:
                desk1.send_signal(signal.SIGCONT)
                desk1.kill()
                desk1.wait(30)
