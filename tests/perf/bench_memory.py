"""Benchmark: peak memory (RSS) of a headless sync of a big ledger.

    .venv/bin/python tests/perf/bench_memory.py [--invoices 50000] [--json out.json]

The sandbox runs in its own process with rate limits off (`--no-rate-limits
--time-scale 1000`); the demo ledger is made by `xsync-desktop demo-data` in another
process; then a child process signs in (real PKCE flow, as the CLI's demo does) and
runs the real SyncEngine with a XeroClient whose pacer runs 1000x faster (the CLI's
client paces at Xero's real 60 calls a minute, which would make this a 20-minute
wait, not a memory measurement). The child's peak RSS is read from the kernel
(os.wait4's ru_maxrss, KiB on Linux): only the sync is measured, not the sandbox or
the ledger generator. A script, not a test: it measures, never asserts.
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


def bench(invoices: int) -> dict[str, Any]:
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
        proc = subprocess.Popen([sys.executable, __file__, "--child", str(prof), sb.base_url], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert proc.stdout is not None
        out = proc.stdout.read()  # drain (the child blocks on a full pipe otherwise)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        summary = next((ln for ln in out.splitlines() if ln.startswith("run ")), out[-800:])
        return {"invoices": invoices, "ledger": made.stdout.strip(), "ledger_prep_s": round(prep, 1),
                "exit": proc.returncode, "sync_wall_s": round(wall, 1),
                "peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "sync_cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
                "summary": summary}


def child(profile: str, base_url: str) -> int:
    """In the measured process: sign in, one full sync with a fast pacer, a one-line summary."""
    from tests.perf.bench_sync import Rig

    rig = Rig(1000.0, base_url=base_url, profile_dir=Path(profile))
    try:
        rig.connect()
        r = rig.sync()
    finally:
        rig.close()
    print(f"run: {r['outcome']}; {r['records']} records sent in {r['calls']} calls, {r['wall_s']} s, "
          f"failed {r['failed']}", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return child(argv[1], argv[2])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=50_000)
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args(argv)
    r = bench(args.invoices)
    print(f"sync of {r['invoices']:,} invoices (rate limits off): exit {r['exit']}, {r['sync_wall_s']} s, "
          f"peak RSS of the sync process {r['peak_rss_mb']} MB, its CPU time {r['sync_cpu_s']} s")
    print(f"  {r['ledger']}")
    print(f"  {r['summary']}")
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
