"""The start-up check of a SQLite profile database (store/integrity.py), on real files.

The end-to-end cases (CLI processes on a synced profile, the GUI's dialog) are in
tests/reliability/test_damaged_database.py and tests/ui/test_damaged_database.py.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from xsync_desktop.profile import Profile
from xsync_desktop.store.backups import backup_sqlite, list_backups, restore_backup
from xsync_desktop.store.integrity import DatabaseDamaged
from xsync_desktop.store.models import SyncRun
from xsync_desktop.store.store import open_store
from xsync_desktop.store.usage_marker import marker_path, read_marker


def _used_profile(profile: Profile, *, synced: bool) -> None:
    from xsync_desktop.ledger.demo import generate_demo_ledger

    store = open_store(profile.database_url, profile.backups_dir)
    with store.sessions.begin() as s:
        generate_demo_ledger(s, invoices=8, seed=2)
        if synced:
            s.add(SyncRun(trigger="cli", outcome="succeeded"))  # what a finished sync leaves behind
    store.close()


def test_a_new_profile_opens_and_writes_no_marker(profile: Profile) -> None:
    open_store(profile.database_url, profile.backups_dir).close()
    assert read_marker(profile.database_path) is None


def test_a_synced_profile_gets_its_marker_and_an_emptied_database_is_refused(profile: Profile) -> None:
    _used_profile(profile, synced=True)
    marker = read_marker(profile.database_path)
    assert marker is not None and marker.synced_before and marker.runs == 1
    profile.database_path.write_bytes(b"")
    with pytest.raises(DatabaseDamaged) as info:
        open_store(profile.database_url, profile.backups_dir)
    assert "is empty (0 bytes), but this profile has synced with Xero before" in info.value.user_message
    assert profile.database_path.stat().st_size == 0


def test_an_emptied_database_that_never_synced_starts_afresh(profile: Profile) -> None:
    _used_profile(profile, synced=False)
    assert not marker_path(profile.database_path).exists()
    profile.database_path.write_bytes(b"")
    store = open_store(profile.database_url, profile.backups_dir)
    with store.sessions() as s:
        assert s.scalars(select(SyncRun)).first() is None
    store.close()


@pytest.mark.parametrize("cut", [50, 4096, 0.5])
def test_a_file_cut_short_is_refused_with_the_backups_listed(profile: Profile, cut: float) -> None:
    _used_profile(profile, synced=False)
    copy = backup_sqlite(profile.database_path, profile.backups_dir, "daily")
    data = profile.database_path.read_bytes()
    profile.database_path.write_bytes(data[: int(len(data) * cut) if cut < 1 else int(cut)])
    with pytest.raises(DatabaseDamaged) as info:
        open_store(profile.database_url, profile.backups_dir)
    assert "cut short" in info.value.problem
    assert [b.path for b in info.value.backups] == [copy]
    assert copy.name in info.value.user_message


def test_restore_backup_puts_the_copy_in_place_and_keeps_the_damaged_file(profile: Profile) -> None:
    _used_profile(profile, synced=True)
    made = backup_sqlite(profile.database_path, profile.backups_dir, "daily")
    profile.database_path.write_bytes(b"\x00" * 8192)
    with pytest.raises(DatabaseDamaged):
        open_store(profile.database_url, profile.backups_dir)
    chosen = next(b for b in list_backups(profile.backups_dir) if b.path == made)
    aside = restore_backup(chosen, profile.database_path)
    assert aside is not None and aside.read_bytes() == b"\x00" * 8192
    open_store(profile.database_url, profile.backups_dir).close()
