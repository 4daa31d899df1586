"""`xsync-desktop config [--show] [--set key=value ...]`: the sync settings, for scripted installs.

With no option (or --show) it prints each setting, its value and the line saying what it
changes. --set checks every value first (sync_settings.py, the rules the Settings page uses)
and writes them in one transaction, or nothing: a rejected value exits 2 with the reason.
Exit codes: 0 ok, 2 a key or value refused (nothing written), 6 the database could not be used.
"""

from __future__ import annotations

import sys
from typing import Any

from sqlalchemy.exc import OperationalError

from ..exit_codes import ExitCode
from ..ledger.cli import db_problem, open_or_say
from ..store.database import session_scope
from .sync_settings import SYNC_SETTINGS, SettingError, current_settings, parse_assignments, save_changes


def run_config(args: Any) -> int:
    pairs: list[str] = list(getattr(args, "set", None) or [])
    try:
        changes = parse_assignments(pairs)  # before the database is even opened: a typo writes nothing
    except SettingError as exc:
        print(f"config: {exc} Nothing was changed.", file=sys.stderr)
        return ExitCode.USAGE
    store = open_or_say(args, "config", "saving the settings")
    if isinstance(store, ExitCode):
        return store
    try:
        with session_scope(store.sessions) as session:
            changed = save_changes(session, changes, who="the config command") if changes else {}
        with store.sessions() as session:
            values = current_settings(session)
    except OperationalError as exc:
        print(f"config: {db_problem(args, exc, 'the database refused the change, nothing was written', 'saving the settings')}",
              file=sys.stderr)
        return ExitCode.ENVIRONMENT
    finally:
        store.close()
    for key in changes:
        print(f"{key} set to {values[key] or '(none)'}" + ("" if key in changed else " (unchanged)"))
    if not changes or getattr(args, "show", False):
        for spec in SYNC_SETTINGS:
            print(f"{spec.key} = {values[spec.key] or ''}")
            print(f"    {spec.explains}")
    return ExitCode.OK
