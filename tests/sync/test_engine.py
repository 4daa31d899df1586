"""Engine behaviour around runs: one at a time per profile, cancel, progress, run records, CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.fixtures.sync import SyncRig, assert_no_duplicates
from xsync_desktop.store.models import SyncItem, SyncRun
from xsync_desktop.sync.progress import CancelToken, Progress
from xsync_desktop.sync.run_lock import RunLock, SyncBusy, run_lock_for

ROOT = Path(__file__).resolve().parents[2]


def test_run_lock_refuses_a_second_holder_and_is_freed_when_a_holder_dies(tmp_path: Path) -> None:
    path = tmp_path / "prof ü" / "sync.lock"
    with RunLock(path):
        with pytest.raises(SyncBusy):
            RunLock(path).acquire()
    # a process that holds the lock and is killed leaves it free (its sleep only keeps it alive until the kill)
    code = ("import sys,time; sys.path.insert(0, sys.argv[2]);"
            "from xsync_desktop.sync.run_lock import RunLock; l=RunLock(sys.argv[1]); l.acquire();"
            "print('held', flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(path), str(ROOT)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        with pytest.raises(SyncBusy):
            RunLock(path).acquire()
    finally:
        proc.kill()
        proc.wait()
    with RunLock(path) as lock:
        assert lock.held


def test_second_run_on_the_same_profile_is_refused(sync_rig: SyncRig) -> None:
    # The lock another process would hold: the profile's file on SQLite, the organisation's
    # advisory lock on PostgreSQL (tests/desks has the several-desk cases).
    other = run_lock_for(sync_rig.store.engine, sync_rig.tenant_id, sync_rig.profile.lock_path)
    assert other is not None
    other.acquire()
    try:
        with pytest.raises(SyncBusy):
            sync_rig.run()
    finally:
        other.release()
    assert sync_rig.run().outcome == "succeeded"


def test_cancel_between_requests_ends_the_run_cancelled_and_the_next_run_finishes(sync_rig: SyncRig) -> None:
    token = CancelToken()
    seen: list[Progress] = []

    def progress(p: Progress) -> None:
        seen.append(p)
        if p.phase == "invoices" and p.done >= 50:
            token.cancel()

    result = sync_rig.run(progress=progress, cancel=token)
    assert result.outcome == "cancelled"
    assert "Stopped at your request" in result.message
    with sync_rig.store.sessions() as s:
        run = s.get(SyncRun, result.run_id)
        assert run.outcome == "cancelled" and run.finished_at is not None
        assert not s.scalars(select(SyncItem).where(SyncItem.run_id == run.id, SyncItem.outcome == "pending")).all()
    assert 0 < len(sync_rig.objects("Invoices")) < 118
    again = sync_rig.run()
    assert again.outcome == "succeeded"
    assert_no_duplicates(sync_rig)


def test_run_records_counts_timings_and_calls(sync_rig: SyncRig) -> None:
    result = sync_rig.run()
    with sync_rig.store.sessions() as s:
        run = s.get(SyncRun, result.run_id)
        assert run.outcome == "succeeded" and run.trigger == "manual"
        assert run.finished_at >= run.started_at
        assert run.api_calls == result.counts["api_calls"] > 0
        assert run.invoices_pushed == 118 and run.payments_pushed > 0 and run.contacts_synced > 0
        items = s.scalars(select(SyncItem).where(SyncItem.run_id == run.id, SyncItem.action == "create")).all()
        assert all(i.finished_at is not None and i.attempts == 1 and i.idempotency_key for i in items)
    # a bulk push packs many records into each call
    records = result.counts["invoices_pushed"] + result.counts["payments_pushed"] + result.counts["contacts_synced"]
    assert records / result.counts["api_calls"] > 10


def test_engine_runs_in_a_worker_thread(sync_rig: SyncRig) -> None:
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("r", sync_rig.run(trigger="scheduled")))
    t.start()
    t.join(120)
    assert out["r"].outcome == "succeeded"


def test_cli_sync_against_a_running_sandbox(tmp_path: Path, sandbox) -> None:  # noqa: ANN001
    env = dict(os.environ, XSYNC_DEMO_SANDBOX=sandbox.base_url, PYTHONPATH=str(ROOT))
    prof = tmp_path / "cli profile"
    subprocess.run([sys.executable, "-m", "xsync_desktop", "--profile", str(prof), "demo-data",
                    "--invoices", "60"], env=env, check=True, capture_output=True, timeout=120)
    dry = subprocess.run([sys.executable, "-m", "xsync_desktop", "--profile", str(prof), "sync", "--dry-run"],
                         env=env, capture_output=True, text=True, timeout=120)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "Dry run" in dry.stdout
    done = subprocess.run([sys.executable, "-m", "xsync_desktop", "--profile", str(prof), "sync"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "succeeded" in done.stdout
    retry = subprocess.run([sys.executable, "-m", "xsync_desktop", "--profile", str(prof), "sync",
                            "--retry-failed"], env=env, capture_output=True, text=True, timeout=120)
    assert retry.returncode == 0 and "Nothing to retry" in retry.stdout
