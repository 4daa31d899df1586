"""Import benchmark (a script, not a test): `python tests/perf/bench_import.py --invoices 50000`.

A child process makes a demo ledger of the requested size and exports it (JSON
or a CSV set); this process then imports it into a fresh database, twice: the
first run adds everything, the second finds everything unchanged. Peak RSS is
this process's, so it measures the import alone.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def prepare(folder: Path, invoices: int, fmt: str) -> None:
    from xsync_desktop.ledger.demo import generate_demo_ledger
    from xsync_desktop.ledger.export import export_ledger_csv, export_ledger_json
    from xsync_desktop.profile import Profile
    from xsync_desktop.store.store import open_store

    profile = Profile(folder / "source").ensure()
    store = open_store(profile.database_url, profile.backups_dir)
    started = time.perf_counter()
    with store.sessions.begin() as session:
        summary = generate_demo_ledger(session, invoices=invoices, seed=7, today=date(2025, 6, 15))
    print(f"demo ledger generated in {time.perf_counter() - started:.2f} s: {summary.text()}")
    with store.sessions() as session:
        if fmt == "json":
            export_ledger_json(session, folder / "ledger.json")
        else:
            export_ledger_csv(session, folder / "csv")
    store.close()
    files = [folder / "ledger.json"] if fmt == "json" else sorted((folder / "csv").glob("*.csv"))
    (folder / "rows.txt").write_text(str(_row_count(files)), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=50000)
    parser.add_argument("--format", choices=("json", "csv"), default="json")
    parser.add_argument("--folder", help="work folder (default: a temporary one)")
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    folder = Path(args.folder or tempfile.mkdtemp(prefix="xsync-bench-"))
    if args.prepare:
        prepare(folder, args.invoices, args.format)
        return 0
    subprocess.run(
        [sys.executable, __file__, "--prepare", "--invoices", str(args.invoices), "--format", args.format,
         "--folder", str(folder)],
        check=True,
    )

    from xsync_desktop.ledger import import_files
    from xsync_desktop.profile import Profile
    from xsync_desktop.store.store import open_store

    files = [folder / "ledger.json"] if args.format == "json" else sorted((folder / "csv").glob("*.csv"))
    size_mb = sum(f.stat().st_size for f in files) / 1e6
    profile = Profile(folder / "target").ensure()
    store = open_store(profile.database_url, profile.backups_dir)
    rows = 0
    for label in ("first import (all added)", "second import (all unchanged)"):
        started = time.perf_counter()
        report = import_files(store, files)
        seconds = time.perf_counter() - started
        if not report.ok:
            print(report.summary_text(20))
            return 1
        if not rows:  # counted by the preparing child: reading the file here would count in the peak
            rows = int((folder / "rows.txt").read_text(encoding="utf-8"))
        print(f"{label}: {seconds:.2f} s, {rows / seconds:,.0f} rows/s "
              f"({rows:,} rows, {size_mb:.1f} MB {args.format}; {report.added} added, "
              f"{report.unchanged} unchanged records)")
    store.close()
    from tests.perf.bench_memory import own_peak_mb

    # VmHWM, not ru_maxrss: started by run_all (a big parent), ru_maxrss would carry its size
    peak_mb = own_peak_mb() or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"peak RSS of the importing process: {peak_mb:.0f} MB")
    return 0


def _row_count(files: list[Path]) -> int:
    """Rows in the export, every record type (lines included)."""
    import json

    if len(files) == 1 and files[0].suffix == ".json":
        doc = json.loads(files[0].read_text(encoding="utf-8"))
        return sum(len(v) for v in doc.values() if isinstance(v, list))
    return sum(max(0, sum(1 for _ in f.open(encoding="utf-8")) - 1) for f in files)


if __name__ == "__main__":
    sys.exit(main())
