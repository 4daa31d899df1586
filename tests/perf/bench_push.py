"""Benchmark: Xero calls per pushed record and wall time for a bulk first push.

    .venv/bin/python tests/perf/bench_push.py [--sizes 1000 10000] [--time-scale 60]

Runs the real engine against the sandbox over loopback with Xero's rate limits on
(60 calls/minute, 5 in flight, 5,000/day). The sandbox's clock and the client's
pacer both run `time_scale` times faster, so a push that would take N minutes of
Xero's minute-window pacing takes N*60/time_scale seconds here; the report gives
the wall time here and the real-limit minutes (calls / 60: the time Xero's minute
limit alone imposes on this many calls against the real service). Not a test: it prints
a table and exits 0.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))




def bench(invoices: int, time_scale: float) -> dict[str, Any]:

    from tests.fixtures.xero import free_loopback_ports
    from xsync_desktop.composition.demo import browser_for
    from xsync_desktop.composition.memory_keyring import LimitedMemoryKeyring
    from xsync_desktop.ledger.demo import generate_demo_ledger
    from xsync_desktop.profile import Profile
    from xsync_desktop.sandbox import SandboxConfig, SandboxServer
    from xsync_desktop.store.store import open_store
    from xsync_desktop.sync.engine import SyncEngine
    from xsync_desktop.sync.mapping_check import suggest_mappings
    from xsync_desktop.sync.settings_refresh import refresh_settings
    from xsync_desktop.xero.client import XeroClient
    from xsync_desktop.xero.endpoints import DEFAULT_SCOPES, XeroEndpoints
    from xsync_desktop.xero.login import LoopbackLogin, redirect_uris
    from xsync_desktop.xero.session import XeroSession
    from xsync_desktop.xero.token_store import KeyringTokenStore

    ports = free_loopback_ports(3)
    srv = SandboxServer(SandboxConfig(redirect_uris=redirect_uris(ports), time_scale=time_scale,
                                      rate_limits=True)).start()
    tmp = tempfile.TemporaryDirectory(prefix="xsync-bench-")
    try:
        profile = Profile(Path(tmp.name) / "bench profile").ensure()
        store = open_store(profile.database_url, profile.backups_dir)
        with store.sessions.begin() as s:
            summary = generate_demo_ledger(s, invoices=invoices, seed=7)
        endpoints = XeroEndpoints.for_sandbox(srv.base_url)
        session = XeroSession(endpoints, srv.config.client_id, KeyringTokenStore(LimitedMemoryKeyring()),
                              "bench", lock_dir=Path(tmp.name) / "locks")

        login = LoopbackLogin(endpoints, srv.config.client_id, DEFAULT_SCOPES, ports, opener=browser_for(srv.approve), timeout=30)
        login.start()
        session.adopt(login.wait())
        conn = next(c for c in session.connections() if c.tenant_name == "Harbourside Storage Ltd")
        tid = conn.tenant_id
        calls: Counter[str] = Counter()

        def factory() -> XeroClient:
            def count(ev: Any) -> None:
                calls["write" if ev.method in ("PUT", "POST") else "read"] += 1
            return XeroClient(session, tid, endpoints, time_scale=time_scale, on_request=count)

        with store.sessions() as s:
            client = factory()
            refresh_settings(s, client, tid, force=True)
            for m in suggest_mappings(s, tid):
                s.add(m)
            s.commit()
            client.close()
        calls.clear()
        engine = SyncEngine(store, factory, tid, lock_path=profile.lock_path)
        t0 = time.perf_counter()
        result = engine.run()
        wall = time.perf_counter() - t0
        c = result.counts
        pushed = c["contacts_synced"] + c["invoices_pushed"] + c["credit_notes_pushed"] + c["payments_pushed"]
        from sqlalchemy import func, select

        from xsync_desktop.store.models import SyncItem

        with store.sessions() as s:
            allocations = s.scalar(select(func.count()).select_from(SyncItem).where(
                SyncItem.run_id == result.run_id, SyncItem.entity == "allocation",
                SyncItem.outcome == "succeeded")) or 0
        pushed += allocations
        store.close()
        session.close()
        return {
            "invoices": invoices, "outcome": result.outcome, "ledger": summary.text(),
            "pushed": pushed, "calls": c["api_calls"], "writes": calls["write"], "reads": calls["read"],
            "per_call": pushed / max(1, c["api_calls"]), "per_write": pushed / max(1, calls["write"]),
            # allocations go one credit note per request (Xero's API), so show the batchable part too
            "batched_per_write": (pushed - allocations) / max(1, calls["write"] - allocations),
            "allocations": allocations,
            "wall_s": wall,
            # what Xero's 60-calls-a-minute limit alone imposes on this many calls (real minutes)
            "limit_minutes": c["api_calls"] / 60, "failed": c["failed"],
        }
    finally:
        srv.stop()
        tmp.cleanup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--time-scale", type=float, default=60.0)
    args = parser.parse_args(argv)
    rows = [bench(n, args.time_scale) for n in args.sizes]
    print(f"time_scale={args.time_scale:g} (rate limits on: 60/min, 5 in flight, 5000/day)")
    print(f"{'invoices':>9} {'outcome':>9} {'records':>8} {'calls':>6} {'writes':>6} {'rec/call':>8} "
          f"{'rec/write':>9} {'batched':>7} {'wall s':>7} {'limit min':>9} {'failed':>6}")
    for r in rows:
        print(f"{r['invoices']:>9} {r['outcome']:>9} {r['pushed']:>8} {r['calls']:>6} {r['writes']:>6} "
              f"{r['per_call']:>8.1f} {r['per_write']:>9.1f} {r['batched_per_write']:>7.1f} {r['wall_s']:>7.1f} {r['limit_minutes']:>9.1f} "
              f"{r['failed']:>6}")
        print(f"          {r['ledger']}; {r['allocations']} allocations (one request each)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
