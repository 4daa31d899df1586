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
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from xsync_desktop.store.models import CreditNote, Customer, Invoice, InvoiceLine, Payment
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

    store = open_store(f"sqlite:///{prof / 'xsync.db'}")
    try:
        with store.sessions() as s:
            want = {
                "Contacts": {c.customer_number for c in s.scalars(select(Customer).where(
                    Customer.id.in_(select(Invoice.customer_id).where(Invoice.status == "authorised"))))},
                "Invoices": {i.number for i in s.scalars(select(Invoice).where(Invoice.status == "authorised"))},
                "CreditNotes": {c.number for c in s.scalars(select(CreditNote).where(
                    CreditNote.status == "authorised"))},
                "Payments": {f"xsync:P-{p.external_id}" for p in s.scalars(select(Payment).where(
                    Payment.source == "ledger"))},
            }
    finally:
        store.close()
    keys = {"Contacts": "ContactNumber", "Invoices": "InvoiceNumber", "CreditNotes": "CreditNoteNumber",
            "Payments": "Reference"}
    tenant = _tenant_with_data(sandbox_admin, sandbox.tenant_ids)
    assert tenant is not None
    for kind, key in keys.items():
        rows = [r for r in sandbox_admin.objects(tenant, kind) if r.get("Status") != "DELETED"]
        counts = Counter(r.get(key) for r in rows if r.get(key))
        dupes = {k: c for k, c in counts.items() if c > 1}
        assert not dupes, f"{kind} duplicated: {dupes} (seed {seed})"
        missing = want[kind] - set(counts)
        assert not missing, f"{kind} missing in Xero: {sorted(missing)[:5]} (seed {seed})"
    print(f"crash test: {KILLS} kills, {finished} runs finished before their kill")


def _more_work(prof: Path, n: int, rng: random.Random) -> None:
    """New invoices (some paid) and an edited unpaid invoice, written straight into the ledger."""
    store = open_store(f"sqlite:///{prof / 'xsync.db'}")
    try:
        with store.sessions() as s:
            sources = s.scalars(select(Invoice).where(Invoice.status == "authorised").order_by(Invoice.id)
                                .limit(40)).all()
            for k in range(12):
                src = rng.choice(sources)
                number = f"K{n:02d}-{k:02d}"
                inv = Invoice(external_id=f"kx-{number}", number=number, customer_id=src.customer_id,
                              tenancy_id=src.tenancy_id, facility_id=src.facility_id, issue_date=src.issue_date,
                              due_date=src.due_date, currency=src.currency, status="authorised",
                              reference=f"kill round {n}", subtotal=src.subtotal, tax_total=src.tax_total,
                              total=src.total)
                inv.lines = [InvoiceLine(line_no=ln.line_no, charge_type=ln.charge_type,
                                         description=ln.description, quantity=ln.quantity,
                                         unit_amount=ln.unit_amount, tax_amount=ln.tax_amount,
                                         line_amount=ln.line_amount) for ln in src.lines]
                s.add(inv)
                if k % 2 == 0:
                    s.add(Payment(external_id=f"kp-{number}", invoice=inv, date=src.issue_date,
                                  amount=(src.total / 2).quantize(Decimal("0.01")), method="card"))
            unpaid = s.scalars(select(Invoice).where(Invoice.status == "authorised", Invoice.amount_paid == 0,
                                                     Invoice.number.like("INV-%"))).all()
            if unpaid:
                rng.choice(unpaid).reference = f"edited in round {n}"
            s.commit()
    finally:
        store.close()


def _tenant_with_data(admin, tenant_ids: list[str]) -> str | None:  # noqa: ANN001
    return next((t for t in tenant_ids if admin.objects(t, "Invoices")), None)
