"""Never a duplicate: the headless sync is SIGKILLed at random points, restarted each time.

The sandbox runs in this process on its own port; each sync is a real
`python -m xsync_desktop --profile DIR sync` subprocess. Writes are slowed a
little (a sandbox "delay" fault before the handler), so kills land while a
request is in flight: Xero then commits a change whose answer nobody reads.
At the end Xero holds exactly one object per ledger record and none is missing.
Reproduce a failure with XSYNC_CRASH_SEED=<printed seed>.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.reliability.helpers import (
    add_invoices_like,
    check_consistency,
    edit_an_unpaid_invoice,
    tenant_with_data,
)
from xsync_desktop.store.models import Invoice
from xsync_desktop.store.store import open_store

ROOT = Path(__file__).resolve().parents[2]
KILLS = 24


def _cli(prof: Path, env: dict[str, str], *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "xsync_desktop", "--profile", str(prof), *extra],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.slow
def test_random_kills_never_duplicate_or_lose_a_record(tmp_path: Path, sandbox, sandbox_admin) -> None:  # noqa: ANN001
    seed = int(os.environ.get("XSYNC_CRASH_SEED") or random.SystemRandom().randrange(1 << 30))
    print(f"crash test seed: {seed} (XSYNC_CRASH_SEED={seed} reproduces the kill points)")
    rng = random.Random(seed)
    env = dict(os.environ, XSYNC_DEMO_SANDBOX=sandbox.base_url, PYTHONPATH=str(ROOT))
    prof = tmp_path / "crash profile ü"
    subprocess.run([sys.executable, "-m", "xsync_desktop", "--profile", str(prof), "demo-data",
                    "--invoices", "250"], env=env, check=True, capture_output=True, timeout=120)
    for method in ("PUT", "POST"):
        sandbox_admin.faults("delay", method=method, path="/api.xro/2.0/", seconds=0.15)

    finished = 0
    for n in range(KILLS):
        if n:
            _more_work(prof, n, rng)  # the billing system moved on: every run has something to send
        proc = _cli(prof, env, "sync")
        delay = rng.uniform(0.8, 6.0)
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)  # the thing under test: a kill at a random moment (no condition to wait on)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        out = proc.stdout.read() if proc.stdout else ""
        if proc.returncode == 0:
            finished += 1
        else:
            assert proc.returncode == -signal.SIGKILL, f"kill {n}: exit {proc.returncode}\n{out}"

    sandbox_admin.clear_faults()
    final = subprocess.run([sys.executable, "-m", "xsync_desktop", "--profile", str(prof), "sync"],
                           env=env, capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stdout + final.stderr

    tenant = tenant_with_data(sandbox_admin, sandbox.tenant_ids)
    assert tenant is not None
    found = check_consistency(prof, sandbox_admin, tenant)
    assert found.problems() == [], f"{found.problems()} (seed {seed})"
    print(f"crash test: {KILLS} kills, {finished} runs finished before their kill")


def _more_work(prof: Path, n: int, rng: random.Random) -> None:
    """New invoices (some part-paid) and an edited unpaid invoice, written straight into the ledger."""
    store = open_store(f"sqlite:///{prof / 'xsync.db'}")
    try:
        with store.sessions() as s:
            sources = s.scalars(select(Invoice).where(Invoice.status == "authorised").order_by(Invoice.id)
                                .limit(40)).all()
            add_invoices_like(s, [rng.choice(sources) for _ in range(12)], [f"K{n:02d}-{k:02d}" for k in range(12)],
                              f"kill round {n}", paid_share=2)
            edit_an_unpaid_invoice(s, rng, n)
            s.commit()
    finally:
        store.close()
