"""Over-long text from Xero (issue 15 case 7): a 5,000-character Reference set in Xero.

The ledger's reference columns hold 255 characters (what Xero accepts when the app pushes).
SQLite would silently store more; PostgreSQL refuses the row and the pull would fail. The
decision per field:
- invoice Reference changed in Xero: the first 255 characters are written back, and the
  change log says the rest was cut (Xero keeps the full text; the next pull sees no change);
- the Reference of a payment recorded in Xero: the same, noted in the payment's change log;
- run item and exception labels (built from numbers up to 255 long): shortened with "…".
Run on PostgreSQL too: XSYNC_TEST_POSTGRES_URL=$(bash scripts/postgres.sh) pytest tests/sync/test_overlong_text.py
"""

from __future__ import annotations

from sqlalchemy import select

from tests.sync.test_pull import World, _pay, world  # noqa: F401 - the pull suite's rig (a fixture)
from xsync_desktop.store.database import session_scope
from xsync_desktop.store.models import ChangeLog, Payment

LONG = ("Storage unit A1, gate code and access notes. " * 120)[:5000]


def test_5000_character_reference_set_in_xero_is_cut_to_255_with_a_note(world: World) -> None:  # noqa: F811
    inv = world.invoice("INV-0001")
    world.admin.edit_invoice(world.tenant, world.xero_id("invoice", inv.id), Reference=LONG)
    result = world.sync()
    assert result.outcome == "succeeded", result.message
    after = world.invoice("INV-0001")
    assert after.reference == LONG[:255]
    with session_scope(world.store.sessions) as s:
        note = s.scalars(select(ChangeLog).where(ChangeLog.local_id == inv.id, ChangeLog.field == "reference")).one()
    assert note.new_value == LONG[:255]
    assert "5,000 characters" in note.reason and "first 255" in note.reason
    world.assert_quiet_second_run()  # Xero's full text is "seen": no conflict, no re-push, no new note


def test_payment_recorded_in_xero_with_a_5000_character_reference(world: World) -> None:  # noqa: F811
    pid = _pay(world, "INV-0002", "50.00", reference=LONG)
    result = world.sync()
    assert result.outcome == "succeeded", result.message
    assert result.counts["payments_pulled"] == 1
    with session_scope(world.store.sessions) as s:
        pay = s.scalars(select(Payment).where(Payment.external_id == f"xero:{pid}")).one()
        assert pay.reference == LONG[:255]
        log = s.scalars(select(ChangeLog).where(ChangeLog.entity == "payment", ChangeLog.local_id == pay.id)).one()
    assert "reference was 5,000 characters" in log.reason
    world.assert_quiet_second_run()


def test_item_and_exception_labels_built_from_a_255_character_number_fit(store) -> None:
    """A 255-character invoice number (the most Xero accepts) makes a label over 255: shortened with "…"."""
    from xsync_desktop.store.models import ReconException, SyncItem, SyncRun

    number = "INV-" + "9" * 251
    with session_scope(store.sessions) as s:
        run = SyncRun(trigger="cli")
        s.add(run)
        s.flush()
        s.add(SyncItem(run_id=run.id, entity="invoice", label=f"Invoice {number}", action="create"))
        s.add(ReconException(kind="reference_conflict", entity="invoice", label=f"Invoice {number}",
                             fingerprint="x" * 40))
    with session_scope(store.sessions) as s:
        item = s.scalars(select(SyncItem)).one()
        exc = s.scalars(select(ReconException)).one()
        assert len(item.label) == len(exc.label) == 255 and item.label.endswith("\u2026")
        assert item.label.startswith(f"Invoice {number[:200]}")
