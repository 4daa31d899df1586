"""Command line: the GUI by default, and headless commands for scripts and scheduled tasks.

Exit codes are part of the interface (scripts branch on them):
0 ok, 1 import rejected rows, 2 usage error, 3 sync finished with failures,
4 sync paused by Xero's limits, 5 reconnect to Xero needed, 6 environment problem.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_USAGE = 2
EXIT_FAILURES = 3
EXIT_PAUSED = 4
EXIT_RECONNECT = 5
EXIT_ENVIRONMENT = 6


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xsync-desktop",
        description="Keeps a self-storage operator's billing aligned with Xero.",
    )
    parser.add_argument("--version", action="version", version=f"xsync desktop {__version__}")
    parser.add_argument("--profile", help="folder holding the database, logs and exports (or XSYNC_PROFILE)")
    parser.add_argument("--demo", action="store_true",
                        help="use a demo profile, demo ledger and the built-in Xero sandbox (no account needed)")
    parser.add_argument("--smoke-test", action="store_true",
                        help="open the main window, load every view, exit 0 (for CI and packaged builds)")
    sub = parser.add_subparsers(dest="command")

    imp = sub.add_parser("import", help="import billing export files (CSV or JSON) into the ledger")
    imp.add_argument("files", nargs="+", help="CSV files (one per record type) or one JSON document")
    imp.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")

    demo = sub.add_parser("demo-data", help="fill the ledger with a believable demo operator")
    demo.add_argument("--invoices", type=int, default=600, help="about how many invoices to make")
    demo.add_argument("--seed", type=int, default=7)

    sync = sub.add_parser("sync", help="run one sync now, headless")
    sync.add_argument("--dry-run", action="store_true", help="plan and report, send nothing")
    sync.add_argument("--retry-failed", action="store_true", help="retry the failed items of the last run")

    verify = sub.add_parser("verify", help="compare the ledger with Xero, field by field (exit 3 if they differ)")
    verify.add_argument("--month", help="only the records of this month (YYYY-MM); default every month")

    sb = sub.add_parser("sandbox", help="run the local Xero sandbox server")
    sb.add_argument("--port", type=int, default=0)
    sb.add_argument("--state", help="file to persist the sandbox's state in")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)

    if args.command == "import":
        from .ledger.cli import run_import

        return run_import(args)
    if args.command == "demo-data":
        from .ledger.cli import run_demo_data

        return run_demo_data(args)
    if args.command == "sync":
        from .sync.cli import run_sync

        return run_sync(args)
    if args.command == "verify":
        from .sync.cli import run_verify

        return run_verify(args)
    if args.command == "sandbox":
        from .sandbox.__main__ import main as sandbox_main

        extra = ["--port", str(args.port)] + (["--state", args.state] if args.state else [])
        return sandbox_main(extra) or 0
    from .ui.app import run_gui

    return run_gui(args)


if __name__ == "__main__":
    sys.exit(main())
