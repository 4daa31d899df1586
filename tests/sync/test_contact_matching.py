"""Issue 13.2: blank emails never match, so an unrelated Xero contact is never taken over."""

from __future__ import annotations

from sqlalchemy import select

from tests.fixtures.sync import SyncRig, assert_no_duplicates
from xsync_desktop.store.models import Customer, Invoice, ReconException
from xsync_desktop.sync.exceptions import available_actions, resolve_exception


def _blank_email_customer(rig: SyncRig) -> tuple[int, str]:
    """A customer with invoices and no email address (common in a storage ledger)."""
    with rig.store.sessions() as s:
        cid = s.scalars(select(Invoice.customer_id).where(Invoice.status == "authorised")
                        .order_by(Invoice.customer_id)).first()
        c = s.get(Customer, cid)
        c.email = None
        s.commit()
        return c.id, c.name


def test_a_same_name_contact_with_no_email_is_not_taken_over(sync_rig: SyncRig) -> None:
    cid, name = _blank_email_customer(sync_rig)
    theirs = sync_rig.admin.create_contact(sync_rig.tenant_id, Name=name, ContactNumber="XERO-77")
    result = sync_rig.run()

    lk = sync_rig.link("contact", cid)
    assert lk is None or lk.xero_id is None, "an unrelated Xero contact was taken over on a blank email"
    xero = next(c for c in sync_rig.objects("Contacts") if c["ContactID"] == theirs["ContactID"])
    assert xero.get("ContactNumber") == "XERO-77"  # untouched
    item = next(i for i in sync_rig.items(result.run_id) if i.entity == "contact" and i.local_id == cid)
    assert item.outcome == "needs_review"
    assert "A Xero contact named" in (item.message or "") and "create a new one" in (item.message or "")
    with sync_rig.store.sessions() as s:
        exc = s.scalars(select(ReconException).where(ReconException.kind == "contact_name_conflict")).one()
        assert exc.local_id == cid and exc.xero_id == theirs["ContactID"]
        assert available_actions(exc) == ["link", "dismiss"]
        assert (exc.detail or "").startswith("A Xero contact with this name exists")
        exc_id = exc.id

    # The bookkeeper decides it is the same customer: linked, and the held invoices go out.
    resolve_exception(sync_rig.store, sync_rig.engine, exc_id, "link", "Bea", xero_id=theirs["ContactID"])
    lk = sync_rig.link("contact", cid)
    assert lk is not None and lk.xero_id == theirs["ContactID"] and lk.state == "linked"
    with sync_rig.store.sessions() as s:
        numbers = set(s.scalars(select(Invoice.number).where(Invoice.customer_id == cid,
                                                              Invoice.status == "authorised")))
    on_theirs = {r["InvoiceNumber"] for r in sync_rig.objects("Invoices")
                 if (r.get("Contact") or {}).get("ContactID") == theirs["ContactID"]}
    assert numbers and numbers <= on_theirs
    assert_no_duplicates(sync_rig)
