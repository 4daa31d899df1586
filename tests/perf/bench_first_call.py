"""Benchmark: time from the start of a sync with nothing to send to its first Xero call.

    .venv/bin/python tests/perf/bench_first_call.py [--invoices 100000]

A demo ledger of N invoices is synced once (in-process sandbox, rate limits off); then a
second sync, with nothing changed, is timed from `SyncEngine.run()` to the first request
it sends (the client's on_request hook), and to its end (`whole_sync_s`: what a person waits
for, the honest figure: the first call is the settings read, made before the push plans).
`phases_s` says when each phase the engine reported began (seconds from the start): a push
phase with nothing to send reports nothing, so the gap between "settings" and the first pull
phase is the planning of every push phase. A script, not a test: it measures, never asserts.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def bench(invoices: int) -> dict[str, Any]:
    from tests.perf.bench_sync import TODAY, Rig
    from xsync_desktop.ledger.demo import generate_demo_ledger
    from xsync_desktop.sync.engine import SyncEngine

    rig = Rig(1000.0, rate_limits=False)
    try:
        t0 = time.perf_counter()
        with rig.store.sessions.begin() as s:
            generate_demo_ledger(s, invoices=invoices, seed=7, today=TODAY)
        prep = time.perf_counter() - t0
        rig.connect()
        first_sync = rig.sync()
        firsts: list[float] = []

        def client() -> Any:
            c = rig.client()
            previous = c.on_request

            def hook(event: Any) -> None:
                if not firsts:
                    firsts.append(time.perf_counter())
                if previous is not None:
                    previous(event)

            c.on_request = hook
            return c

        phases: dict[str, float] = {}

        def progress(p: Any) -> None:
            phases.setdefault(p.phase, round(time.perf_counter() - started, 2))

        engine = SyncEngine(rig.store, client, rig.tid, lock_path=rig.profile.lock_path)
        started = time.perf_counter()
        result = engine.run(progress=progress)
        ended = time.perf_counter()
    finally:
        rig.close()
    return {"invoices": invoices, "ledger_prep_s": round(prep, 1), "first_sync_calls": first_sync["calls"],
            "first_sync_wall_s": first_sync["wall_s"], "outcome": result.outcome,
            "calls": result.counts.get("api_calls"),
            "to_first_call_s": round(firsts[0] - started, 2) if firsts else None,
            "whole_sync_s": round(ended - started, 2), "phases_s": phases}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args(argv)
    r = bench(args.invoices)
    print(f"ledger of {r['invoices']:,} invoices, synced once ({r['first_sync_calls']} calls, "
          f"{r['first_sync_wall_s']} s); a sync with nothing to send: first Xero call after "
          f"{r['to_first_call_s']} s, {r['calls']} calls, {r['whole_sync_s']} s in all, {r['outcome']}")
    print("  phases began at (s): " + ", ".join(f"{k} {v}" for k, v in r["phases_s"].items()))
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
