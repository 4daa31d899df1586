"""The check every writing transaction makes (store/migrate.py refuse_writes_after_an_upgrade)
compiles its one statement once.

It used Alembic's MigrationContext, which describes the version table anew each time; SQLAlchemy
caches a compiled statement per table object, so every writing transaction of a sync added about
100 long-lived objects to the engine's compiled cache, up to its 500 entries, then churned it. The
window's full garbage collections walked all of it (issue 16, GUI stalls).
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from xsync_desktop.store.migrate import DatabaseTooNew
from xsync_desktop.store.settings import set_setting
from xsync_desktop.store.store import Store


def _write(store: Store, i: int) -> None:
    with store.sessions() as s:
        set_setting(s, f"cache-check-{i % 3}", str(i))
        s.commit()


def test_writing_transactions_do_not_grow_the_compiled_cache(store: Store) -> None:
    _write(store, 0)
    cached = len(store.engine._compiled_cache)  # SQLAlchemy's per-engine LRU of compiled statements
    for i in range(1, 60):
        _write(store, i)
    assert len(store.engine._compiled_cache) == cached


def test_the_cached_check_still_refuses_a_newer_schema(store: Store) -> None:
    _write(store, 0)
    with store.engine.begin() as conn:  # another desk's newer release migrated the database
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_from_a_newer_release'"))
    with store.sessions() as s, pytest.raises(DatabaseTooNew, match="0099_from_a_newer_release"):
        set_setting(s, "after-upgrade", "x")
        s.commit()
