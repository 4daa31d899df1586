"""Command line: the GUI by default, and headless commands for scripts and scheduled tasks.

Exit codes are part of the interface (scripts branch on them); they live in exit_codes.py:
0 ok, 1 import rejected rows, 2 usage error, 3 sync finished with failures,
4 sync paused by Xero's limits, 5 reconnect to Xero needed, 6 environment problem.

This module only parses arguments. Which Xero (real or the demo sandbox), which keyring
and which database each command uses is decided by the composition root
(xsync_desktop/composition), which hands the layers below plain objects.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import Any

from .exit_codes import ExitCode


class _VersionAction(argparse.Action):
    """--version: reads the version only when asked (see xsync_desktop/__init__.py)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        from . import __version__

        print(f"xsync desktop {__version__}")  # on stdout, as argparse's own version action
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xsync-desktop",
        description="Keeps a self-storage operator's billing aligned with Xero.",
    )
    parser.add_argument("--version", action=_VersionAction, help="show the program's version number and exit")
    parser.add_argument("--profile", help="folder holding the database, logs and exports (or XSYNC_PROFILE)")
    parser.add_argument("--database-url", help="a shared database, e.g. postgresql+psycopg://user@server/xsync "
                        "(or XSYNC_DATABASE_URL, or the machine configuration IT preset)")
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

    config = sub.add_parser("config", help="show or change the sync settings (for scripted installs)")
    config.add_argument("--show", action="store_true", help="print every setting, its value and what it changes")
    config.add_argument("--set", action="extend", nargs="+", metavar="KEY=VALUE",
                        help="e.g. invoice_status=DRAFT line_amount_types=Inclusive sync_start_date=2026-01-01 "
                        "schedule_minutes=60; every value is checked first, and nothing is written if one is refused")

    sub.add_parser("set-database-password",
                   help="store the shared database's password in your own keyring (read without echo)")

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
    from .machine_config import MachineConfigError

    try:
        if args.command in ("import", "sync", "verify", "config"):
            handler = _open_activity_log(args)
            try:
                return _dispatch(args)
            finally:
                if handler is not None:
                    from .activity import close_activity_log

                    close_activity_log(handler)
        return _dispatch(args)
    except MachineConfigError as exc:  # IT's preset file is unusable: say what to fix, no traceback
        print(exc.user_message, file=sys.stderr)
        return ExitCode.ENVIRONMENT


def _open_activity_log(args: Any) -> logging.Handler | None:
    """Headless syncs and imports tell the same story in the profile's activity log as the app."""
    from .activity import open_activity_log
    from .profile import resolve_profile

    try:
        profile = resolve_profile(getattr(args, "profile", None), demo=bool(getattr(args, "demo", False)),
                                  database_url=getattr(args, "database_url", None))
        return open_activity_log(profile.logs_dir)
    except OSError:  # an unwritable log folder must not stop the command; it reports its own problems
        return None


def _dispatch(args: Any) -> int:
    if args.command == "import":
        from .ledger.cli import run_import

        return run_import(args)
    if args.command == "demo-data":
        from .ledger.cli import run_demo_data

        return run_demo_data(args)
    if args.command == "sync":
        from .composition.headless import run_sync_command

        return run_sync_command(args)
    if args.command == "verify":
        from .composition.headless import run_verify_command

        return run_verify_command(args)
    if args.command == "config":
        from .sync.config_cli import run_config

        return run_config(args)
    if args.command == "set-database-password":
        from .desk_setup import run_set_database_password

        return run_set_database_password(args)
    if args.command == "sandbox":
        from .composition.sandbox_command import run_sandbox_command

        return run_sandbox_command(args)
    from .composition.gui import run_gui_command

    return run_gui_command(args)


if __name__ == "__main__":
    sys.exit(main())
