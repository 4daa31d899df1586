"""A full disk at start, mid-push and mid-pull (issue 15 case 3), made for real.

The profile lives on a small tmpfs mounted for the test (`mount -t tmpfs -o size=8m`; the
suite runs as root in CI; without the right to mount, the test is skipped and says so).
The disk is filled with a file until only a chosen number of bytes are free, then the real
`xsync-desktop sync` process runs against an in-process sandbox. Every phase must end with
exit 6 and "The disk holding <folder> is full", no traceback and no raw SQL text; once space
is freed, the next sync completes and Xero holds no duplicate and misses nothing.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fixtures.ledger import EXAMPLES
from tests.fixtures.sandbox import fast_config
from tests.reliability.helpers import (
    assert_verify_agrees,
    check_consistency,
    cli_env,
    open_profile_store,
    profile_tenant,
    run_cli,
)
from xsync_desktop.exit_codes import ExitCode
from xsync_desktop.sandbox import SandboxServer
from xsync_desktop.sandbox.admin_client import SandboxAdmin

pytestmark = pytest.mark.reliability

DISK = "8m"


@dataclass
class TinyDisk:
    mount: Path
    profile: Path
    srv: SandboxServer
    admin: SandboxAdmin
    env: dict[str, str]

    def fill(self, leave: int) -> None:
        """Fill the disk until `leave` bytes are free (a file the operator's other programs wrote)."""
        self.free_up()
        free = shutil.disk_usage(self.mount).free
        with (self.mount / "filler.bin").open("wb") as fh:
            fh.write(b"\0" * max(0, free - leave))

    def free_up(self) -> None:
        (self.mount / "filler.bin").unlink(missing_ok=True)

    def sync(self) -> subprocess.CompletedProcess[str]:
        return run_cli(self.profile, self.env, "sync", timeout=180)

    @property
    def tenant(self) -> str:
        return profile_tenant(self.profile)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[TinyDisk]:
    mount = tmp_path / f"tiny-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK}", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({made.stderr.strip()}); run as root to make the fault for real")
    srv = SandboxServer(fast_config()).start()
    try:
        prof = mount / "profile ü"
        env = cli_env(srv.base_url)
        demo = run_cli(prof, env, "demo-data", "--invoices", "60", timeout=120)
        assert demo.returncode == ExitCode.OK, demo.stdout + demo.stderr
        with SandboxAdmin.of(srv) as admin:
            yield TinyDisk(mount, prof, srv, admin, env)
    finally:
        srv.stop()
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def _assert_consistent(disk: TinyDisk) -> None:
    problems = check_consistency(disk.profile, disk.admin, disk.tenant).problems()
    assert not problems, problems
    assert_verify_agrees(disk.profile, disk.env)  # and a Compare with Xero finds nothing unexplained


def _plain_disk_full(proc: subprocess.CompletedProcess[str], disk: TinyDisk) -> None:
    out = proc.stdout + proc.stderr
    assert proc.returncode == ExitCode.ENVIRONMENT, out
    assert f"The disk holding {disk.profile} is full" in out, out
    assert "Traceback" not in out and "sqlalche" not in out.lower() and "report this" not in out, out


def test_full_at_start_exits_6_and_the_next_sync_after_freeing_space_completes(tiny_disk: TinyDisk) -> None:
    tiny_disk.fill(leave=0)
    _plain_disk_full(tiny_disk.sync(), tiny_disk)
    imported = run_cli(tiny_disk.profile, tiny_disk.env, "import", str(EXAMPLES / "ledger.json"), timeout=120)
    _plain_disk_full(imported, tiny_disk)
    tiny_disk.free_up()
    done = tiny_disk.sync()
    assert done.returncode == ExitCode.OK, done.stdout + done.stderr
    _assert_consistent(tiny_disk)


def test_full_mid_push_exits_6_nothing_half_written_no_duplicate(tiny_disk: TinyDisk) -> None:
    """The disk fills during the push, at more than one point: each stop is plain, and the run
    after freeing space completes with nothing duplicated. How much the start writes before the
    push (settings, currencies, the sync generation) moves with the code, so the space left
    climbs until runs stop inside the push, as the mid-pull case does."""
    stopped_in_push = 0
    for leave in (96 * 1024, 160 * 1024, 256 * 1024, 384 * 1024):
        tiny_disk.fill(leave=leave)
        proc = tiny_disk.sync()
        if proc.returncode == ExitCode.OK:
            break
        _plain_disk_full(proc, tiny_disk)
        if "[contacts]" in proc.stdout:  # it got past the start: the disk filled during the push
            stopped_in_push += 1
    assert stopped_in_push >= 2  # two different points in the push, as the two fixed sizes were
    tiny_disk.free_up()
    done = tiny_disk.sync()
    assert done.returncode == ExitCode.OK, done.stdout + done.stderr
    _assert_consistent(tiny_disk)


def test_full_mid_pull_exits_6_and_the_payments_arrive_on_the_next_run(tiny_disk: TinyDisk) -> None:
    first = tiny_disk.sync()
    assert first.returncode == ExitCode.OK, first.stdout + first.stderr
    tenant = tiny_disk.tenant
    unpaid = [i for i in tiny_disk.admin.objects(tenant, "Invoices")
              if i.get("Status") == "AUTHORISED" and float(i.get("AmountDue") or 0) > 1]
    assert len(unpaid) >= 3
    for n, inv in enumerate(unpaid):  # the bookkeeper records the customers' payments in Xero
        tiny_disk.admin.create_payment(tenant, inv["InvoiceID"], "1.00", "2026-11-20", Reference=f"counter {n}")
    outcomes: list[str] = []
    for leave in (48 * 1024, 96 * 1024, 160 * 1024):
        tiny_disk.fill(leave=leave)
        proc = tiny_disk.sync()
        if proc.returncode == ExitCode.OK:
            outcomes.append("ok")
            break
        _plain_disk_full(proc, tiny_disk)
        outcomes.append("pull" if "[pull_" in proc.stdout else "before pull")
    assert "pull" in outcomes, outcomes  # at least one run was stopped by the disk during the pull
    tiny_disk.free_up()
    done = tiny_disk.sync()
    assert done.returncode == ExitCode.OK, done.stdout + done.stderr
    _assert_consistent(tiny_disk)
    pulled = [i for i in tiny_disk.admin.objects(tenant, "Invoices") if i["InvoiceID"] in
              {u["InvoiceID"] for u in unpaid}]
    store = open_profile_store(tiny_disk.profile)
    try:
        from sqlalchemy import func, select

        from xsync_desktop.store.models import Payment

        with store.sessions() as s:
            from_xero = s.scalar(select(func.count()).select_from(Payment).where(Payment.source == "xero"))
    finally:
        store.close()
    assert from_xero == len(unpaid) == len(pulled)  # each once: nothing half-written, nothing twice
