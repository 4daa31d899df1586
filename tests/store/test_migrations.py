"""Migrations: from empty, from an older revision with data kept, and refusing a newer database."""

from __future__ import annotations

import sqlite3

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from xsync_desktop.store.database import make_engine
from xsync_desktop.store.migrate import (
    DatabaseTooNew,
    current_revision,
    head_revision,
    include_name,
    upgrade_database,
)
from xsync_desktop.store.models import Base
from xsync_desktop.store.store import open_store


def test_upgrade_from_empty_matches_the_models(profile, database_url) -> None:
    engine = make_engine(database_url)
    assert upgrade_database(engine, profile.backups_dir) is None  # nothing to back up yet
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": include_name}), Base.metadata)
    assert diff == []
    engine.dispose()


def test_older_database_upgrades_with_data_kept_and_a_backup(profile) -> None:
    engine = make_engine(profile.database_url)
    upgrade_database(engine, None, target="0001")  # a database made by the first release
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO customer (external_id, customer_number, name, changed_at) "
            "VALUES ('c1', 'C-1', 'Ana Lee', '2026-01-01 00:00:00')"))
    assert "sync_run" not in _tables(profile.database_path)
    engine.dispose()

    store = open_store(profile.database_url, profile.backups_dir)
    assert store.backup_made is not None and store.backup_made.exists()
    assert "0001" in store.backup_made.name
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM customer")).scalar() == "Ana Lee"
    assert current_revision(store.engine) == head_revision()
    assert "sync_run" in _tables(profile.database_path)
    # The backup is a readable database at the old revision.
    assert "sync_run" not in _tables(store.backup_made)
    assert "customer" in _tables(store.backup_made)
    store.close()


def test_database_from_a_newer_version_is_refused(profile, database_url) -> None:
    store = open_store(database_url, profile.backups_dir)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    store.close()
    with pytest.raises(DatabaseTooNew, match="newer version of xsync desktop"):
        open_store(database_url, profile.backups_dir)


def test_reopening_a_current_database_makes_no_backup(profile, database_url) -> None:
    open_store(database_url, profile.backups_dir).close()
    store = open_store(database_url, profile.backups_dir)
    assert store.backup_made is None
    store.close()


def _tables(path) -> set[str]:
    con = sqlite3.connect(path)
    try:
        return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        con.close()


def test_0003_fills_amount_credited_from_existing_allocations(profile) -> None:
    engine = make_engine(profile.database_url)
    upgrade_database(engine, None, target="0002")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO customer (id, external_id, customer_number, name, changed_at) "
                          "VALUES (1, 'c1', 'C-1', 'Ana', '2026-01-01 00:00:00')"))
        conn.execute(text(
            "INSERT INTO invoice (id, external_id, number, customer_id, issue_date, due_date, currency, status, "
            "subtotal, tax_total, total, amount_paid, changed_at) VALUES (1, 'i1', 'INV-1', 1, '2026-01-01', "
            "'2026-01-20', 'NZD', 'authorised', 10000, 1500, 11500, 0, '2026-01-01 00:00:00')"))
        conn.execute(text(
            "INSERT INTO credit_note (id, external_id, number, customer_id, issue_date, currency, status, "
            "subtotal, tax_total, total, changed_at) VALUES (1, 'cn1', 'CN-1', 1, '2026-01-05', 'NZD', "
            "'authorised', 2000, 300, 2300, '2026-01-05 00:00:00')"))
        conn.execute(text("INSERT INTO credit_allocation (external_id, credit_note_id, invoice_id, date, amount, "
                          "changed_at) VALUES ('a1', 1, 1, '2026-01-05', 2300, '2026-01-05 00:00:00')"))
    engine.dispose()
    store = open_store(profile.database_url, profile.backups_dir)
    from decimal import Decimal

    from xsync_desktop.store.models import Invoice

    with store.sessions() as s:
        inv = s.get(Invoice, 1)
        assert inv.amount_credited == Decimal("23.00")
        assert inv.amount_due == Decimal("92.00")
    store.close()
