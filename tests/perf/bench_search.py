"""Benchmark: text search over the items of a 1,000,000-item run, as the Runs view asks it.

    .venv/bin/python tests/perf/bench_search.py [--items 1000000] [--like]

A fresh profile database (migrated, so with the full-text index of migration 0004) gets
one run of `items` items (tests/ui/runs_data.py, executemany); then the view's own
queries (ui/models/run_items_model.py: first block of rows, and the count) run for a
few needles. `--like` measures the unindexed LIKE search on the same data, for the
before/after. Each figure is the best of three (a shared machine's noise is upward).
A script, not a test: it measures, never asserts.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def _best(fn: Any, n: int = 3) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(n):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def bench(items: int, like: bool = False) -> dict[str, Any]:
    from tests.ui.runs_data import add_run
    from xsync_desktop.store import item_search
    from xsync_desktop.store.store import open_store
    from xsync_desktop.ui.models.run_items_model import ItemFilter, count_items, fetch_item_rows

    if like:  # the LIKE path, as before the index
        item_search.MIN_INDEXED = 10**9
    with tempfile.TemporaryDirectory(prefix="xsync-bench-search-") as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'xsync.db'}")
        try:
            t0 = time.perf_counter()
            run_id = add_run(store.sessions, items, failed_every=1000)
            insert_s = time.perf_counter() - t0
            db_mb = (Path(tmp) / "xsync.db").stat().st_size / 2**20
            needles = ["INV-0999" if items >= 1_000_000 else f"INV-{items * 999 // 1000:07d}"[:-3],
                       "not a valid code", "x-0000042", "no such text"]
            rows: dict[str, Any] = {}
            for needle in needles:
                f = ItemFilter(text=needle)
                with store.sessions() as s:
                    first_s, first = _best(lambda f=f, s=s: fetch_item_rows(s, run_id, f, 0, 500))
                    count_s, total = _best(lambda f=f, s=s: count_items(s, run_id, f))
                rows[needle] = {"first_rows_ms": round(first_s * 1000, 1), "count_ms": round(count_s * 1000, 1),
                                "shown": len(first), "total": total}
        finally:
            store.close()
    return {"items": items, "index": "LIKE (no index)" if like else "full-text index",
            "insert_s": round(insert_s, 1), "db_mb": round(db_mb, 1), "searches": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--like", action="store_true", help="measure the unindexed LIKE search instead")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args(argv)
    r = bench(args.items, args.like)
    print(f"run of {r['items']:,} items, {r['index']}: inserted in {r['insert_s']} s, database {r['db_mb']} MB")
    for needle, x in r["searches"].items():
        print(f"  search {needle!r}: first rows {x['first_rows_ms']} ms, count {x['count_ms']} ms "
              f"({x['shown']} shown, {x['total']:,} in all)")
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
