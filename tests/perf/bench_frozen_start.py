"""Benchmark: start of the frozen (PyInstaller) app, from exec to its window shown and exit.

    .venv/bin/python tests/perf/bench_frozen_start.py [--bundle dist/xsync-desktop] [--runs 3]
    .venv/bin/python tests/perf/bench_frozen_start.py --source     (the same from the source tree)

Build the bundle first (`bash scripts/build_bundle.sh --skip-installer`). Each run starts
the frozen program with `--smoke-test` (offscreen): the first on a fresh profile (it migrates a
new database), the others on that same profile, as an operator starts it each day. The smoke
test prints the wall-clock moment its main window is shown and painted, then the moment the
profile is open and the view on screen shows its data (the window shows first and opens the
profile behind it, ui/app.py); each is that moment less the moment this script started the
process. The whole smoke test (every view built and refreshed, then exit) is reported beside
them. The first run is the coldest (files not yet in the page cache).
`--source` starts `python -m xsync_desktop` instead, with bytecode caching on (a source tree
with PYTHONDONTWRITEBYTECODE set would compile every module at every start, which the frozen
app, built from compiled modules, never does); its first run warms those caches.
A script, not a test: it measures, never asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _seconds_to(line: str, stdout: str, started: float) -> float | None:
    """Seconds from exec to the smoke test's "<line> <epoch>" line, if it printed one."""
    match = re.search(re.escape(line) + r" (\d+\.\d+)", stdout)
    return round(float(match.group(1)) - started, 2) if match else None


def _window_shown_s(stdout: str, started: float) -> float | None:
    """Seconds from exec to the smoke test's "window shown at <epoch>" line, if it printed one."""
    return _seconds_to("window shown at", stdout, started)


def bench(bundle: Path, runs: int, *, source: bool = False) -> dict[str, Any]:
    """Start the frozen app `runs` times: first on a fresh profile (it migrates a new database),
    then on that same profile, as an operator starts it every morning."""
    exe = bundle / "xsync-desktop"
    if source:
        command = [sys.executable, "-m", "xsync_desktop"]
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    elif not exe.exists():
        return {"error": f"no frozen app at {exe}: build it with bash scripts/build_bundle.sh --skip-installer"}
    else:
        command, env = [str(exe)], dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    walls: list[float] = []
    windows: list[float | None] = []
    data: list[float | None] = []
    cpus: list[float | None] = []  # the process's own CPU seconds to the window (the load does not count)
    exits: list[int] = []
    with tempfile.TemporaryDirectory(prefix="xsync-frozen-start-") as tmp:
        for _ in range(runs):
            started = time.time()
            t0 = time.perf_counter()
            done = subprocess.run([*command, "--smoke-test", "--profile", str(Path(tmp) / "profile")],
                                  capture_output=True, text=True, timeout=300, env=env, cwd=ROOT)
            walls.append(round(time.perf_counter() - t0, 2))
            windows.append(_window_shown_s(done.stdout, started))
            data.append(_seconds_to("first view with its data at", done.stdout, started))
            cpu_match = re.search(r"cpu to window (\d+\.\d+)", done.stdout)
            cpus.append(float(cpu_match.group(1)) if cpu_match else None)
            exits.append(done.returncode)
    later = [w for w in windows[1:] if w is not None]
    later_data = [d for d in data[1:] if d is not None]
    return {"bundle": "source tree" if source else str(bundle), "window_s": windows, "first_window_s": windows[0],
            "best_window_s": min(later) if later else windows[0], "data_s": data,
            "first_data_s": data[0], "best_data_s": min(later_data) if later_data else data[0],
            "cpu_to_window_s": cpus, "whole_smoke_s": walls, "exits": exits, "load": os.getloadavg()[0]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "xsync-desktop")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--source", action="store_true", help="start the source tree's app, not the bundle")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args(argv)
    r = bench(args.bundle, args.runs, source=args.source)
    if "error" in r:
        print(r["error"])
        return 1
    what = "source tree" if args.source else "frozen app"
    print(f"{what}, exec to window shown: fresh profile {r['first_window_s']} s, then on that profile "
          f"{r['window_s'][1:]} s (CPU {r['cpu_to_window_s']} s); to the first view with its data {r['data_s']} s; whole --smoke-test "
          f"(every view, exit) {r['whole_smoke_s']} s; exits {r['exits']}; load average {r['load']:.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
