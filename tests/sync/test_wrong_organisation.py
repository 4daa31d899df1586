"""A desk connected to another organisation than the database's is refused (issue 17, point 2).

Each desk signs in with its own keyring and chooses an organisation there; the shared database
already sends one organisation's books. A desk whose sign-in chose a second organisation (the
sandbox offers several, as an accountant's login does) must not push the ledger into it: the
sync is refused with a plain message, and neither the database nor that organisation changes.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.fixtures.sync import NZ_ORG, SyncRig
from xsync_desktop.store.models import SyncRun
from xsync_desktop.sync.engine import SyncEngine
from xsync_desktop.sync.organisation import WrongOrganisation
from xsync_desktop.xero.client import XeroClient


def test_a_desk_connected_to_another_organisation_is_refused_and_sends_nothing(sync_rig: SyncRig) -> None:
    assert sync_rig.run().outcome == "succeeded"  # the database now keeps the NZ organisation's books
    other = next(c for c in sync_rig.xero.session.connections() if c.tenant_id != sync_rig.tenant_id)
    before = {kind: len(sync_rig.admin.objects(other.tenant_id, kind)) for kind in ("Contacts", "Invoices")}
    with sync_rig.store.sessions() as s:
        runs_before = s.scalar(select(func.count()).select_from(SyncRun))

    xero = sync_rig.xero
    # As `xsync-desktop sync` builds it from this desk's sign-in (its chosen organisation, by name).
    desk2 = SyncEngine(sync_rig.store, lambda: XeroClient(xero.session, other.tenant_id, xero.endpoints),
                       other.tenant_id, lock_path=sync_rig.profile.lock_path, tenant_name=other.tenant_name)
    with pytest.raises(WrongOrganisation) as refused:
        desk2.run(trigger="manual")

    message = refused.value.user_message
    assert f"keeps the books of the Xero organisation \u201c{NZ_ORG}\u201d" in message
    assert f"connected to \u201c{other.tenant_name}\u201d" in message
    assert "Nothing was sent" in message and "Connection > Connect to Xero" in message
    with sync_rig.store.sessions() as s:
        assert s.scalar(select(func.count()).select_from(SyncRun)) == runs_before  # no run recorded
    assert {kind: len(sync_rig.admin.objects(other.tenant_id, kind)) for kind in before} == before
