"""Benchmark: start of the frozen (PyInstaller) app, from exec to its window shown and exit.

    .venv/bin/python tests/perf/bench_frozen_start.py [--bundle dist/xsync-desktop] [--runs 3]

Build the bundle first (`bash scripts/build_bundle.sh --skip-installer`). Each run starts
the frozen program with `--smoke-test` on a fresh profile (offscreen): it migrates a new
database, opens the main window, builds and refreshes every view, and exits. The wall time
is therefore an upper bound of "start to a usable window" (it includes every view's first
load and the exit). The first run is the coldest (files not yet in the page cache).
A script, not a test: it measures, never asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def bench(bundle: Path, runs: int) -> dict[str, Any]:
    exe = bundle / "xsync-desktop"
    if not exe.exists():
        return {"error": f"no frozen app at {exe}: build it with bash scripts/build_bundle.sh --skip-installer"}
    walls: list[float] = []
    exits: list[int] = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="xsync-frozen-start-") as tmp:
            t0 = time.perf_counter()
            done = subprocess.run([str(exe), "--smoke-test", "--profile", str(Path(tmp) / "profile")],
                                  capture_output=True, text=True, timeout=300,
                                  env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
            walls.append(round(time.perf_counter() - t0, 2))
            exits.append(done.returncode)
    return {"bundle": str(bundle), "runs_s": walls, "first_s": walls[0], "best_s": min(walls), "exits": exits}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "xsync-desktop")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args(argv)
    r = bench(args.bundle, args.runs)
    if "error" in r:
        print(r["error"])
        return 1
    print(f"frozen app, --smoke-test on a fresh profile (upper bound of start to usable window): first "
          f"{r['first_s']} s, best {r['best_s']} s of {r['runs_s']}, exits {r['exits']}")
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
