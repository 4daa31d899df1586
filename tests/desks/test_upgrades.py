"""Upgrades with several desks on one PostgreSQL database (issue 17, point 5).

Each desk is its own process with its own profile folder, starting the real app (the
packaged build's `--smoke-test`: the window, every view) on the shared database:

- two desks start a newer version at the same moment: exactly one migrates, under the
  database's exclusive migration lock; the other waits for it, then starts on the upgraded
  schema, and the ledger's data is kept;
- a desk whose code is older than the database (another desk upgraded it) is told to
  upgrade and writes nothing, whether it opens the window or runs a headless sync.
"""

from __future__ import annotations

import subprocess
import time

from sqlalchemy import Connection, create_engine, inspect, text

from tests.desks.conftest import Desk
from xsync_desktop.exit_codes import ExitCode
from xsync_desktop.ledger.demo import generate_demo_ledger
from xsync_desktop.store.database import make_engine, session_scope
from xsync_desktop.store.migrate import MIGRATION_LOCK_KEY, current_revision, head_revision, upgrade_database
from xsync_desktop.store.store import Store

OLDER_RELEASE = "0004"  # the schema the desks ran before this release's migrations (0005, 0006)
HIGH, LOW = MIGRATION_LOCK_KEY >> 32, MIGRATION_LOCK_KEY & 0xFFFF_FFFF


def _log(desk: Desk) -> str:
    return (desk.profile / "logs" / "xsync-desktop.log").read_text(encoding="utf-8")


def _waiting_for_migration_lock(conn: Connection) -> int:
    """How many sessions are queued on the migration lock (pg_locks splits the bigint key in two)."""
    return int(conn.scalar(text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
        "AND classid::bigint = :hi AND objid::bigint = :lo AND objsubid = 1"), {"hi": HIGH, "lo": LOW}))


def _started_and_queued(procs: list[subprocess.Popen[str]], conn: Connection) -> None:
    """Wait until both desks are queued on the lock the test holds (or one has ended: it fails below)."""
    while _waiting_for_migration_lock(conn) < len(procs):
        if any(p.poll() is not None for p in procs):
            return
        time.sleep(0.05)


def test_two_desks_starting_a_newer_version_at_once_migrate_once(desks: list[Desk], shared_url: str) -> None:
    engine = make_engine(shared_url)
    upgrade_database(engine, None, target=OLDER_RELEASE)  # the database as the previous release left it
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO customer (external_id, customer_number, name, changed_at) "
                          "VALUES ('c1', 'C-1', 'Ana Lee', '2026-01-01 00:00:00')"))
    # The test takes the migration lock first, so both desks are certainly starting at the same
    # moment: both queue behind it, and whichever the server wakes first does the upgrade.
    gate = create_engine(shared_url)
    with gate.connect() as holder, gate.connect() as watcher:
        holder.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
        procs = [desk.start("--smoke-test") for desk in desks]
        _started_and_queued(procs, watcher)
        assert _waiting_for_migration_lock(watcher) == 2, [p.poll() for p in procs]
        assert current_revision(engine) == OLDER_RELEASE  # nobody got past the lock
        holder.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
        outs = [p.communicate(timeout=300)[0] for p in procs]
    gate.dispose()
    assert [p.returncode for p in procs] == [0, 0], outs
    assert all("smoke test ok" in out for out in outs), outs

    logs = [_log(desk) for desk in desks]
    migrated = [d.name for d, log in zip(desks, logs, strict=True) if "Running upgrade 0004 -> 0005" in log]
    assert len(migrated) == 1, logs  # exactly one desk ran the migrations
    waited = [log for d, log in zip(desks, logs, strict=True) if d.name not in migrated]
    assert "Another desk is upgrading the shared database; waiting" in waited[0]
    assert "already at " + head_revision() + ": another desk upgraded it" in waited[0]
    assert "Running upgrade" not in waited[0]
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM customer")).scalars().all() == ["Ana Lee"]
    engine.dispose()


def _contents(url: str) -> dict[str, str]:
    """Every table's rows, hashed: equal before and after means nothing was written."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = inspect(conn).get_table_names()
            return {t: conn.scalar(text(f'SELECT md5(coalesce(string_agg(x::text, \'|\' ORDER BY x::text), \'\')) '
                                        f'FROM "{t}" x')) for t in tables}
    finally:
        engine.dispose()


def test_a_desk_older_than_the_database_is_told_to_upgrade_and_writes_nothing(
        desks: list[Desk], shared_url: str, shared_store: Store) -> None:
    with session_scope(shared_store.sessions) as s:  # the ledger the desks have been working on
        generate_demo_ledger(s, invoices=30)
    engine = make_engine(shared_url)
    with engine.begin() as conn:  # another desk installed a newer release and upgraded the database
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_from_a_newer_release'"))
    engine.dispose()
    before = _contents(shared_url)

    older = desks[1]
    window = older.run("--smoke-test")
    assert window.returncode == ExitCode.ENVIRONMENT, window.stdout + window.stderr
    assert "newer version of xsync desktop (schema 0099_from_a_newer_release)" in window.stderr
    assert "Install the newer version on this computer" in window.stderr
    headless = older.run("sync")
    told = headless.stdout + headless.stderr
    assert headless.returncode == ExitCode.ENVIRONMENT, told
    assert "Install the newer version on this computer" in told
    assert _contents(shared_url) == before
