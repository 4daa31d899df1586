"""Live views: a desk's open window shows what another desk did (a decision, a sync) within
seconds, through PostgreSQL's LISTEN/NOTIFY into the coalesced refresh; nobody touches it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.desks.conftest import ROOT, Desk, desk_window
from tests.desks.test_one_decision import DECIDE, _due_date_conflict
from tests.fixtures.ui import click_sidebar
from tests.ui.conftest import OFFSCREEN_NOISE
from xsync_desktop.store.models import SyncRun
from xsync_desktop.store.store import Store


@pytest.mark.qt_log_ignore(*OFFSCREEN_NOISE)
def test_an_open_window_follows_another_desks_decision_and_sync(
        desks: list[Desk], shared_url: str, shared_store: Store, sandbox_admin, qtbot: Any,  # noqa: ANN001
        tmp_path: Path) -> None:
    exc_id, _ = _due_date_conflict(desks, shared_store, sandbox_admin)
    with desk_window(qtbot, tmp_path / "bookkeeper window ü", shared_url) as (_, window):
        click_sidebar(qtbot, window, "exceptions")
        view = window.view("exceptions")
        qtbot.waitUntil(lambda: exc_id in [r.id for r in view.model.rows() if r.is_open], timeout=10_000)

        decided = subprocess.run([sys.executable, "-c", DECIDE, shared_url, str(exc_id), "Maria at desk 1"],
                                 env=dict(desks[0].env, PYTHONPATH=str(ROOT)), capture_output=True, text=True,
                                 timeout=120)
        assert decided.stdout.strip() == "applied", decided.stdout + decided.stderr
        # (the sync's held ledger edit stays listed until a sync sends it; the exception is closed)
        qtbot.waitUntil(lambda: exc_id not in [r.id for r in view.model.rows() if r.is_open], timeout=10_000)

        click_sidebar(qtbot, window, "dashboard")
        dash = window.view("dashboard")
        with shared_store.sessions() as s:
            runs_before = s.scalar(select(func.count()).select_from(SyncRun))
        synced = desks[1].run("sync")
        assert synced.returncode == 0, synced.stdout + synced.stderr
        with shared_store.sessions() as s:
            newest = s.scalars(select(SyncRun).order_by(SyncRun.id.desc())).first()
        assert newest is not None and s is not None and newest.id > runs_before
        qtbot.waitUntil(lambda: dash.last_run is not None and dash.last_run.id == newest.id, timeout=10_000)
