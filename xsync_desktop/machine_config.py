"""The machine-wide configuration IT presets for every user of a PC (the installer writes it).

Where: ``%ProgramData%\\xsync-desktop\\config.ini`` on Windows, ``/etc/xsync-desktop/config.ini``
elsewhere; ``XSYNC_MACHINE_CONFIG`` names another file (tests, portable setups). The
silent installer writes it from its ``/DATABASE_URL=`` and ``/CLIENT_ID=`` switches::

    [xsync-desktop]
    database_url = postgresql+psycopg://xsync@db-server/xsync
    client_id = 0123456789ABCDEF0123456789ABCDEF
    desk_name = FRONT-DESK-2

Precedence, highest first: the command line (``--database-url``), the environment
(``XSYNC_DATABASE_URL``, ``XSYNC_XERO_CLIENT_ID``), this file, the built-in defaults.

No password belongs here: every user of the machine can read the file. A database URL
that carries one is refused with a message; each user keeps the database password in
their own keyring (``xsync-desktop set-database-password``), or the server authenticates
them itself (Windows SSPI/Kerberos, a client certificate, ``pgpass``).
"""

from __future__ import annotations

import configparser
import os
import sys
from dataclasses import dataclass
from pathlib import Path

MACHINE_CONFIG_ENV = "XSYNC_MACHINE_CONFIG"
SECTION = "xsync-desktop"
KEYS = ("database_url", "client_id", "desk_name")


class MachineConfigError(Exception):
    """The machine configuration file cannot be used; the message says what IT should fix."""

    def __init__(self, message: str) -> None:
        self.user_message = message
        super().__init__(message)


@dataclass(frozen=True)
class MachineConfig:
    path: Path
    database_url: str | None = None
    client_id: str | None = None
    desk_name: str | None = None


def machine_config_path() -> Path:
    """The documented location for this OS (or the file XSYNC_MACHINE_CONFIG names)."""
    override = os.environ.get(MACHINE_CONFIG_ENV, "").strip()
    if override:
        return Path(override)
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows (and under Wine by the installer test)
        return Path(os.environ.get("ProgramData") or r"C:\ProgramData") / "xsync-desktop" / "config.ini"
    return Path("/etc/xsync-desktop/config.ini")


def _read_text(path: Path) -> str:
    """NSIS's WriteINIStr writes the system code page, or UTF-16 when the file starts with its BOM."""
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def load_machine_config(path: Path | None = None) -> MachineConfig:
    """The preset values; an absent file is no preset. Raises MachineConfigError on a file IT must fix."""
    path = path or machine_config_path()
    if not path.is_file():
        return MachineConfig(path)
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(_read_text(path), source=str(path))
    except (OSError, configparser.Error) as exc:
        raise MachineConfigError(
            f"The machine configuration {path} cannot be read ({exc}). Ask IT to fix or remove it.") from exc
    if not parser.has_section(SECTION):
        return MachineConfig(path)
    values = {k: (parser.get(SECTION, k, fallback="") or "").strip() or None for k in KEYS}
    url = values["database_url"]
    if url:
        # Only a preset that names a database pays for importing SQLAlchemy here: the window's
        # cold start reads this file before anything else and must not wait for it.
        from sqlalchemy import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise MachineConfigError(
                f"The database_url in {path} is not a database URL ({url!r}). Ask IT to correct it, e.g. "
                "postgresql+psycopg://xsync@db-server/xsync.") from exc
        if parsed.password:
            raise MachineConfigError(
                f"The database_url in {path} contains a password, which every user of this PC could read. "
                "Ask IT to remove the password from it; each person then stores it once with "
                "'xsync-desktop set-database-password' (kept in their own keyring).")
    return MachineConfig(path, url, values["client_id"], values["desk_name"])
