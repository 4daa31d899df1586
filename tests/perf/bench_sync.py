"""Benchmark: a first sync of a big ledger against Xero's real limits, then incremental syncs.

    .venv/bin/python tests/perf/bench_sync.py [--invoices 10000 --contacts 3000 --payments 8000] [--time-scale 60]

The real engine runs against the in-process sandbox over loopback with Xero's
limits on (60 calls a minute, 5 in flight, 5,000 a day). The sandbox's limit
clock and the client's pacer both run `time_scale` times faster, so the pacing
that would take N real minutes takes N*60/time_scale seconds here.

Figures, for comparing commits (a script, not a test: it never asserts timings):
- initial sync: Xero calls, records per call, wall time here, and the bound Xero's
  minute limit alone puts on that many calls (calls / 60 = minimum real minutes);
  "est. min" estimates the same sync against the real limits: the larger of that
  bound and (the time the pacer slept for the limits, "paced s", times time_scale,
  plus the rest of the wall time: CPU, SQLite, loopback I/O); "ratio" = est. / bound
  (1.0: the rate limit is the only cost that matters, the local work hides under it);
- naive push, one record per call: the same engine with its batch size forced to 1,
  run on a slice of the ledger (so it finishes), calls per record extrapolated to the
  whole ledger: calls and real-limit minutes it would take;
- incremental syncs: nothing changed, then 1% of invoices changed: calls and time.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

TODAY = date(2025, 6, 15)


class Rig:
    """A sandbox with real limits, a profile with a ledger, a signed-in session, mappings accepted."""

    def __init__(self, time_scale: float, rate_limits: bool = True, base_url: str | None = None,
                 profile_dir: Path | None = None) -> None:
        from tests.fixtures.xero import free_loopback_ports
        from xsync_desktop.profile import Profile
        from xsync_desktop.sandbox import SandboxConfig, SandboxServer
        from xsync_desktop.store.store import open_store
        from xsync_desktop.xero.login import redirect_uris

        self.time_scale = time_scale
        self.ports = free_loopback_ports(3)

        # An external sandbox (another process) is reached over HTTP only, like the CLI's demo does.
        self.base_url = base_url
        self.srv: Any = None if base_url else SandboxServer(SandboxConfig(
            redirect_uris=redirect_uris(self.ports), time_scale=time_scale, rate_limits=rate_limits)).start()
        self.tmp = tempfile.TemporaryDirectory(prefix="xsync-bench-sync-")
        self.profile = Profile(profile_dir or Path(self.tmp.name) / "bench profile").ensure()
        self.store = open_store(self.profile.database_url, self.profile.backups_dir)
        self.session: Any = None
        self.tid = ""
        self.endpoints: Any = None
        self.clients: list[Any] = []

    def connect(self) -> None:

        from xsync_desktop.composition.memory_keyring import LimitedMemoryKeyring
        from xsync_desktop.sync.mapping_check import suggest_mappings
        from xsync_desktop.sync.settings_refresh import refresh_settings
        from xsync_desktop.xero.endpoints import DEFAULT_SCOPES, XeroEndpoints
        from xsync_desktop.xero.login import LoopbackLogin
        from xsync_desktop.xero.session import XeroSession
        from xsync_desktop.xero.token_store import KeyringTokenStore

        base = self.base_url or self.srv.base_url
        client_id = "xsync-desktop-demo"
        self.endpoints = XeroEndpoints.for_sandbox(base)
        self.session = XeroSession(self.endpoints, client_id,
                                   KeyringTokenStore(LimitedMemoryKeyring()), "bench",
                                   lock_dir=Path(self.tmp.name) / "locks")
        from xsync_desktop.composition.demo import browser_for

        if self.srv is None:
            from xsync_desktop.composition.headless import DEMO_PORTS
            from xsync_desktop.sandbox.browser import approve_over_http

            login = LoopbackLogin(self.endpoints, client_id, DEFAULT_SCOPES, DEMO_PORTS,
                                  opener=browser_for(approve_over_http),
                                  timeout=60)
        else:
            login = LoopbackLogin(self.endpoints, client_id, DEFAULT_SCOPES, self.ports, opener=browser_for(self.srv.approve),
                                  timeout=30)
        login.start()
        self.session.adopt(login.wait())
        conn = next(c for c in self.session.connections() if c.tenant_name == "Harbourside Storage Ltd")
        self.tid = conn.tenant_id
        with self.store.sessions() as s:
            client = self.client()
            refresh_settings(s, client, self.tid, force=True)
            for m in suggest_mappings(s, self.tid):
                s.add(m)
            s.commit()
            client.close()

    def client(self) -> Any:
        from xsync_desktop.xero.client import XeroClient

        client = XeroClient(self.session, self.tid, self.endpoints, time_scale=self.time_scale)
        self.clients.append(client)
        return client

    def sync(self) -> dict[str, Any]:
        """One engine run: outcome, calls, records sent, wall seconds."""
        from sqlalchemy import func, select

        from xsync_desktop.store.models import CreditAllocation, SyncItem
        from xsync_desktop.sync.engine import SyncEngine

        engine = SyncEngine(self.store, self.client, self.tid, lock_path=self.profile.lock_path)
        self.clients.clear()
        t0 = time.perf_counter()
        result = engine.run()
        wall = time.perf_counter() - t0
        # Seconds the pacer slept for Xero's limits (already scaled down) vs everything else (not scaled).
        waited = min(wall, sum(getattr(c.pacer, "waited", 0.0) for c in self.clients))
        c = result.counts
        with self.store.sessions() as s:
            allocations = s.scalar(select(func.count()).select_from(SyncItem).where(
                SyncItem.run_id == result.run_id, SyncItem.entity == "allocation",
                SyncItem.outcome == "succeeded")) or 0
            allocated_notes = s.scalar(select(func.count(CreditAllocation.credit_note_id.distinct())).where(
                CreditAllocation.id.in_(select(SyncItem.local_id).where(
                    SyncItem.run_id == result.run_id, SyncItem.entity == "allocation",
                    SyncItem.outcome == "succeeded")))) or 0
        records = (c["contacts_synced"] + c["invoices_pushed"] + c["credit_notes_pushed"] + c["payments_pushed"]
                   + allocations)
        calls = c["api_calls"]
        least = least_calls(c, allocations, allocated_notes) if records else 0
        bound = calls / 60
        # Against the real service: at least the limit's bound, and at least the local work plus the
        # limit waits scaled back (when the pacer never had to wait here, the bound decides).
        real_est = max(bound, ((wall - waited) + waited * self.time_scale) / 60)
        return {"outcome": result.outcome, "calls": calls, "records": records,
                "records_per_call": round(records / max(1, calls), 1), "wall_s": round(wall, 2),
                "limit_bound_min": round(bound, 2), "paced_s": round(waited, 2),
                "real_est_min": round(real_est, 2), "ratio_to_bound": round(real_est / bound, 2) if bound else None,
                "failed": c["failed"], "contacts": c["contacts_synced"], "invoices": c["invoices_pushed"],
                "credit_notes": c["credit_notes_pushed"], "payments": c["payments_pushed"],
                "allocations": allocations, "least_calls": least,
                "calls_over_least": round(calls / least, 3) if least else None}

    def close(self) -> None:
        try:
            self.store.close()
            if self.session is not None:
                self.session.close()
        finally:
            if self.srv is not None:
                self.srv.stop()
            self.tmp.cleanup()


def least_calls(counts: dict[str, int], allocations: int, allocated_notes: int) -> int:
    """The fewest calls Xero allows for what a run sent: the 4 settings reads, then every kind in
    batches of 50 (its recommended most per request), except allocations, which Xero takes one
    credit note per request. Reads the engine also makes (the contact directory, the pull, the
    copies an update reads first) are not in it, so calls / least shows every extra call."""
    batches = sum(-(-counts[k] // 50) for k in ("contacts_synced", "invoices_pushed", "credit_notes_pushed",
                                                "payments_pushed"))
    return 4 + batches + (allocated_notes if allocations else 0)


def shape_ledger(store: Any, invoices: int, contacts: int, payments: int, seed: int = 7) -> dict[str, int]:
    """A demo ledger of `invoices`, reshaped to about `contacts` invoiced customers and `payments` payments.

    The demo generator gives a believable operator (about one customer per eight
    invoices); a bigger book of one-off customers is made by moving single invoices
    (none with a credit allocation) to new customers, and surplus payments are
    removed (with the invoices' amount paid put back).
    """
    from sqlalchemy import func, select

    from xsync_desktop.ledger.demo import generate_demo_ledger
    from xsync_desktop.store.models import CreditAllocation, CreditNote, Customer, Invoice, Payment

    rng = random.Random(seed)
    with store.sessions.begin() as s:
        generate_demo_ledger(s, invoices=invoices, seed=seed, today=TODAY)
    with store.sessions.begin() as s:
        invoiced = set(s.scalars(select(Invoice.customer_id).where(Invoice.status == "authorised").distinct()))
        allocated = set(s.scalars(select(CreditAllocation.invoice_id)))
        credited_customers = set(s.scalars(select(CreditNote.customer_id)))
        movable = [i for i in s.scalars(select(Invoice).where(Invoice.status == "authorised").order_by(Invoice.id))
                   if i.id not in allocated and i.customer_id not in credited_customers]
        rng.shuffle(movable)
        need = max(0, contacts - len(invoiced))
        template = s.scalars(select(Customer).order_by(Customer.id)).first()
        for n, inv in enumerate(movable[:need]):
            cust = Customer(external_id=f"bench-c{n}", customer_number=f"B-{n:06d}", name=f"Bench Customer {n:05d}",
                            email=f"bench{n}@example.com", phone=template.phone, address=template.address)
            s.add(cust)
            s.flush()
            inv.customer_id = cust.id
        ledger_payments = list(s.scalars(select(Payment).where(Payment.source == "ledger").order_by(Payment.id)))
        for p in rng.sample(ledger_payments, max(0, len(ledger_payments) - payments)):
            inv = s.get(Invoice, p.invoice_id)
            if inv is not None:
                inv.amount_paid = (inv.amount_paid or Decimal(0)) - p.amount
            s.delete(p)
    with store.sessions() as s:
        counts = {
            "invoices": s.scalar(select(func.count()).select_from(Invoice)) or 0,
            "authorised_invoices": s.scalar(select(func.count()).select_from(Invoice).where(
                Invoice.status == "authorised")) or 0,
            "contacts": s.scalar(select(func.count(Invoice.customer_id.distinct())).where(
                Invoice.status == "authorised")) or 0,
            "payments": s.scalar(select(func.count()).select_from(Payment).where(Payment.source == "ledger")) or 0,
            "credit_notes": s.scalar(select(func.count()).select_from(CreditNote)) or 0,
        }
    return counts


def change_invoices(store: Any, fraction: float, seed: int = 11) -> int:
    """Edit the reference of `fraction` of the invoices (unpaid ones, so Xero accepts the update)."""
    from sqlalchemy import func, select

    from xsync_desktop.store.models import Invoice

    rng = random.Random(seed)
    with store.sessions.begin() as s:
        total = s.scalar(select(func.count()).select_from(Invoice)) or 0
        unpaid = list(s.scalars(select(Invoice).where(Invoice.status == "authorised", Invoice.amount_paid == 0)))
        chosen = rng.sample(unpaid, min(len(unpaid), max(1, round(total * fraction))))
        for inv in chosen:
            inv.reference = f"{(inv.reference or '')[:200]} (changed)"
        return len(chosen)


def naive_push(slice_invoices: int, time_scale: float) -> dict[str, Any]:
    """The same engine with batches of one record: calls per record on a slice of the ledger."""
    from xsync_desktop.sync import batch_sender

    rig = Rig(time_scale)
    saved = batch_sender.BATCH_SIZE
    try:
        with rig.store.sessions.begin() as s:
            from xsync_desktop.ledger.demo import generate_demo_ledger

            generate_demo_ledger(s, invoices=slice_invoices, seed=7, today=TODAY)
        rig.connect()
        batch_sender.BATCH_SIZE = 1
        row = rig.sync()
    finally:
        batch_sender.BATCH_SIZE = saved
        rig.close()
    row["calls_per_record"] = round(row["calls"] / max(1, row["records"]), 3)
    return row


def bench(invoices: int, contacts: int, payments: int, time_scale: float, naive_slice: int) -> dict[str, Any]:
    rig = Rig(time_scale)
    try:
        t0 = time.perf_counter()
        ledger = shape_ledger(rig.store, invoices, contacts, payments)
        prep = time.perf_counter() - t0
        rig.connect()
        initial = rig.sync()
        unchanged = rig.sync()  # right after: the pull re-reads its safety overlap (what was just pushed)
        unchanged_again = rig.sync()
        changed_n = change_invoices(rig.store, 0.01)
        changed = rig.sync()
        changed["changed_invoices"] = changed_n
    finally:
        rig.close()
    naive = naive_push(naive_slice, time_scale)
    naive_calls_full = round(initial["records"] * naive["calls_per_record"])
    return {
        "ledger": ledger, "ledger_prep_s": round(prep, 1), "time_scale": time_scale,
        "initial": initial, "incremental_unchanged": unchanged, "incremental_unchanged_again": unchanged_again, "incremental_1pct": changed,
        "naive_slice": naive,
        "naive_extrapolated": {"records": initial["records"], "calls": naive_calls_full,
                               "limit_bound_min": round(naive_calls_full / 60, 1),
                               "days_at_5000_per_day": round(naive_calls_full / 5000, 2),
                               "note": f"measured on a {naive_slice}-invoice slice with batch size 1, "
                                       "calls per record extrapolated to the full ledger"},
    }


def print_table(r: dict[str, Any]) -> None:
    print(f"ledger: {r['ledger']} (prepared in {r['ledger_prep_s']} s); time_scale {r['time_scale']:g}")
    print(f"{'sync':<24} {'outcome':>9} {'records':>8} {'calls':>6} {'rec/call':>8} {'wall s':>7} "
          f"{'paced s':>7} {'bound min':>9} {'est. min':>8} {'ratio':>6} {'failed':>6}")
    for label, key in (("initial", "initial"), ("nothing changed", "incremental_unchanged"),
                       ("nothing changed, again", "incremental_unchanged_again"),
                       ("1% changed", "incremental_1pct"), ("naive slice (1/call)", "naive_slice")):
        x = r[key]
        print(f"{label:<24} {x['outcome']:>9} {x['records']:>8} {x['calls']:>6} {x['records_per_call']:>8} "
              f"{x['wall_s']:>7} {x['paced_s']:>7} {x['limit_bound_min']:>9} {x['real_est_min']:>8} "
              f"{str(x['ratio_to_bound']):>6} "
              f"{x['failed']:>6}")
    i = r["initial"]
    print(f"initial sync: {i['calls']} calls, the least Xero allows {i['least_calls']} "
          f"(4 settings reads, batches of 50, one call per credit note's allocations): {i['calls_over_least']}")
    n = r["naive_extrapolated"]
    print(f"naive, extrapolated: {n['calls']} calls = {n['limit_bound_min']} real minutes at 60/min "
          f"({n['days_at_5000_per_day']} days of the 5,000/day limit); {n['note']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--contacts", type=int, default=3_000)
    parser.add_argument("--payments", type=int, default=8_000)
    parser.add_argument("--naive-slice", type=int, default=200)
    parser.add_argument("--time-scale", type=float, default=60.0)
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args(argv)
    r = bench(args.invoices, args.contacts, args.payments, args.time_scale, args.naive_slice)
    print_table(r)
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
