"""Mapping problems found in Xero's settings stop a record before any request, naming the fix."""

from __future__ import annotations

from sqlalchemy import select

from tests.fixtures.sync import SyncRig, assert_no_duplicates
from xsync_desktop.store.models import Facility, Mapping, SyncItem, XeroReference
from xsync_desktop.sync.mapping_check import MappingBook


def test_archived_account_fails_with_the_mapping_to_fix_then_retry_item_succeeds(sync_rig: SyncRig) -> None:
    sync_rig.admin.archive_account(sync_rig.tenant_id, "210")
    sync_rig.engine.refresh_settings(force=True)
    result = sync_rig.run()
    failed = [i for i in sync_rig.items(result.run_id) if i.outcome == "failed" and i.entity == "invoice"]
    assert failed
    msg = failed[0].message or ""
    assert msg.startswith("Charge type 'Rent' is mapped to account 210 Storage Rental, which is archived in Xero.")
    assert msg.endswith("Map it in Mapping, then retry.")
    assert all(i.attempts == 0 for i in failed)

    with sync_rig.store.sessions() as s:
        rent = s.scalars(select(Mapping).where(Mapping.kind == "charge_type", Mapping.key == "rent")).one()
        rent.account_code = "200"
        s.commit()
    retry = sync_rig.engine.retry_item(failed[0].id)
    assert retry.outcome == "succeeded", retry.message
    new = [i for i in sync_rig.items(retry.run_id) if i.entity == "invoice"]
    assert len(new) == 1 and new[0].retry_of_id == failed[0].id and new[0].outcome == "succeeded"
    with sync_rig.store.sessions() as s:
        assert s.get(SyncItem, failed[0].id).superseded_by_id == new[0].id
    assert_no_duplicates(sync_rig)


def test_tracking_option_mapping_is_sent_and_checked(sync_rig: SyncRig) -> None:
    with sync_rig.store.sessions() as s:
        fac = s.scalars(select(Mapping).where(Mapping.kind == "facility")).all()
        assert fac, "the Harbourside facility maps to the 'Harbourside' option by name"
        assert fac[0].tracking_option == "Harbourside"
        other = s.scalars(select(Facility).where(Facility.external_id != fac[0].key)).first()
        s.add(Mapping(kind="facility", key=other.external_id, tracking_category="Facility",
                      tracking_option="Nowhere"))
        s.commit()
        book = MappingBook(s, sync_rig.tenant_id)
        problem = book.problem("facility", other.external_id)
        assert problem is not None and problem.problem == "tracking_option_missing"
        assert problem.message.startswith(f"Facility '{other.name}' uses tracking option 'Nowhere'")
    result = sync_rig.run()
    items = sync_rig.items(result.run_id)
    assert any(i.outcome == "failed" and "tracking option 'Nowhere'" in (i.message or "") for i in items)
    tracked = [r for r in sync_rig.objects("Invoices")
               if any(t.get("Option") == "Harbourside" for ln in r.get("LineItems", []) for t in ln.get("Tracking", []))]
    assert tracked


def test_settings_refresh_caches_accounts_tax_rates_tracking_and_lock_date(sync_rig: SyncRig) -> None:
    from xsync_desktop.sync.settings_refresh import base_currency, lock_date, settings_stale

    sync_rig.admin.organisation(sync_rig.tenant_id, PeriodLockDate="2024-09-30")
    assert sync_rig.engine.refresh_settings(force=False) is False  # fresh cache: no calls
    assert sync_rig.engine.refresh_settings(force=True) is True
    with sync_rig.store.sessions() as s:
        kinds = {r.kind for r in s.scalars(select(XeroReference))}
        assert kinds == {"organisation", "account", "tax_rate", "tracking", "currency"}
        assert str(lock_date(s, sync_rig.tenant_id)) == "2024-09-30"
        assert base_currency(s, sync_rig.tenant_id) == "NZD"
        assert not settings_stale(s, sync_rig.tenant_id)
