"""IT presets: the machine-wide configuration file the silent installer writes, read by the app with
the command line and the environment first; no password in it (each person's keyring has it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import keyring
import pytest
from sqlalchemy import func, make_url, select, text

from tests.desks.conftest import ROOT
from xsync_desktop.composition.memory_keyring import LimitedMemoryKeyring
from xsync_desktop.store.models import Invoice
from xsync_desktop.store.store import open_store


def _write_config(path: Path, utf16: bool = False, **values: str) -> Path:
    """As NSIS's WriteINIStr leaves it (the system code page, or UTF-16 with a BOM)."""
    body = "[xsync-desktop]\r\n" + "".join(f"{k}={v}\r\n" for k, v in values.items())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body.encode("utf-16") if utf16 else body.encode("cp1252"))
    return path


def _cli(tmp: Path, config: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("XSYNC_DATABASE_URL", "XSYNC_XERO_CLIENT_ID")}
    return subprocess.run([sys.executable, "-m", "xsync_desktop", "--profile", str(tmp / "desk profile ü"), *args],
                          env=dict(base, XSYNC_MACHINE_CONFIG=str(config), PYTHONPATH=str(ROOT), **env),
                          capture_output=True, text=True, timeout=120)


def _invoices(url: str) -> int:
    store = open_store(url)
    try:
        with store.sessions() as s:
            return int(s.scalar(select(func.count()).select_from(Invoice)) or 0)
    finally:
        store.close()


@pytest.mark.parametrize("utf16", [False, True], ids=["ansi", "utf16"])
def test_the_machine_config_presets_the_database_and_the_command_line_and_environment_come_first(
        tmp_path: Path, utf16: bool) -> None:
    preset, env_db, cli_db = (f"sqlite:///{tmp_path / name}" for name in ("preset ü.db", "env.db", "cli.db"))
    config = _write_config(tmp_path / "ProgramData" / "xsync-desktop" / "config.ini", utf16,
                           database_url=preset, client_id="PRESET-CLIENT-ID")
    made = _cli(tmp_path, config, "demo-data", "--invoices", "5")
    assert made.returncode == 0, made.stderr
    assert _invoices(preset) > 0
    assert not (tmp_path / "desk profile ü" / "xsync.db").exists()  # not the profile's own SQLite
    made = _cli(tmp_path, config, "demo-data", "--invoices", "5", XSYNC_DATABASE_URL=env_db)
    assert made.returncode == 0 and _invoices(env_db) > 0, made.stderr
    made = _cli(tmp_path, config, "--database-url", cli_db, "demo-data", "--invoices", "5",
                XSYNC_DATABASE_URL=env_db)
    assert made.returncode == 0 and _invoices(cli_db) > 0, made.stderr
    # The preset client id is the one a headless sync uses (it then needs this person's sign-in).
    synced = _cli(tmp_path, config, "sync", PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    assert "No Xero Client ID" not in synced.stdout, synced.stdout
    unset = _cli(tmp_path, _write_config(tmp_path / "empty.ini", database_url=preset), "sync")
    assert "No Xero Client ID is configured" in unset.stdout


def test_a_password_in_the_machine_config_is_refused_with_what_to_do(tmp_path: Path) -> None:
    config = _write_config(tmp_path / "config.ini", database_url="postgresql+psycopg://xsync:s3cret@db/xsync")
    for args in (("demo-data", "--invoices", "5"), ("sync",), ("--smoke-test",)):
        out = _cli(tmp_path, config, *args)
        assert out.returncode == 6, (args, out.stdout, out.stderr)
        said = out.stdout + out.stderr
        assert "contains a password" in said and "set-database-password" in said, said
        assert "s3cret" not in said and "Traceback" not in said


def test_the_database_password_comes_from_each_persons_keyring(shared_url: str, tmp_path: Path) -> None:
    """A role that needs a password, reached over TCP with a URL that has none: the keyring supplies it."""
    role = "xsync_desk_pw"
    with open_store(shared_url, migrate=False).engine.connect() as conn:
        conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
        conn.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD 'desk-pass-1'"))
        conn.commit()
    url = make_url(shared_url).set(username=role, password=None, host="127.0.0.1", port=5432, query={})
    plain = url.render_as_string(hide_password=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(LimitedMemoryKeyring())
    try:
        with pytest.raises(Exception, match="password"):  # no keyring entry: the server refuses
            open_store(plain, migrate=False).engine.connect().close()
        done = subprocess.run([sys.executable, "-c", (
            "import sys, keyring; from xsync_desktop.composition.memory_keyring import LimitedMemoryKeyring;"
            "keyring.set_keyring(LimitedMemoryKeyring()); from xsync_desktop.cli import main;"
            "rc = main(['--database-url', sys.argv[1], 'set-database-password']);"
            "from xsync_desktop.store.db_password import SERVICE, keyring_user; from sqlalchemy import make_url;"
            "assert keyring.get_password(SERVICE, keyring_user(make_url(sys.argv[1]))) == 'desk-pass-1';"
            "sys.exit(rc)"), plain], input="desk-pass-1\n", capture_output=True, text=True, timeout=60,
            env=dict(os.environ, PYTHONPATH=str(ROOT)))
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Stored in your keyring; connected to" in done.stdout
        from xsync_desktop.store.db_password import save_password

        save_password(url, "desk-pass-1")
        store = open_store(plain, migrate=False)
        with store.engine.connect() as conn:
            assert conn.scalar(text("SELECT current_user")) == role
        store.close()
    finally:
        keyring.set_keyring(previous)
        with open_store(shared_url, migrate=False).engine.connect() as conn:
            conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
            conn.commit()
