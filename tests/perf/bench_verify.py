"""Benchmark: what a Compare with Xero (`verify`) of the benchmark ledger costs in Xero calls.

    .venv/bin/python tests/perf/bench_verify.py [--invoices 10000 --contacts 3000 --payments 8000]
                                               [--time-scale 60] [--json out.json]

The same ledger and rig as bench_sync.py (the in-process sandbox with Xero's limits on, the
pacer and the sandbox's limit clock `time_scale` times faster): a first sync pushes it, then a
verify of every month and a verify of one month read it back. Figures (a script, not a test:
it asserts nothing about time): Xero calls, records compared, differences found, wall time here,
and the share of Xero's 5,000-calls-a-day limit the compare uses.
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

from tests.perf.bench_sync import Rig, shape_ledger  # noqa: E402

DAILY_LIMIT = 5000


def _verify(rig: Rig, month: str | None) -> dict[str, Any]:
    from xsync_desktop.sync.engine import SyncEngine

    engine = SyncEngine(rig.store, rig.client, rig.tid, lock_path=rig.profile.lock_path)
    t0 = time.perf_counter()
    result = engine.verify(month)
    wall = time.perf_counter() - t0
    report = result.extra.get("compare")
    calls = result.counts.get("api_calls", 0)
    return {"month": month or "all", "outcome": result.outcome, "calls": calls,
            "compared": dict(report.checked) if report else {},
            "differences": report.differences if report else None,
            "unexplained": report.unexplained if report else None,
            "share_of_daily_limit": round(calls / DAILY_LIMIT, 4), "wall_s": round(wall, 2),
            "limit_bound_min": round(calls / 60, 2)}


def bench(invoices: int, contacts: int, payments: int, time_scale: float) -> dict[str, Any]:
    rig = Rig(time_scale)
    try:
        ledger = shape_ledger(rig.store, invoices, contacts, payments)
        rig.connect()
        first = rig.sync()
        everything = _verify(rig, None)
        one_month = _verify(rig, "2025-05")
        checklist = _checklist(rig, "2025-05")
    finally:
        rig.close()
    return {"ledger": ledger, "time_scale": time_scale, "first_sync_calls": first["calls"],
            "first_sync_failed": first["failed"], "verify_all": everything, "verify_month": one_month,
            "checklist": checklist}


def _checklist(rig: Rig, month: str) -> dict[str, Any]:
    """The month's checklist right after its compare: the sixth check asks whether anything touched
    the month since (compare_freshness.py); what that costs on this ledger."""
    from xsync_desktop.sync.checklist import compute_checklist

    with rig.store.sessions() as s:
        t0 = time.perf_counter()
        cl = compute_checklist(s, rig.tid, month)
        wall = time.perf_counter() - t0
        from xsync_desktop.sync.compare_freshness import CompareMark, later_change
        from xsync_desktop.sync.verify import last_compare

        kept = last_compare(s, month)
        mark = CompareMark.of(kept) if kept else None
        t1 = time.perf_counter()
        if mark is not None:
            later_change(s, rig.tid, month, mark)
        freshness = time.perf_counter() - t1
    agrees = cl.check("xero_agrees")
    return {"month": month, "wall_ms": round(wall * 1000, 1), "freshness_ms": round(freshness * 1000, 1),
            "xero_agrees": agrees.passed, "why": [r.reason for r in agrees.records]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--contacts", type=int, default=3_000)
    parser.add_argument("--payments", type=int, default=8_000)
    parser.add_argument("--time-scale", type=float, default=60.0)
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args(argv)
    r = bench(args.invoices, args.contacts, args.payments, args.time_scale)
    print(f"ledger: {r['ledger']}; first sync {r['first_sync_calls']} calls, {r['first_sync_failed']} failed")
    for key in ("verify_all", "verify_month"):
        v = r[key]
        print(f"verify {v['month']:<8} {v['outcome']:>9}  calls {v['calls']:>5}  "
              f"({v['share_of_daily_limit']:.1%} of the daily limit, >= {v['limit_bound_min']} min at 60/min)  "
              f"compared {v['compared']}  differences {v['differences']} (new {v['unexplained']})  "
              f"wall {v['wall_s']} s")
    c = r["checklist"]
    print(f"checklist {c['month']}: {c['wall_ms']} ms (of which the compare's freshness {c['freshness_ms']} ms), "
          f"Xero agrees: {c['xero_agrees']} {c['why']}")
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
