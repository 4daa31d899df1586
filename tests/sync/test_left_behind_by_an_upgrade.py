"""A desk left open while another desk upgrades the shared database writes nothing (issue 17, point 5).

The schema is checked when the store opens; a window that stays open across another desk's
upgrade would otherwise go on syncing with the old schema's rules. Its next sync is refused
before it takes the run lock: no run recorded, nothing sent, and it says to upgrade.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from tests.fixtures.sync import SyncRig, copy_invoice
from xsync_desktop.store.migrate import DatabaseTooNew
from xsync_desktop.store.models import SyncRun


def test_an_open_desk_syncing_after_another_desk_upgraded_is_refused(sync_rig: SyncRig) -> None:
    assert sync_rig.run().outcome == "succeeded"
    copy_invoice(sync_rig, number="AFTER-UPGRADE-1")  # work the old desk would send
    with sync_rig.store.engine.begin() as conn:  # another desk's newer release migrated the database
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_from_a_newer_release'"))
    with sync_rig.store.sessions() as s:
        runs_before = s.scalar(select(func.count()).select_from(SyncRun))
    invoices_before = len(sync_rig.objects("Invoices"))

    with pytest.raises(DatabaseTooNew, match="Install the newer version on this computer"):
        sync_rig.run()

    with sync_rig.store.sessions() as s:
        assert s.scalar(select(func.count()).select_from(SyncRun)) == runs_before
    assert len(sync_rig.objects("Invoices")) == invoices_before
