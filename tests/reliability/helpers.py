"""Shared pieces of the reliability suite: processes we start, and what "consistent" means.

The suite drives the product the way a scheduler or a person does: real
`python -m xsync_desktop` subprocesses against a sandbox that is either in this
process or its own `python -m xsync_desktop.sandbox` process. These helpers start
and stop only processes they started (by pid), and state the invariants once:

- Xero holds at most one object per ledger natural key (never a duplicate);
- every ledger record that should be in Xero is there (nothing missing);
- no Link is left "sending" and no run is left "running" after a clean final run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[2]
NATURAL_KEYS = {"Contacts": "ContactNumber", "Invoices": "InvoiceNumber", "CreditNotes": "CreditNoteNumber",
                "Payments": "Reference"}


def cli_env(sandbox_base: str, **extra: str) -> dict[str, str]:
    """Environment for a CLI subprocess that uses the given sandbox as its (demo) Xero."""
    env = dict(os.environ, XSYNC_DEMO_SANDBOX=sandbox_base, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def cli_args(profile: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "xsync_desktop", "--profile", str(profile), *args]


def run_cli(profile: Path, env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cli_args(profile, *args), env=env, capture_output=True, text=True, timeout=timeout)


def assert_verify_agrees(profile: Path, env: dict[str, str], timeout: float = 180) -> str:
    """`xsync-desktop verify` on the profile: every linked record read back from Xero agrees with
    the ledger, or an exception a person already has explains it (issue 13: every reliability
    suite ends with it). Exit 3 is accepted only when each difference was already covered."""
    done = run_cli(profile, env, "verify", timeout=timeout)
    out = done.stdout + done.stderr
    assert done.returncode in (0, 3), out
    assert "unexplained differences: 0" in done.stdout, out
    return out


class SandboxProcess:
    """`python -m xsync_desktop.sandbox --state FILE` in its own process (survives our kills of the CLI)."""

    def __init__(self, state_file: Path | None, *extra: str) -> None:
        """`state_file` None: state in memory only (saving a big state after every write is quadratic)."""
        self.state_file = state_file
        state = ["--state", str(state_file)] if state_file is not None else []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "xsync_desktop.sandbox", *state, *extra],
            env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("http://"):
            err = self.proc.stderr.read() if self.proc.stderr else ""
            self.stop()
            raise RuntimeError(f"sandbox process did not start: {line!r} {err}")
        self.base_url = line
        secret = self.proc.stdout.readline().strip()
        self.admin_secret = secret.split(": ", 1)[1] if secret.startswith("admin-secret: ") else ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()

    def __enter__(self) -> SandboxProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def open_profile_store(profile: Path, url: str | None = None) -> Any:
    """The profile's SQLite database, or the shared one at `url` (PostgreSQL runs)."""
    from xsync_desktop.store.store import open_store

    return open_store(url or f"sqlite:///{profile / 'xsync.db'}")


def profile_tenant(profile: Path) -> str:
    """The organisation a CLI profile synced with (its tenant_id setting)."""
    from xsync_desktop.store.settings import get_setting

    store = open_profile_store(profile)
    try:
        with store.sessions() as s:
            tid = get_setting(s, "tenant_id")
    finally:
        store.close()
    assert tid
    return str(tid)


def expected_in_xero(profile: Path, url: str | None = None) -> dict[str, set[str]]:
    """Natural keys of everything the ledger says should be in Xero (as in tests/sync/test_crash.py)."""
    from xsync_desktop.store.models import CreditNote, Customer, Invoice, Payment

    store = open_profile_store(profile, url)
    try:
        with store.sessions() as s:
            return {
                "Contacts": {c.customer_number for c in s.scalars(select(Customer).where(
                    Customer.id.in_(select(Invoice.customer_id).where(Invoice.status == "authorised"))))},
                "Invoices": {i.number for i in s.scalars(select(Invoice).where(Invoice.status == "authorised"))},
                "CreditNotes": {c.number for c in s.scalars(select(CreditNote).where(
                    CreditNote.status == "authorised"))},
                "Payments": {f"xsync:P-{p.external_id}" for p in s.scalars(select(Payment).where(
                    Payment.source == "ledger", Payment.reversed_at.is_(None)))},
            }
    finally:
        store.close()


@dataclass
class Consistency:
    duplicates: dict[str, dict[str, int]] = field(default_factory=dict)
    missing: dict[str, list[str]] = field(default_factory=dict)
    sending_links: list[tuple[str, int]] = field(default_factory=list)
    running_runs: list[int] = field(default_factory=list)
    pending_items: int = 0

    def problems(self) -> list[str]:
        out = []
        if self.duplicates:
            out.append(f"duplicates in Xero: {self.duplicates}")
        if self.missing:
            out.append(f"missing in Xero: {self.missing}")
        if self.sending_links:
            out.append(f"links left 'sending': {self.sending_links[:10]} ({len(self.sending_links)})")
        return out


def tenant_with_data(admin: Any, tenant_ids: list[str]) -> str | None:
    return next((t for t in tenant_ids if admin.objects(t, "Invoices")), None)


def check_consistency(profile: Path, admin: Any, tenant: str, url: str | None = None) -> Consistency:
    """Compare the ledger with Xero (through the sandbox's admin surface) and look for stuck state."""
    from xsync_desktop.store.models import Link, SyncItem, SyncRun

    result = Consistency()
    want = expected_in_xero(profile, url)
    for kind, key in NATURAL_KEYS.items():
        rows = [r for r in admin.objects(tenant, kind) if r.get("Status") not in ("DELETED",)]
        counts = Counter(r.get(key) for r in rows if r.get(key))
        dupes = {k: c for k, c in counts.items() if c > 1}
        if dupes:
            result.duplicates[kind] = dupes
        missing = sorted(want[kind] - set(counts))
        if missing:
            result.missing[kind] = missing[:10]
    store = open_profile_store(profile, url)
    try:
        with store.sessions() as s:
            result.sending_links = [(lk.entity, lk.local_id) for lk in s.scalars(
                select(Link).where(Link.state == "sending"))]
            result.running_runs = list(s.scalars(select(SyncRun.id).where(SyncRun.outcome == "running")))
            result.pending_items = s.scalar(select(func.count()).select_from(SyncItem).where(
                SyncItem.outcome == "pending")) or 0
    finally:
        store.close()
    return result


def add_invoices_like(session: Any, sources: list[Any], numbers: list[str], reference: str,
                      paid_share: int) -> None:
    """New authorised invoices copied from `sources` (the billing system moved on); every other one
    part-paid (1/`paid_share` of its total), so each sync has contacts, invoices and payments to send."""
    from decimal import Decimal

    from xsync_desktop.store.models import Invoice, InvoiceLine, Payment

    for k, (src, number) in enumerate(zip(sources, numbers, strict=True)):
        inv = Invoice(external_id=f"x-{number}", number=number, customer_id=src.customer_id,
                      tenancy_id=src.tenancy_id, facility_id=src.facility_id, issue_date=src.issue_date,
                      due_date=src.due_date, currency=src.currency, status="authorised", reference=reference,
                      subtotal=src.subtotal, tax_total=src.tax_total, total=src.total)
        inv.lines = [InvoiceLine(line_no=ln.line_no, charge_type=ln.charge_type, description=ln.description,
                                 quantity=ln.quantity, unit_amount=ln.unit_amount, tax_amount=ln.tax_amount,
                                 line_amount=ln.line_amount) for ln in src.lines]
        session.add(inv)
        if k % 2 == 0:
            amount = (src.total / paid_share).quantize(Decimal("0.01"))
            session.add(Payment(external_id=f"xp-{number}", invoice=inv, date=src.issue_date,
                                amount=amount, method="card"))
            inv.amount_paid = amount  # what an import of this payment derives on the invoice


def edit_an_unpaid_invoice(session: Any, rng: Any, n: int) -> None:
    """The billing system edits one unpaid demo invoice's reference (round `n`): an update to send."""
    from xsync_desktop.store.models import Invoice

    unpaid = session.scalars(select(Invoice).where(Invoice.status == "authorised", Invoice.amount_paid == 0,
                                                   Invoice.number.like("INV-%"))).all()
    if unpaid:
        rng.choice(unpaid).reference = f"edited in round {n}"


def wait_for_line(proc: subprocess.Popen[str], predicate: Any, deadline: float) -> str | None:
    """Read the child's stdout until a line satisfies `predicate` (or EOF / deadline): that line."""
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            return None
        if predicate(line):
            return line
    return None
