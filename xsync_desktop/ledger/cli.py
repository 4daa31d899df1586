"""`xsync-desktop import FILE…` and `xsync-desktop demo-data`: headless, for scripts.

Exit codes (xsync_desktop.cli): 0 imported (or a clean dry run), 1 rows were
rejected and nothing was written, 2 usage error (missing file, unknown file type,
demo data into a non-empty ledger), 6 the database could not be used.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy.exc import OperationalError

from xsync_desktop.exit_codes import ExitCode
from xsync_desktop.profile import resolve_profile
from xsync_desktop.store.database import session_scope
from xsync_desktop.store.disk_full import DiskFull, disk_full_message, is_disk_full
from xsync_desktop.store.integrity import DatabaseDamaged
from xsync_desktop.store.store import Store, open_store

from .demo import LedgerNotEmpty, generate_demo_ledger
from .importer import import_files
from .sources import ImportUsageError


def _open(args: argparse.Namespace) -> Store:
    profile = resolve_profile(args.profile, demo=getattr(args, "demo", False),
                              database_url=getattr(args, "database_url", None)).ensure()
    return open_store(profile.database_url, profile.backups_dir)


def db_problem(args: argparse.Namespace, exc: OperationalError, what: str, doing: str = "importing") -> str:
    """A full disk said as such (naming the folder); anything else with SQLite's own words."""
    folder = resolve_profile(args.profile, demo=getattr(args, "demo", False)).root
    if is_disk_full(exc, folder):
        return disk_full_message(folder, doing)
    return f"{what}: {exc.orig}"


def open_or_say(args: argparse.Namespace, command: str, doing: str) -> Store | ExitCode:
    """The profile's store, or the exit code after saying (on stderr) why it cannot be used."""
    try:
        return _open(args)
    except (DatabaseDamaged, DiskFull) as exc:
        print(f"{command}: {exc.user_message}", file=sys.stderr)
    except OperationalError as exc:
        print(f"{command}: {db_problem(args, exc, 'the database could not be opened', doing)}", file=sys.stderr)
    return ExitCode.ENVIRONMENT


def run_import(args: argparse.Namespace) -> int:
    paths = [Path(f) for f in args.files]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        print(f"import: no such file: {', '.join(missing)}", file=sys.stderr)
        return ExitCode.USAGE
    store = open_or_say(args, "import", "importing")
    if isinstance(store, ExitCode):
        return store
    try:
        report = import_files(store, paths, dry_run=bool(getattr(args, "dry_run", False)))
    except ImportUsageError as exc:
        print(f"import: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    except OperationalError as exc:
        print(f"import: {db_problem(args, exc, 'the database refused the import, nothing was written')}",
              file=sys.stderr)
        return ExitCode.ENVIRONMENT
    finally:
        store.close()
    print(report.summary_text())
    return ExitCode.OK if report.ok else ExitCode.REJECTED


def run_demo_data(args: argparse.Namespace) -> int:
    invoices = int(getattr(args, "invoices", 600))
    if invoices < 1:
        print("demo-data: --invoices must be at least 1", file=sys.stderr)
        return ExitCode.USAGE
    store = open_or_say(args, "demo-data", "making the demo ledger")
    if isinstance(store, ExitCode):
        return store
    try:
        with session_scope(store.sessions) as session:
            summary = generate_demo_ledger(session, invoices=invoices, seed=int(getattr(args, "seed", 7)))
    except LedgerNotEmpty as exc:
        print(f"demo-data: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    finally:
        store.close()
    print(summary.text())
    return ExitCode.OK
