"""`xsync-desktop set-database-password`: a person stores the shared database's password once.

It goes into that person's OS keyring (store/db_password.py), never into the machine
configuration or the database URL. The password is read without echo (or from standard
input when it is not a terminal, for IT's deployment scripts) and checked by connecting.
"""

from __future__ import annotations

import getpass
import sys
from typing import Any

from sqlalchemy import make_url, text
from sqlalchemy.exc import SQLAlchemyError


def run_set_database_password(args: Any) -> int:
    from .exit_codes import ExitCode
    from .machine_config import MachineConfigError
    from .profile import resolve_profile
    from .store.database import make_engine
    from .store.db_password import save_password

    try:
        url = make_url(resolve_profile(getattr(args, "profile", None),
                                       database_url=getattr(args, "database_url", None)).database_url)
    except MachineConfigError as exc:
        print(exc.user_message)
        return ExitCode.ENVIRONMENT
    if url.get_backend_name() != "postgresql":
        print("This profile uses its own SQLite database, which has no password. Set the shared database "
              "first (--database-url, XSYNC_DATABASE_URL, or the machine configuration).")
        return ExitCode.USAGE
    password = getpass.getpass(f"Password for {url.username}@{url.host or 'local'}: ") if sys.stdin.isatty() \
        else sys.stdin.readline().rstrip("\r\n")
    if not password:
        print("No password given; nothing was stored.")
        return ExitCode.USAGE
    try:
        save_password(url, password)
    except Exception as exc:  # noqa: BLE001 - any keyring failure is an environment problem
        print(f"The password could not be stored in this computer's keyring ({type(exc).__name__}: {exc}).")
        return ExitCode.ENVIRONMENT
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        print(f"Stored, but the database refused the connection: {getattr(exc, 'orig', exc)}")
        return ExitCode.ENVIRONMENT
    finally:
        engine.dispose()
    print(f"Stored in your keyring; connected to {url.database} on {url.host or 'this computer'}.")
    return ExitCode.OK
