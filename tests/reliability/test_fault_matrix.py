"""The fault matrix: each way Xero, the network or the machine can fail, and what must happen.

Where the exit code is part of the expectation, the test runs the real headless
`python -m xsync_desktop --profile DIR sync` against an in-process sandbox (the
CLI signs in through the real PKCE flow each time). Where the fault needs a knob
the CLI does not expose (a short client timeout, instant backoff), the test runs
the real engine in-process through the `sync_rig` fixture. Either way: real
SQLite files, real sockets, faults injected through the sandbox's admin surface.

| fault                          | expected                                                           |
|--------------------------------|--------------------------------------------------------------------|
| 429 minute                     | waits Retry-After, completes (exit 0)                              |
| 429 day                        | run "paused" with resume_at, exit 4; the next run continues        |
| 500 / 503 a few times          | retried with backoff, completes (exit 0), no duplicate             |
| 500 / 503 past the retries     | those items failed, run completes with failures, no duplicate;     |
|                                | the next run sends them exactly once                               |
| delay past the client timeout  | retried (same Idempotency-Key), no duplicate                       |
| connection dropped after commit| settled by natural key on the next run, no duplicate               |
| 401 mid-run                    | exactly one refresh, completes                                     |
| invalid_grant on refresh       | run ends "reconnect needed", exit 5, no traceback, no retry loop   |
| DB write-locked by a process   | short lock: waits, then succeeds; long lock: plain message, exit 6 |
| disk full on the log           | the sync completes and its run is recorded                         |
"""

from __future__ import annotations

import errno
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.fixtures.sandbox import fast_config
from tests.fixtures.sync import SyncRig, assert_compare_agrees, assert_no_duplicates
from tests.reliability.helpers import (
    assert_verify_agrees,
    check_consistency,
    cli_args,
    cli_env,
    open_profile_store,
    profile_tenant,
    run_cli,
)
from tests.waiting import wait_until
from xsync_desktop.exit_codes import ExitCode
from xsync_desktop.sandbox import SandboxServer
from xsync_desktop.sandbox.admin_client import SandboxAdmin
from xsync_desktop.store.models import Invoice, SyncItem, SyncRun

pytestmark = pytest.mark.reliability

API = "/api.xro/2.0"
INVOICES = f"{API}/Invoices"
PAYMENTS = f"{API}/Payments"
CONTACTS = f"{API}/Contacts"
CLI_INVOICES = "40"


# -- the CLI rig ---------------------------------------------------------------------------------
@dataclass
class CliRig:
    srv: SandboxServer
    admin: SandboxAdmin
    profile: Path
    env: dict[str, str]

    def sync(self, *extra: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return run_cli(self.profile, self.env, "sync", *extra, timeout=timeout)

    def start_sync(self) -> subprocess.Popen[str]:
        return subprocess.Popen(cli_args(self.profile, "sync"), env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)

    @property
    def tenant(self) -> str:
        return profile_tenant(self.profile)

    def runs(self) -> list[SyncRun]:
        store = open_profile_store(self.profile)
        try:
            with store.sessions() as s:
                return list(s.scalars(select(SyncRun).order_by(SyncRun.id)))
        finally:
            store.close()

    def assert_consistent(self) -> None:
        c = check_consistency(self.profile, self.admin, self.tenant)
        assert not c.problems(), c.problems()
        # Compare with Xero: every linked record read back agrees, or an exception already says why.
        assert_verify_agrees(self.profile, self.env)


@pytest.fixture
def cli_rig(tmp_path: Path) -> Iterator[CliRig]:
    """A small demo ledger in a profile, and a sandbox (rate limits on, windows 1000x faster)."""
    srv = SandboxServer(fast_config(time_scale=1000)).start()
    prof = tmp_path / "fault profile ü"
    env = cli_env(srv.base_url)
    made = run_cli(prof, env, "demo-data", "--invoices", CLI_INVOICES, timeout=120)
    assert made.returncode == 0, made.stdout + made.stderr
    try:
        with SandboxAdmin.of(srv) as admin:
            yield CliRig(srv, admin, prof, env)
    finally:
        srv.stop()


def _no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    text = proc.stdout + proc.stderr
    assert "Traceback" not in text, text


def _faults_left(rig: CliRig) -> int:
    """Injected faults not yet consumed (a fault that never fired proves nothing)."""
    with rig.srv.faults._lock:
        return len(rig.srv.faults._faults)


# -- 429 --------------------------------------------------------------------------------------------
def test_429_minute_waits_retry_after_and_completes(cli_rig: CliRig) -> None:
    cli_rig.admin.faults("rate_limit_minute", method="PUT", path=INVOICES, count=1, seconds=2)
    started = time.monotonic()
    done = cli_rig.sync()
    waited = time.monotonic() - started
    assert done.returncode == ExitCode.OK, done.stdout + done.stderr
    _no_traceback(done)
    assert _faults_left(cli_rig) == 0
    assert waited >= 2  # it could not have finished without sitting out Retry-After (not a timing target)
    assert cli_rig.runs()[-1].outcome == "succeeded"
    cli_rig.assert_consistent()


def test_429_day_pauses_with_resume_at_exit_4_and_the_next_run_continues(cli_rig: CliRig) -> None:
    cli_rig.admin.faults("rate_limit_day", method="PUT", path=PAYMENTS, count=1, seconds=3600)
    paused = cli_rig.sync()
    assert paused.returncode == ExitCode.PAUSED, paused.stdout + paused.stderr
    _no_traceback(paused)
    assert _faults_left(cli_rig) == 0
    assert "Resumes after" in paused.stdout
    run = cli_rig.runs()[-1]
    assert run.outcome == "paused" and run.resume_at is not None and run.finished_at is not None
    assert cli_rig.admin.objects(cli_rig.tenant, "Payments") == []
    resumed = cli_rig.sync()
    assert resumed.returncode == ExitCode.OK, resumed.stdout + resumed.stderr
    assert "invoices 0," in resumed.stdout  # continued where it stopped: invoices were already there
    assert cli_rig.admin.objects(cli_rig.tenant, "Payments")
    cli_rig.assert_consistent()


# -- 5xx ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [500, 503])
def test_5xx_a_few_times_is_retried_with_backoff_and_completes(cli_rig: CliRig, status: int) -> None:
    cli_rig.admin.faults("status", method="PUT", path=INVOICES, status=status, count=2)
    done = cli_rig.sync()
    assert done.returncode == ExitCode.OK, done.stdout + done.stderr
    _no_traceback(done)
    assert _faults_left(cli_rig) == 0
    # the two refused attempts were made, then the same batch went through
    assert cli_rig.runs()[-1].failed == 0
    cli_rig.assert_consistent()


@pytest.mark.parametrize("status", [500, 503])
def test_5xx_past_the_retries_fails_items_then_the_next_run_sends_them_once(sync_rig: SyncRig, status: int) -> None:
    sync_rig.fault(action="status", status=status, method="PUT", path=PAYMENTS, count=6)
    result = sync_rig.run()
    assert result.outcome == "failed", result.message
    failed = [i for i in sync_rig.items(result.run_id) if i.outcome == "failed"]
    assert failed and {i.entity for i in failed} == {"payment"}
    assert all((i.message or "").startswith("Xero is not responding properly") for i in failed)
    backoffs = [s for s in sync_rig.xero.sleeps if s > 0]
    assert len(backoffs) >= 5  # backed off between the retries
    assert_no_duplicates(sync_rig)
    again = sync_rig.run()
    assert again.outcome == "succeeded", again.message
    refs = [r["Reference"] for r in sync_rig.objects("Payments")]
    assert len(refs) == len(set(refs))
    assert_no_duplicates(sync_rig)
    assert_compare_agrees(sync_rig)


def test_503_to_everything_on_the_demo_first_sync_says_what_a_configured_profile_says(cli_rig: CliRig) -> None:
    """Issue 15 case 4: the demo's first sync (no mapping yet) with every Xero call answered 503."""
    from xsync_desktop.sync import messages

    cli_rig.admin.faults("status", status=503)  # every accounting call, until cleared
    first = cli_rig.sync(timeout=300)
    _no_traceback(first)
    assert first.returncode == ExitCode.FAILURES, first.stdout + first.stderr
    assert messages.UNAVAILABLE in first.stdout
    cli_rig.admin.clear_faults()
    configured = cli_rig.sync()
    assert configured.returncode == ExitCode.OK, configured.stdout + configured.stderr
    cli_rig.admin.faults("status", status=503)
    again = cli_rig.sync(timeout=300)
    _no_traceback(again)
    assert again.returncode == first.returncode
    assert messages.UNAVAILABLE in again.stdout
    cli_rig.admin.clear_faults()
    cli_rig.assert_consistent()


# -- slow answers and lost answers ---------------------------------------------------------------
def test_delay_past_the_client_timeout_is_retried_without_duplicate(sync_rig: SyncRig) -> None:
    from xsync_desktop.sync.engine import SyncEngine

    http = httpx.Client(timeout=httpx.Timeout(0.5, connect=5.0))
    clients: list[Any] = []

    def factory() -> Any:
        c = sync_rig.xero.new_client(http=http)
        clients.append(c)
        return c

    engine = SyncEngine(sync_rig.store, factory, sync_rig.tenant_id, lock_path=sync_rig.profile.lock_path)
    sync_rig.fault(action="delay", method="PUT", path=INVOICES, seconds=1.5, count=1)
    sync_rig.fault(action="delay", method="PUT", path=CONTACTS, seconds=1.5, count=1)
    try:
        result = engine.run()
    finally:
        http.close()
    timed_out = [e for e in sync_rig.xero.requests if e.method == "PUT" and e.status is None]
    assert len(timed_out) >= 2, "the delays should have outlasted the 0.5 s client timeout"
    assert result.outcome == "succeeded", result.message
    # The delayed originals are still being answered: let the sandbox finish them (they commit
    # nothing new: same key) before counting what Xero holds.
    wait_until(lambda: sync_rig.admin.stats()["in_flight"] == 0, "the sandbox to answer the delayed originals")
    assert_no_duplicates(sync_rig)
    with sync_rig.store.sessions() as s:
        ledger = len(s.scalars(select(Invoice).where(Invoice.status == "authorised")).all())
    assert len([r for r in sync_rig.objects("Invoices") if r["Status"] != "DELETED"]) == ledger
    assert_compare_agrees(sync_rig)


@pytest.mark.parametrize("path", [CONTACTS, PAYMENTS])
def test_dropped_connection_after_commit_is_settled_by_natural_key(sync_rig: SyncRig, path: str) -> None:
    # every attempt of the first batch is committed in Xero and its answer lost
    sync_rig.fault(action="drop_after_commit", method="PUT", path=path, count=6)
    first = sync_rig.run()
    assert first.outcome == "failed"
    assert_no_duplicates(sync_rig)
    sync_rig.admin.clock(advance=3600)  # past the Idempotency-Key window: only the natural key can tell
    again = sync_rig.run()
    assert again.outcome == "succeeded", again.message
    settled = [i for i in sync_rig.items(again.run_id) if i.action == "settle"]
    assert settled and all(i.outcome == "succeeded" for i in settled)
    assert_no_duplicates(sync_rig)
    assert_compare_agrees(sync_rig)


# -- tokens ---------------------------------------------------------------------------------------
def _used_refresh_tokens(srv: SandboxServer) -> int:
    with srv.state.lock:
        return sum(1 for r in srv.state.refresh_tokens.values() if r.get("first_used"))


def test_401_mid_run_refreshes_once_and_completes(cli_rig: CliRig) -> None:
    # an expired token on the pull phase's first read, after the push phases went through
    cli_rig.admin.faults("token_expired", method="GET", path=PAYMENTS, count=1)
    before = _used_refresh_tokens(cli_rig.srv)
    done = cli_rig.sync()
    assert done.returncode == ExitCode.OK, done.stdout + done.stderr
    _no_traceback(done)
    assert _faults_left(cli_rig) == 0
    assert _used_refresh_tokens(cli_rig.srv) - before == 1
    assert cli_rig.runs()[-1].outcome == "succeeded"
    cli_rig.assert_consistent()


def test_invalid_grant_ends_the_run_reconnect_needed_exit_5_without_a_loop(cli_rig: CliRig) -> None:
    first = cli_rig.sync()  # a first, clean run: links exist, the next run has pulls to do
    assert first.returncode == ExitCode.OK, first.stdout + first.stderr
    cli_rig.admin.reset()  # stats from here
    # Slow the run's first Accounting call; while it is in flight, jump the sandbox clock past the
    # refresh token's 60-day life: the next call's access token is refused, and the refresh that
    # follows gets invalid_grant.
    cli_rig.admin.faults("delay", method="GET", path=API, seconds=2, count=1)
    proc = cli_rig.start_sync()
    wait_until(lambda: cli_rig.admin.stats()["total"], "the run's first Accounting call")
    cli_rig.admin.clock(advance=61 * 86400)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == ExitCode.RECONNECT, out
    assert "Traceback" not in out, out
    assert "connect" in out.lower()
    run = cli_rig.runs()[-1]
    assert run.outcome == "failed" and run.finished_at is not None
    # no loop: the refused call was not retried over and over
    assert cli_rig.admin.stats()["total"] <= 3, cli_rig.admin.stats()
    assert "Xero calls" in out
    # No Compare with Xero here: the organisation cannot be read until someone reconnects, and
    # this run sent nothing (the first run, which did, ended clean).


# -- the machine -------------------------------------------------------------------------------------
LOCKER = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
db.execute("BEGIN IMMEDIATE")  # a write lock, as another program writing to the ledger would hold
db.execute("UPDATE app_setting SET value = value")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))  # the thing under test: another program holding the lock this long
db.execute("COMMIT")
"""


def _hold_write_lock(db: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", LOCKER, str(db), str(seconds)], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_db_locked_briefly_by_another_process_waits_then_succeeds(cli_rig: CliRig) -> None:
    assert cli_rig.sync().returncode == ExitCode.OK  # settings and mappings saved; the next run is a plain one
    locker = _hold_write_lock(cli_rig.profile / "xsync.db", 3)
    try:
        done = cli_rig.sync()
    finally:
        locker.wait(30)
    assert done.returncode == ExitCode.OK, done.stdout + done.stderr
    _no_traceback(done)
    assert cli_rig.runs()[-1].outcome == "succeeded"
    cli_rig.assert_consistent()


def test_db_locked_longer_than_the_busy_timeout_says_so_plainly_exit_6(cli_rig: CliRig) -> None:
    assert cli_rig.sync().returncode == ExitCode.OK
    # Held until the sync has given up (killed below), not for a fixed time: a slow start of the
    # CLI on a loaded machine ate into a fixed 22 s and the sync then found the lock gone.
    locker = _hold_write_lock(cli_rig.profile / "xsync.db", 600)
    try:
        done = cli_rig.sync()
    finally:
        locker.kill()
        locker.wait(10)
    assert "Traceback" not in done.stdout + done.stderr, (done.stdout + done.stderr)[-600:]
    assert done.returncode == ExitCode.ENVIRONMENT, done.stdout + done.stderr
    cli_rig.assert_consistent()  # the lock gone, nothing half-written: the books still agree


class _FullDisk:
    """A stream on a full disk: every write fails with ENOSPC (like a log file on a full volume)."""

    def write(self, _text: str) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def flush(self) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def close(self) -> None:
        pass


def test_disk_full_on_the_log_does_not_stop_the_sync(sync_rig: SyncRig, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from xsync_desktop.ui.errors import setup_logging

    logs = tmp_path / "logs"
    logs.mkdir()
    if Path("/dev/full").exists():  # the real thing: the kernel answers ENOSPC on every write
        (logs / "xsync-desktop.log").symlink_to("/dev/full")
    handler = setup_logging(logs, level=logging.DEBUG)
    if not Path("/dev/full").exists():
        handler.stream = _FullDisk()  # type: ignore[attr-defined]
    root = logging.getLogger()
    old_level = root.level
    root.setLevel(logging.DEBUG)
    try:
        logging.getLogger("xsync_desktop.sync").info("a line that cannot be written")
        result = sync_rig.run()
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        try:
            handler.close()
        except OSError:
            pass
    assert result.outcome == "succeeded", result.message
    assert "No space left on device" in capsys.readouterr().err  # the log really was failing
    with sync_rig.store.sessions() as s:
        run = s.get(SyncRun, result.run_id)
        assert run is not None and run.outcome == "succeeded" and run.finished_at is not None
        assert run.invoices_pushed > 0
        assert s.scalars(select(SyncItem).where(SyncItem.run_id == run.id)).first() is not None
    assert_no_duplicates(sync_rig)
    assert_compare_agrees(sync_rig)



