"""The shared database's password, kept in each person's own OS keyring (never in a file).

The machine configuration holds the database URL without a password (every user of the PC
can read it). Each person stores the password once (``xsync-desktop set-database-password``);
the engine asks the keyring for it when it opens a connection. With no keyring entry the
URL is used as it is, so the server's own authentication (SSPI/Kerberos, certificates,
pgpass) serves too.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import URL

SERVICE = "xsync-desktop database"


def keyring_user(url: URL) -> str:
    """The keyring entry's name: the login, server, port and database the password is for."""
    return f"{url.username or ''}@{url.host or 'local'}:{url.port or 5432}/{url.database or ''}"


def load_password(url: URL) -> str | None:
    """The stored password, or None (no entry, or no usable keyring: the server may not need one)."""
    import keyring
    from keyring.errors import KeyringError

    try:
        return keyring.get_password(SERVICE, keyring_user(url))
    except (KeyringError, RuntimeError):
        return None


def save_password(url: URL, password: str) -> None:
    import keyring

    keyring.set_password(SERVICE, keyring_user(url), password)


def add_keyring_password(engine: Any) -> None:
    """Give a PostgreSQL engine whose URL has no password the one in the keyring, at connect time."""
    from sqlalchemy import event

    if engine.dialect.name != "postgresql" or engine.url.password:
        return
    found: list[str | None] = []

    @event.listens_for(engine, "do_connect")
    def _password(_dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
        if not found:
            found.append(load_password(engine.url))
        if found[0] and "password" not in cparams:
            cparams["password"] = found[0]
