"""All benchmarks in one command, as a table and as JSON (to compare figures between commits).

    .venv/bin/python tests/perf/run_all.py [--quick] [--json out.json]

Sections (each measured, never asserted; a section that fails is reported, the rest still run):
- sync    tests/perf/bench_sync.py: first sync of 10,000 invoices + 3,000 contacts + 8,000
          payments against the sandbox with Xero's real limits (time-scaled 60x), calls and
          records per call, against the rate-limit bound (calls/60 real minutes); a naive
          one-record-per-call push on a slice, extrapolated; incremental syncs (none / 1% changed);
- memory  tests/perf/bench_memory.py: peak RSS of a process syncing 50,000 invoices;
- memory  also at a tenth of the size: the issue's goal is memory bounded by the batch (big/small <= 1.2);
- import  tests/perf/bench_import.py: peak RSS of a process importing 50,000 invoices (JSON);
- search  tests/perf/bench_search.py: the Runs view's text search over a 1,000,000-item run, no GUI;
- first_call tests/perf/bench_first_call.py: start of a sync with nothing to send to its first Xero call,
          100,000-invoice ledger (synced once first, rate limits off: the longest section);
- frozen  tests/perf/bench_frozen_start.py: the frozen app's exec to its window shown (dist/xsync-desktop or
          $XSYNC_BENCH_BUNDLE; built first by scripts/build_bundle.sh when missing or older than the sources),
          fresh profile then existing profile;
- gui     tests/perf/bench_gui_stall.py (ui-main's): cold start, the longest GUI-thread stall
          during a 10,000-invoice sync and the two minutes after it, opening and filtering a run of
          1,000,000 items. In a child whose Xero client paces at Xero's real 60 calls a minute (the
          issue's condition: the sync alone takes 10+ minutes); `--quick` paces it 60x faster, its
          sandbox process counting its minute 60x faster too (tests/perf/sandbox_time_scale/sitecustomize.py),
          and watches 2 s after.
They run in that order of the table below but with the sections whose figure is a duration of the
GUI or of a start (first_call, gui, frozen) last, so work started beside the run (a test suite)
has most likely ended by then; the load average at start and end is printed with the figures.
`--quick` shrinks every size about 10x (about a minute). Machine facts go into the JSON too.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

FULL = {"invoices": 10_000, "contacts": 3_000, "payments": 8_000, "naive_slice": 200, "memory_invoices": 50_000,
        "memory_small_invoices": 5_000, "import_invoices": 50_000, "gui_invoices": 10_000, "gui_items": 1_000_000,
        "search_items": 1_000_000, "first_call_invoices": 100_000, "gui_time_scale": 1.0, "gui_after_s": 120.0}
QUICK = {"invoices": 1_000, "contacts": 300, "payments": 800, "naive_slice": 50, "memory_invoices": 5_000,
         "memory_small_invoices": 500, "import_invoices": 5_000, "gui_invoices": 1_000, "gui_items": 100_000,
         "search_items": 100_000, "first_call_invoices": 10_000, "gui_time_scale": 60.0, "gui_after_s": 2.0}
SECTIONS = ("sync", "memory", "import", "search", "first_call", "gui", "frozen")
TIME_SCALE = 60.0
# sitecustomize that scales the rate-limit clock of the GUI bench's sandbox process (see its docstring)
HOOK = Path(__file__).resolve().parent / "sandbox_time_scale"


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                    if ln.startswith("model name")), "")
    except OSError:
        pass
    ram_gb = None
    try:
        kb = next(int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines()
                  if ln.startswith("MemTotal"))
        ram_gb = round(kb / 1024 / 1024, 1)
    except (OSError, StopIteration):
        pass
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    return {"nproc": os.cpu_count(), "ram_gb": ram_gb, "cpu": cpu or platform.processor(),
            "python": platform.python_version(), "platform": platform.platform(), "commit": commit,
            "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime())}


# -- GUI: ui-main's bench in a child, client pacing time-scaled ----------------------------------
GUI_PATTERNS = {
    "cold_start_s": r"cold start to usable window.*?: ([\d.]+) s",
    "sync_s": r"sync of [\d,]+ invoices: ([\d.]+) s",
    "sync_outcome": r"sync of [\d,]+ invoices: [\d.]+ s, outcome (\w+)",
    "sync_longest_stall_ms": r"GUI stall during sync: longest ([\d.]+) ms",
    "sync_p99_stall_ms": r"GUI stall during sync: longest [\d.]+ ms, p99 ([\d.]+) ms",
    "items_insert_s": r"inserted [\d,]+ items \(executemany\): ([\d.]+) s",
    "open_run_first_rows_ms": r"open run of [\d,]+ items: first rows (\d+) ms",
    "open_run_counted_ms": r"open run of [\d,]+ items: first rows \d+ ms, total counted (\d+) ms",
    "filter_failed_ms": r"filter outcome=failed: rows and count (\d+) ms",
    "text_search_first_rows_ms": r"text search '[^']*': first rows (\d+) ms",
    "text_search_count_ms": r"text search '[^']*': first rows \d+ ms, count (\d+) ms",
    "browse_longest_stall_ms": r"GUI stall while opening and filtering: longest ([\d.]+) ms",
}


def gui_child(scale: float, invoices: int, items: int, after: float = 2.0) -> int:
    """Run bench_gui_stall with the demo's Xero client pacing `scale` times faster (1: Xero's own
    pace), the stall probe watching `after` seconds past the sync's end."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if scale != 1.0:
        import xsync_desktop.composition.demo as demo_mod

        original = demo_mod.demo_xero_setup

        def scaled_setup(sandbox: Any) -> Any:
            setup = original(sandbox)
            setup.client_options.update(time_scale=scale)
            return setup

        demo_mod.demo_xero_setup = scaled_setup
    from tests.perf import bench_gui_stall

    return bench_gui_stall.main(["--invoices", str(invoices), "--items", str(items), "--after", str(after)])


def bench_gui(invoices: int, items: int, scale: float = TIME_SCALE, after: float = 2.0) -> dict[str, Any]:
    if not (ROOT / "tests" / "perf" / "bench_gui_stall.py").exists():
        return {"error": "tests/perf/bench_gui_stall.py is missing"}
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--gui-child", str(scale),
                           str(invoices), str(items), str(after)], cwd=ROOT, capture_output=True, text=True,
                          timeout=3600, env=dict(os.environ, QT_QPA_PLATFORM="offscreen",
                                                 PYTHONPATH=os.pathsep.join([str(HOOK), str(ROOT)]),
                                                 XSYNC_BENCH_SANDBOX_TIME_SCALE=str(scale)))
    out = done.stdout
    row: dict[str, Any] = {"invoices": invoices, "items": items, "client_time_scale": scale, "after_s": after,
                           "exit": done.returncode, "wall_s": round(time.perf_counter() - t0, 1)}
    for key, pattern in GUI_PATTERNS.items():
        m = re.search(pattern, out)
        if m:
            row[key] = m.group(1) if key == "sync_outcome" else float(m.group(1))
    row["output"] = [ln for ln in out.splitlines() if ln.strip()]
    if done.returncode:
        row["error"] = done.stderr[-1500:]
    return row


# -- the harness ----------------------------------------------------------------------------------
def _section(name: str, fn: Any, results: dict[str, Any]) -> None:
    print(f"== {name} ...", flush=True)
    t0 = time.perf_counter()
    try:
        results[name] = fn()
    except Exception as exc:  # noqa: BLE001 - a broken section is a figure too; the others still run
        results[name] = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()[-3000:]}
    results[name]["section_s"] = round(time.perf_counter() - t0, 1)
    print(f"   done in {results[name]['section_s']} s", flush=True)


def print_report(r: dict[str, Any]) -> None:
    m = r["machine"]
    print(f"\nxsync desktop benchmarks ({'quick' if r['quick'] else 'full'}), commit {m['commit']}, {m['date_utc']} UTC")
    print(f"machine: {m['nproc']} cores, {m['ram_gb']} GB RAM, {m['cpu']}, Python {m['python']}")
    s = r.get("sync")
    if s is None:
        pass
    elif "error" in s:
        print(f"sync: ERROR {s['error']}")
    else:
        from tests.perf.bench_sync import print_table

        print()
        print_table(s)
    mem = r.get("memory")
    print()
    if mem is None:
        pass
    elif "error" in mem:
        print(f"memory: ERROR {mem['error']}")
    else:
        print(f"memory: sync of {mem['invoices']:,} invoices (rate limits off): peak RSS {mem['peak_rss_mb']} MB, "
              f"{mem['sync_wall_s']} s, CPU {mem['sync_cpu_s']} s, exit {mem['exit']}; {mem['summary']}")
    g = r.get("gui")
    print()
    if g is None:
        pass
    elif "error" in g and "sync_s" not in g:
        print(f"gui: ERROR {g['error'][-500:]}")
    else:
        print(f"gui ({g['invoices']:,} invoices, run of {g['items']:,} items, client pacing x{g['client_time_scale']:g}):")
        for key in GUI_PATTERNS:
            if key in g:
                print(f"  {key:<28} {g[key]}")


def bench_import(invoices: int) -> dict[str, Any]:
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "perf" / "bench_import.py"), "--invoices",
                           str(invoices)], cwd=ROOT, capture_output=True, text=True, timeout=3600)
    out = done.stdout
    row: dict[str, Any] = {"invoices": invoices, "exit": done.returncode,
                           "output": [ln for ln in out.splitlines() if ln.strip()]}
    m = re.search(r"peak RSS of the importing process: (\d+) MB", out)
    if m:
        row["peak_rss_mb"] = float(m.group(1))
    if done.returncode:
        row["error"] = (done.stderr or out)[-1500:]
    return row


def build_bundle_if_missing(bundle: Path) -> dict[str, Any]:
    """The frozen row needs the PyInstaller bundle: build it (no installer, no smoke test) when it
    is missing or older than the last commit that changed the app, so one run prints every row of
    this commit; the build's own time is reported, not counted."""
    exe = next((p for p in (bundle / "xsync-desktop", bundle / "xsync-desktop.exe") if p.exists()), None)
    if exe is not None and os.environ.get("XSYNC_BENCH_BUNDLE"):
        return {"built_here": False}  # named by the person running the benchmarks: theirs to keep current
    changed = subprocess.run(["git", "log", "-1", "--format=%ct", "--", "xsync_desktop", "build.spec", "resources"],
                             cwd=ROOT, capture_output=True, text=True).stdout.strip()
    if exe is not None and changed and exe.stat().st_mtime >= float(changed):
        return {"built_here": False}  # built after the last commit that changed the app: it is this commit's
    t0 = time.perf_counter()
    done = subprocess.run(["bash", str(ROOT / "scripts" / "build_bundle.sh"), "--skip-installer", "--skip-smoke"],
                          cwd=ROOT, capture_output=True, text=True, timeout=3600)
    row: dict[str, Any] = {"built_here": True, "build_s": round(time.perf_counter() - t0, 1),
                           "build_exit": done.returncode}
    if done.returncode:
        row["build_error"] = (done.stderr or done.stdout)[-1500:]
    return row


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def _get(r: dict[str, Any], *path: str) -> Any:
    for key in path:
        if not isinstance(r, dict) or key not in r:
            return None
        r = r[key]
    return r


def goal_rows(r: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The issue's table (issue 16): measure, figure of this run, goal."""
    sizes = r["sizes"]
    big, small = _get(r, "memory", "peak_rss_mb"), _get(r, "memory", "small", "peak_rss_mb")
    ratio = round(big / small, 2) if big and small else None
    stall, p99 = _get(r, "gui", "sync_longest_stall_ms"), _get(r, "gui", "sync_p99_stall_ms")
    search = _get(r, "search", "searches")
    first_needle = next(iter(search.values())) if isinstance(search, dict) and search else None
    gui_search = _get(r, "gui", "text_search_first_rows_ms")
    scale = sizes.get("gui_time_scale", TIME_SCALE)
    pace = "at Xero's pace" if scale == 1 else f"paced x{scale:g}"

    def fig(value: Any, unit: str = "") -> str:
        return "not measured" if value is None else f"{value}{unit}"

    return [
        (f"peak RSS, sync of {sizes['memory_invoices']:,} invoices", fig(big, " MB"), "< 250 MB"),
        (f"  ... against {sizes['memory_small_invoices']:,} invoices ({fig(small, ' MB')})", fig(ratio, "x"),
         "<= 1.2x"),
        (f"peak RSS, import of {sizes['import_invoices']:,} invoices", fig(_get(r, "import", "peak_rss_mb"), " MB"),
         "< 250 MB"),
        (f"GUI stall, {sizes['gui_invoices']:,}-invoice sync {pace} + {sizes['gui_after_s']:g} s after: longest / p99",
         f"{fig(stall, ' ms')} / {fig(p99, ' ms')}", "< 50 ms / < 16 ms"),
        (f"text search over a {sizes['search_items']:,}-item run: first rows / count",
         "not measured" if first_needle is None else
         f"{first_needle['first_rows_ms']} ms / {first_needle['count_ms']} ms", "< 200 ms"),
        (f"  ... the same in the GUI ({sizes['gui_items']:,} items, first rows)", fig(gui_search, " ms"), "< 200 ms"),
        ("sync with nothing changed, right after a sync: calls",
         fig(_get(r, "sync", "incremental_unchanged", "calls")), "<= 4"),
        (f"start to first Xero call, nothing to send, {sizes['first_call_invoices']:,} invoices",
         fig(_get(r, "first_call", "to_first_call_s"), " s"), "< 3 s"),
        ("  ... and that whole sync with nothing to send, start to end",
         fig(_get(r, "first_call", "whole_sync_s"), " s"), "(the wait a person sees)"),
        ("frozen app start to usable window: fresh profile / existing profile (best)",
         f"{fig(_get(r, 'frozen', 'first_window_s'), ' s')} / {fig(_get(r, 'frozen', 'best_window_s'), ' s')}",
         "< 1.5 s"),
        ("  ... then its first view with the profile's data: fresh / existing (best)",
         f"{fig(_get(r, 'frozen', 'first_data_s'), ' s')} / {fig(_get(r, 'frozen', 'best_data_s'), ' s')}",
         "no goal"),
        ("initial sync calls / least calls Xero allows",
         fig(_get(r, "sync", "initial", "calls_over_least")), "<= 1.05"),
    ]


def print_goals(r: dict[str, Any]) -> None:
    rows = goal_rows(r)
    width = max(len(m) for m, _, _ in rows)
    print(f"\nissue 16's table (machine shared: figures are noisy upward){'':<2}")
    print(f"{'measure':<{width}}  {'this run':>24}  goal")
    for measure, figure, goal in rows:
        print(f"{measure:<{width}}  {figure:>24}  {goal}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--gui-child"]:
        return gui_child(float(argv[1]), int(argv[2]), int(argv[3]), float(argv[4]) if len(argv) > 4 else 2.0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="about 10x smaller sizes (about a minute)")
    parser.add_argument("--json", help="write every figure to this file")
    parser.add_argument("--only", choices=SECTIONS, action="append",
                        help="run only these sections (repeatable)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    only = set(args.only or SECTIONS)
    results: dict[str, Any] = {"quick": args.quick, "sizes": sizes, "machine": machine()}
    started = time.perf_counter()
    results["load_average_at_start"] = load_average()
    if "sync" in only:
        from tests.perf.bench_sync import bench as bench_sync

        _section("sync", lambda: bench_sync(sizes["invoices"], sizes["contacts"], sizes["payments"], TIME_SCALE,
                                            sizes["naive_slice"]), results)
    if "memory" in only:
        from tests.perf.bench_memory import bench as bench_memory

        def memory() -> dict[str, Any]:
            row = bench_memory(sizes["memory_invoices"])
            row["small"] = bench_memory(sizes["memory_small_invoices"])
            return row

        _section("memory", memory, results)
    if "import" in only:
        _section("import", lambda: bench_import(sizes["import_invoices"]), results)
    if "search" in only:
        from tests.perf.bench_search import bench as bench_search

        _section("search", lambda: bench_search(sizes["search_items"]), results)
    if "first_call" in only:
        from tests.perf.bench_first_call import bench as bench_first_call

        _section("first_call", lambda: bench_first_call(sizes["first_call_invoices"]), results)
    if "gui" in only:
        _section("gui", lambda: bench_gui(sizes["gui_invoices"], sizes["gui_items"], sizes["gui_time_scale"],
                                          sizes["gui_after_s"]), results)
    if "frozen" in only:
        from tests.perf.bench_frozen_start import bench as bench_frozen

        bundle = Path(os.environ.get("XSYNC_BENCH_BUNDLE") or ROOT / "dist" / "xsync-desktop")

        def frozen() -> dict[str, Any]:
            built = build_bundle_if_missing(bundle)
            row = bench_frozen(bundle, 3)
            row.update(built)
            return row

        _section("frozen", frozen, results)
    results["total_s"] = round(time.perf_counter() - started, 1)
    results["load_average_at_end"] = load_average()
    print_report(results)
    print_goals(results)
    print(f"\ntotal {results['total_s']} s; load average (1, 5, 15 min) at start {results['load_average_at_start']}, "
          f"at end {results['load_average_at_end']}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
        print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
