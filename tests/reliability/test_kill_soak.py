"""Kill soak: the headless sync SIGKILLed 50+ times, in every phase, with both sides moving.

A broader cousin of tests/sync/test_crash.py (24 kills at random times during the
push). Here the sandbox runs in its own process (`python -m xsync_desktop.sandbox
--state FILE`), every sync is a real `python -m xsync_desktop --profile DIR sync`
subprocess, and each round:

1. the billing system moves on (new invoices, half of them part-paid, an edited
   invoice) and, on most rounds, a bookkeeper works in Xero (a payment recorded
   against one of our invoices, an invoice's reference edited);
2. the sync starts, and is killed either a random moment after a randomly chosen
   phase line appears on its output (push phases *and* pull phases) or after a
   random delay. Requests are slowed a little by a sandbox "delay" fault so a kill
   often lands while a request is in flight and Xero commits what nobody reads.

Then the faults are cleared, the sync runs to the end, and the ledger and Xero must
agree: no duplicate, nothing missing, no Link left "sending", no run left "running".
The soak runs once per module; each invariant is its own test so one failure does
not hide the others. Reproduce with XSYNC_SOAK_SEED=<printed seed>; XSYNC_SOAK_KILLS
sets the number of kills (default 52).
"""

from __future__ import annotations

import os
import queue
import random
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.fixtures.db import POSTGRES_ENV, fresh_postgres_database
from tests.reliability.helpers import (
    Consistency,
    SandboxProcess,
    add_invoices_like,
    check_consistency,
    cli_args,
    cli_env,
    edit_an_unpaid_invoice,
    open_profile_store,
    run_cli,
)
from xsync_desktop.sandbox.admin_client import SandboxAdmin, SandboxAdminError
from xsync_desktop.store.models import Invoice, Payment
from xsync_desktop.store.settings import get_setting

pytestmark = pytest.mark.reliability

PHASES = ("settings", "contacts", "invoices", "credit_notes", "allocations", "payments",
          "pull_payments", "pull_invoices", "pull_contacts")
PULL_PHASES = {"pull_payments", "pull_invoices", "pull_contacts"}
DEFAULT_KILLS = 52
MAX_ROUNDS_FACTOR = 2  # rounds that finish before their kill point do not count as kills


@dataclass
class SoakResult:
    seed: int
    kills: int = 0
    finished_rounds: int = 0
    killed_in: Counter[str] = field(default_factory=Counter)
    unexpected_exits: list[str] = field(default_factory=list)
    final_exit: int | None = None
    final_output: str = ""
    verify_exit: int | None = None
    verify_output: str = ""
    second_exit: int | None = None
    second_output: str = ""
    consistency: Consistency | None = None
    xero_edits: int = 0


class _Lines:
    """Reads a child's stdout in a thread: phases seen so far, the whole output kept."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.q: queue.Queue[str | None] = queue.Queue()
        self.text: list[str] = []
        self.phase: str | None = None
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        t0 = time.monotonic()
        for line in proc.stdout:
            self.q.put(f"{time.monotonic() - t0:7.2f} {line}" if os.environ.get("XSYNC_SOAK_VERBOSE") else line)
        self.q.put(None)

    def wait_phase(self, target: str, deadline: float) -> bool:
        """Block until a line of phase `target` arrives; False at EOF or the deadline."""
        while time.monotonic() < deadline:
            try:
                line = self.q.get(timeout=0.05)
            except queue.Empty:
                continue
            if line is None:
                return False
            self.text.append(line)
            if "[" in line:
                self.phase = line[line.index("[") + 1:line.index("]")]
                if self.phase == target:
                    return True
        return False

    def drain(self) -> str:
        self._thread.join(10)
        while True:
            try:
                line = self.q.get_nowait()
            except queue.Empty:
                break
            if line is not None:
                self.text.append(line)
                if "[" in line:
                    self.phase = line[line.index("[") + 1:line.index("]")]
        return "".join(self.text)


def _ledger_moves_on(prof: Path, n: int, rng: random.Random, url: str | None) -> None:
    """New invoices (half part-paid) and an edited unpaid invoice, straight into the ledger."""
    store = open_profile_store(prof, url)
    try:
        with store.sessions() as s:
            sources = s.scalars(select(Invoice).where(Invoice.status == "authorised", Invoice.number.like("INV-%"))
                                .order_by(Invoice.id).limit(40)).all()
            count = rng.randint(3, 8)
            add_invoices_like(s, [rng.choice(sources) for _ in range(count)],
                              [f"S{n:03d}-{k:02d}" for k in range(count)], f"soak round {n}", paid_share=3)
            edit_an_unpaid_invoice(s, rng, n)
            s.commit()
    finally:
        store.close()


def _unpaid_in_ledger(prof: Path, url: str | None) -> set[str]:
    """Demo invoices the ledger has no payment for (the soak never adds one to them)."""
    store = open_profile_store(prof, url)
    try:
        with store.sessions() as s:
            paid = select(Payment.invoice_id)
            return set(s.scalars(select(Invoice.number).where(
                Invoice.status == "authorised", Invoice.number.like("INV-%"), Invoice.id.not_in(paid))))
    finally:
        store.close()


def _bookkeeper_works_in_xero(admin: SandboxAdmin, tenant: str, n: int, rng: random.Random,
                              unpaid: set[str]) -> int:
    """A payment recorded in Xero against one of our open invoices, another invoice's reference edited.

    The payment goes only to an invoice the ledger has no payment for: paying in Xero what the
    billing system also records as paid is a real conflict (the ledger's payment then fails as an
    overpayment, correctly), not what this soak is about.
    """
    invoices = [r for r in admin.objects(tenant, "Invoices")
                if r.get("Status") == "AUTHORISED" and Decimal(str(r.get("AmountDue") or 0)) > Decimal("2")]
    payable = [r for r in invoices if r.get("InvoiceNumber") in unpaid]
    if not invoices:
        return 0
    done = 0
    if payable:
        inv = rng.choice(payable)
        try:
            admin.create_payment(tenant, inv["InvoiceID"], Decimal("1.00"), inv["DateString"][:10],
                                 Reference=f"bank deposit {n}")
            done += 1
        except SandboxAdminError:
            pass
    other = rng.choice(invoices)
    try:
        admin.edit_invoice(tenant, other["InvoiceID"], Reference=f"changed in Xero {n}")
        done += 1
    except SandboxAdminError:
        pass
    return done


def _tenant(prof: Path, url: str | None) -> str | None:
    store = open_profile_store(prof, url)
    try:
        with store.sessions() as s:
            return get_setting(s, "tenant_id")
    finally:
        store.close()


def _soak(tmp: Path, url: str | None = None) -> SoakResult:
    """`url`: a shared PostgreSQL database for the ledger (None: the profile's SQLite file)."""
    seed = int(os.environ.get("XSYNC_SOAK_SEED") or random.SystemRandom().randrange(1 << 30))
    kills_wanted = int(os.environ.get("XSYNC_SOAK_KILLS") or DEFAULT_KILLS)
    print(f"\nkill soak seed: {seed} (XSYNC_SOAK_SEED={seed} reproduces the kill plan), {kills_wanted} kills")
    rng = random.Random(seed)
    result = SoakResult(seed)
    prof = tmp / "soak profile ü"
    with SandboxProcess(tmp / "sandbox-state.json", "--no-rate-limits", "--time-scale", "1000") as sandbox, \
            SandboxAdmin.of(sandbox) as admin:
        env = cli_env(sandbox.base_url, **({"XSYNC_DATABASE_URL": url} if url else {}))
        made = run_cli(prof, env, "demo-data", "--invoices", "150", timeout=120)
        assert made.returncode == 0, made.stdout + made.stderr
        # Writes and reads take a little while, so kills land inside requests.
        for method, seconds in (("PUT", 0.06), ("POST", 0.06), ("GET", 0.04)):
            admin.faults("delay", method=method, path="/api.xro/2.0/", seconds=seconds)

        rounds = 0
        seen_phases: set[str] = set(PHASES)  # narrowed to the phases real runs show (no wasted rounds)
        while result.kills < kills_wanted and rounds < kills_wanted * MAX_ROUNDS_FACTOR:
            if rounds:
                _ledger_moves_on(prof, rounds, rng, url)
                tenant = _tenant(prof, url)
                if tenant and rng.random() < 0.7:
                    result.xero_edits += _bookkeeper_works_in_xero(admin, tenant, rounds, rng,
                                                                   _unpaid_in_ledger(prof, url))
            rounds += 1
            mode = rng.random()
            target = rng.choice(sorted(seen_phases))
            after = rng.uniform(0.0, 0.35)
            t_round = time.monotonic()
            proc = subprocess.Popen(cli_args(prof, "sync"), env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True)
            lines = _Lines(proc)
            if mode < 0.8:  # after a chosen phase begins
                seen = lines.wait_phase(target, time.monotonic() + 120)
                if seen:
                    time.sleep(after)  # the thing under test: a kill a random moment into the phase
            else:  # at a random moment, startup and sign-in included
                lines.wait_phase("\0never", time.monotonic() + rng.uniform(0.3, 4.0))
            killed = False
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                killed = True
            proc.wait(30)
            out = lines.drain()
            if proc.returncode == 0:  # a whole run: the phases a run of this ledger goes through
                seen_phases = {p for p in PHASES if f"[{p}]" in out} or seen_phases
            if os.environ.get("XSYNC_SOAK_VERBOSE"):
                print(f"round {rounds}: {time.monotonic() - t_round:.1f} s, target {target if mode < 0.8 else 'time'}, "
                      f"ended in {lines.phase}, exit {proc.returncode}")
                if time.monotonic() - t_round > 10:
                    print(out)
            if killed and proc.returncode == -signal.SIGKILL:
                result.kills += 1
                result.killed_in[lines.phase or "startup"] += 1
            elif proc.returncode == 0:
                result.finished_rounds += 1
            else:
                result.unexpected_exits.append(f"round {rounds}: exit {proc.returncode}\n{out[-2000:]}")

        admin.clear_faults()
        t_final = time.monotonic()
        final = run_cli(prof, env, "sync")
        result.final_exit, result.final_output = final.returncode, final.stdout + final.stderr
        second = run_cli(prof, env, "sync")
        result.second_exit, result.second_output = second.returncode, second.stdout + second.stderr
        verify = run_cli(prof, env, "verify")
        result.verify_exit, result.verify_output = verify.returncode, verify.stdout + verify.stderr
        if os.environ.get("XSYNC_SOAK_VERBOSE"):
            print(f"final runs: {time.monotonic() - t_final:.1f} s\n{result.final_output}\n{result.second_output}")
        tenant = _tenant(prof, url)
        assert tenant is not None
        result.consistency = check_consistency(prof, admin, tenant, url)
    print(f"kill soak: {result.kills} kills over {rounds} rounds ({result.finished_rounds} finished first); "
          f"killed in {dict(result.killed_in)}; {result.xero_edits} edits in Xero; seed {seed}")
    return result


# Each CLI start also opens PostgreSQL connections and migrates under its lock, and both variants end
# with a full Compare with Xero: more than the suite's default 300 s on a busy 2-core machine.
@pytest.fixture(scope="module", params=[pytest.param("sqlite", marks=pytest.mark.timeout(1500)),
                                        pytest.param("postgresql", marks=pytest.mark.timeout(1500))])
def soak(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SoakResult]:
    """The soak on the profile's SQLite file, and on a shared PostgreSQL database (when a server is given)."""
    if request.param == "sqlite":
        yield _soak(tmp_path_factory.mktemp("soak"))
        return
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        pytest.skip(f"the PostgreSQL kill soak needs a server: set {POSTGRES_ENV} (bash scripts/postgres.sh prints one)")
    with fresh_postgres_database(server) as url:
        yield _soak(tmp_path_factory.mktemp("soak-pg"), url)


def test_soak_kills_land_in_every_kind_of_phase(soak: SoakResult) -> None:
    assert soak.kills >= int(os.environ.get("XSYNC_SOAK_KILLS") or DEFAULT_KILLS), soak.killed_in
    assert PULL_PHASES & set(soak.killed_in), f"no kill during a pull phase: {dict(soak.killed_in)}"
    assert {"invoices", "payments"} & set(soak.killed_in), f"no kill during a push phase: {dict(soak.killed_in)}"


def test_soak_every_unkilled_run_ended_cleanly(soak: SoakResult) -> None:
    assert not soak.unexpected_exits, f"seed {soak.seed}: " + "\n---\n".join(soak.unexpected_exits[:3])
    assert soak.final_exit == 0, f"seed {soak.seed}: final sync exit {soak.final_exit}\n{soak.final_output}"
    assert soak.second_exit == 0, f"seed {soak.seed}: second sync exit {soak.second_exit}\n{soak.second_output}"
    assert "failed 0" in soak.final_output and "invoices 0, credit notes 0, payments pushed 0" in soak.second_output


def test_soak_verify_finds_no_unexplained_difference(soak: SoakResult) -> None:
    """After the kills, Compare with Xero reads every linked record back: each difference (the
    bookkeeper's edits) is one an exception already names, none is new."""
    assert soak.verify_exit in (0, 3), f"seed {soak.seed}: verify exit {soak.verify_exit}\n{soak.verify_output}"
    assert "unexplained differences: 0" in soak.verify_output, f"seed {soak.seed}:\n{soak.verify_output}"


def test_soak_never_a_duplicate_in_xero(soak: SoakResult) -> None:
    assert soak.consistency is not None
    assert not soak.consistency.duplicates, f"seed {soak.seed}: {soak.consistency.duplicates}"


def test_soak_no_ledger_record_missing_in_xero(soak: SoakResult) -> None:
    assert soak.consistency is not None
    assert not soak.consistency.missing, f"seed {soak.seed}: {soak.consistency.missing}"


def test_soak_no_link_left_sending(soak: SoakResult) -> None:
    assert soak.consistency is not None
    assert not soak.consistency.sending_links, f"seed {soak.seed}: {soak.consistency.sending_links[:10]}"


def test_soak_no_run_left_running(soak: SoakResult) -> None:
    """A killed run cannot close its own record; the next run should (or the history shows it 'running')."""
    assert soak.consistency is not None
    assert not soak.consistency.running_runs, (
        f"seed {soak.seed}: {len(soak.consistency.running_runs)} runs still 'running' after clean runs: "
        f"{soak.consistency.running_runs[:10]}; {soak.consistency.pending_items} items still 'pending'")

