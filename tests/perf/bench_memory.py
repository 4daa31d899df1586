"""Benchmark: peak memory (RSS) of a headless sync of a big ledger.

    .venv/bin/python tests/perf/bench_memory.py [--invoices 50000] [--json out.json]

The sandbox runs in its own process with rate limits off (`--no-rate-limits
--time-scale 1000`); the demo ledger is made by `xsync-desktop demo-data` in another
process; then a child process signs in (real PKCE flow, as the CLI's demo does) and
runs the real SyncEngine with a XeroClient whose pacer runs 1000x faster (the CLI's
client paces at Xero's real 60 calls a minute, which would make this a 20-minute
wait, not a memory measurement). The child's peak RSS is its own high-water mark
(VmHWM, /proc on Linux; elsewhere os.wait4's ru_maxrss): only the sync is measured, not the
sandbox, the ledger generator or the process that started it. A script, not a test: it measures, never asserts.
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
sys.path.insert(0, str(ROOT))


SUMMARY_PREFIX = "run: "  # the child's one-line summary starts with this (bench() looks for it)
PEAK_PREFIX = "peak: "  # the child's own high-water mark (VmHWM), when the kernel says it


def own_peak_mb() -> float | None:
    """This process's peak RSS since its exec (Linux /proc VmHWM), in MB.

    Not ru_maxrss: Linux carries a process's maxrss across exec, and a child forked from a big
    parent (run_all, after the in-process sync benchmark: about 200 MB) starts with the parent's
    RSS, so ru_maxrss would report the parent's size for any child smaller than it.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def bench(invoices: int, profile: bool = False) -> dict[str, Any]:
    from tests.reliability.helpers import SandboxProcess, cli_args, cli_env

    with tempfile.TemporaryDirectory(prefix="xsync-bench-mem-") as tmp, \
            SandboxProcess(None, "--no-rate-limits", "--time-scale", "1000") as sb:
        prof = Path(tmp) / "profile"
        env = cli_env(sb.base_url)
        t0 = time.perf_counter()
        made = subprocess.run(cli_args(prof, "demo-data", "--invoices", str(invoices)), env=env,
                              capture_output=True, text=True, timeout=1800)
        if made.returncode:
            raise RuntimeError(made.stdout + made.stderr)
        prep = time.perf_counter() - t0
        t0 = time.perf_counter()
        child_args = [sys.executable, __file__, "--child", str(prof), sb.base_url] + (["--profile"] if profile else [])
        proc = subprocess.Popen(child_args, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert proc.stdout is not None
        out = proc.stdout.read()  # drain (the child blocks on a full pipe otherwise)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        lines = out.splitlines()
        summary = next((ln for ln in lines if ln.startswith(SUMMARY_PREFIX)), None)
        if proc.returncode:
            summary = out[-1500:]  # a failed child: its traceback is the figure
        elif summary is None:  # never passed off as the figure: say the child's line is missing
            summary = f"(no {SUMMARY_PREFIX.strip()!r} line from the child; its output ends) {out[-800:]}"
        own = next((float(ln[len(PEAK_PREFIX):]) for ln in lines if ln.startswith(PEAK_PREFIX)), None)
        return {"invoices": invoices, "ledger": made.stdout.strip(), "ledger_prep_s": round(prep, 1),
                "exit": proc.returncode, "sync_wall_s": round(wall, 1),
                "peak_rss_mb": own if own is not None else round(usage.ru_maxrss / 1024, 1),
                "ru_maxrss_mb": round(usage.ru_maxrss / 1024, 1), "sync_cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
                "summary": summary,
                "profile": [ln for ln in lines if ln.startswith("profile: ")]}


def child(profile: str, base_url: str, trace: bool = False) -> int:
    """In the measured process: sign in, one full sync with a fast pacer, a one-line summary.

    With `trace` (--profile) tracemalloc follows the run and, each time the traced memory
    reaches a new high (checked at every progress report), keeps a snapshot; the largest
    one's top allocation sites are printed: where the peak's memory is, not a guess.
    """
    from tests.perf.bench_sync import Rig

    peak: dict[str, Any] = {"size": 0, "snap": None, "phase": ""}
    if trace:
        import tracemalloc

        from xsync_desktop.sync import context

        tracemalloc.start(8)
        report = context.RunContext.report

        def watched(self: Any, phase: str, *args: Any, **kwargs: Any) -> None:
            current, _ = tracemalloc.get_traced_memory()
            if current > peak["size"] * 1.25:
                peak.update(size=current, snap=tracemalloc.take_snapshot(), phase=phase)
            report(self, phase, *args, **kwargs)

        context.RunContext.report = watched  # type: ignore[method-assign]
    rig = Rig(1000.0, base_url=base_url, profile_dir=Path(profile))
    try:
        rig.connect()
        r = rig.sync()
    finally:
        rig.close()
    print(f"{SUMMARY_PREFIX}{r['outcome']}; {r['records']} records sent in {r['calls']} calls, {r['wall_s']} s, "
          f"failed {r['failed']}", flush=True)
    peak_mb = own_peak_mb()
    if peak_mb is not None:
        print(f"{PEAK_PREFIX}{peak_mb}", flush=True)
    if peak["snap"] is not None:
        print(f"profile: traced peak {peak['size'] / 2**20:.1f} MB in phase {peak['phase']}")
        for stat in peak["snap"].statistics("traceback")[:12]:
            frames = [f"{Path(f.filename).name}:{f.lineno}" for f in stat.traceback
                      if "xsync_desktop" in f.filename or "tests" in f.filename][:4]
            print(f"profile: {stat.size / 2**20:7.1f} MB {stat.count:>8} blocks  {' <- '.join(frames)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return child(argv[1], argv[2], "--profile" in argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=50_000)
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--profile", action="store_true",
                        help="tracemalloc in the child: the top allocation sites at its traced peak (slower)")
    args = parser.parse_args(argv)
    r = bench(args.invoices, args.profile)
    print(f"sync of {r['invoices']:,} invoices (rate limits off): exit {r['exit']}, {r['sync_wall_s']} s, "
          f"peak RSS of the sync process {r['peak_rss_mb']} MB, its CPU time {r['sync_cpu_s']} s")
    print(f"  {r['ledger']}")
    print(f"  {r['summary']}")
    for line in r["profile"]:
        print(f"  {line}")
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
