"""A damaged or emptied database stops every command before it writes (issue 15 case 2).

The profile is made for real: `demo-data`, then one `sync` against an in-process sandbox
(demo path, real PKCE sign-in), and a copy in backups/ made the way the app makes them.
Then the file is damaged the way it happens on a PC (a copy cut short, the first bytes
overwritten, a sector of garbage or zeros, emptied, deleted), and `sync` (demo path) and
`import` run as real processes. Each must exit 6 with a plain message naming the damage
and the copy in backups/ with its date, print no traceback, and leave the file's bytes
exactly as they were (no WAL switch, no migration, no demo ledger written into it).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.fixtures.ledger import EXAMPLES
from tests.fixtures.sandbox import fast_config
from tests.reliability.helpers import assert_verify_agrees, cli_env, run_cli
from xsync_desktop.exit_codes import ExitCode
from xsync_desktop.sandbox import SandboxServer
from xsync_desktop.store.backups import backup_sqlite

pytestmark = pytest.mark.reliability

Damage = Callable[[Path], None]


def _truncate_half(db: Path) -> None:
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])


def _overwrite_header(db: Path) -> None:
    with db.open("r+b") as fh:
        fh.write(b"\x00" * 100)


def _page_size(db: Path) -> int:
    raw = int.from_bytes(db.read_bytes()[16:18], "big")
    return 65536 if raw == 1 else raw


def _root_page_of_biggest_table(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        biggest = max(tables, key=lambda t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0])
        return int(conn.execute("SELECT rootpage FROM sqlite_master WHERE name=?", (biggest,)).fetchone()[0])
    finally:
        conn.close()


def _garbage_page(db: Path) -> None:
    """A sector of random bytes over a b-tree page (a failing disk, a bad copy)."""
    size, page = _page_size(db), _root_page_of_biggest_table(db)
    with db.open("r+b") as fh:
        fh.seek((page - 1) * size)
        fh.write(os.urandom(size))


def _zeroed_page(db: Path) -> None:
    size, page = _page_size(db), _root_page_of_biggest_table(db)
    with db.open("r+b") as fh:
        fh.seek((page - 1) * size)
        fh.write(b"\x00" * size)


def _emptied(db: Path) -> None:
    db.write_bytes(b"")


def _deleted(db: Path) -> None:
    db.unlink()


DAMAGES: dict[str, tuple[Damage, str]] = {
    "cut short": (_truncate_half, "it was cut short"),
    "header overwritten": (_overwrite_header, "does not start like an SQLite database"),
    "garbage page": (_garbage_page, "is damaged"),
    "zeroed page": (_zeroed_page, "is damaged"),
    "zero length": (_emptied, "is empty (0 bytes), but this profile has synced with Xero before"),
    "deleted": (_deleted, "is missing, but this profile has synced with Xero before"),
}


def _digest(db: Path) -> str | None:
    return hashlib.sha256(db.read_bytes()).hexdigest() if db.exists() else None


@pytest.fixture(scope="module")
def synced_profile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A profile that has synced once (demo path), with one copy in backups/; and the sandbox's base URL."""
    srv = SandboxServer(fast_config()).start()
    prof = tmp_path_factory.mktemp("synced") / "profile ü"
    env = cli_env(srv.base_url)
    try:
        made = run_cli(prof, env, "demo-data", "--invoices", "12", timeout=120)
        assert made.returncode == ExitCode.OK, made.stdout + made.stderr
        synced = run_cli(prof, env, "sync", timeout=180)
        assert synced.returncode == ExitCode.OK, synced.stdout + synced.stderr
        backup_sqlite(prof / "xsync.db", prof / "backups", "daily")
        yield prof, srv.base_url
    finally:
        srv.stop()


@pytest.fixture
def profile_copy(synced_profile: tuple[Path, str], tmp_path: Path) -> tuple[Path, dict[str, str]]:
    template, base = synced_profile
    prof = tmp_path / "copy ü"
    shutil.copytree(template, prof)
    for extra in ("xsync.db-wal", "xsync.db-shm"):
        (prof / extra).unlink(missing_ok=True)  # a clean copy: the damage is the only change
    return prof, cli_env(base)


@pytest.mark.parametrize("damage, expected", [pytest.param(*v, id=k) for k, v in DAMAGES.items()])
@pytest.mark.parametrize("command", ["sync", "import"])
def test_damaged_database_stops_the_command_before_it_writes(profile_copy: tuple[Path, dict[str, str]],
                                                             damage: Damage, expected: str, command: str) -> None:
    prof, env = profile_copy
    db = prof / "xsync.db"
    damage(db)
    before = _digest(db)
    args = ["sync"] if command == "sync" else ["import", str(EXAMPLES / "ledger.json")]
    proc = run_cli(prof, env, *args, timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode == ExitCode.ENVIRONMENT, out
    assert "Traceback" not in out and "sqlalche" not in out, out
    assert expected in out, out
    assert "Copies in" in out and "-daily.db" in out, out  # the copy in backups/, with its date
    assert "rename xsync.db to xsync.db.damaged" in out
    assert _digest(db) == before  # not one byte written (no WAL switch, no migration, no demo ledger)
    wal = prof / "xsync.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0  # the read-only check may leave an empty one


def test_restoring_the_listed_copy_by_hand_syncs_again(profile_copy: tuple[Path, dict[str, str]]) -> None:
    """The advice works: rename the damaged file, copy the backup in, sync exits 0."""
    prof, env = profile_copy
    db = prof / "xsync.db"
    _truncate_half(db)
    refused = run_cli(prof, env, "sync", timeout=120)
    assert refused.returncode == ExitCode.ENVIRONMENT
    copy = next((prof / "backups").glob("*-daily.db"))
    db.rename(prof / "xsync.db.damaged")
    shutil.copyfile(copy, db)
    again = run_cli(prof, env, "sync", timeout=180)
    assert again.returncode == ExitCode.OK, again.stdout + again.stderr
    assert_verify_agrees(prof, env)  # the restored copy and Xero agree, or an exception says why
