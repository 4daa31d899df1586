"""Each failure class: the item's outcome and plain message, the batch going on, no duplicate.

All against the real sandbox over sockets; faults are injected through its admin surface.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from tests.fixtures.sync import SyncRig, assert_no_duplicates, copy_invoice
from xsync_desktop.store.models import Customer, Invoice, Link, Payment, ReconException, SyncItem

INVOICES = "/api.xro/2.0/Invoices"
PAYMENTS = "/api.xro/2.0/Payments"


def _failed(rig: SyncRig, run_id: int) -> list[SyncItem]:
    return [i for i in rig.items(run_id) if i.outcome == "failed"]


def _ledger_invoice_count(rig: SyncRig) -> int:
    with rig.store.sessions() as s:
        return len(s.scalars(select(Invoice).where(Invoice.status == "authorised")).all())


def _xero_invoice_count(rig: SyncRig) -> int:
    return len([r for r in rig.objects("Invoices") if r["Status"] != "DELETED"])


def _invoiced_customers(s: object, n: int) -> list[Customer]:
    """Customers with authorised invoices (only those are sent to Xero)."""
    ids = s.scalars(select(Invoice.customer_id).where(Invoice.status == "authorised")  # type: ignore[attr-defined]
                    .distinct().order_by(Invoice.customer_id).limit(n)).all()
    return [s.get(Customer, i) for i in ids]  # type: ignore[attr-defined]


def test_validation_failure_fails_one_record_and_the_batch_goes_on(sync_rig: SyncRig) -> None:
    with sync_rig.store.sessions() as s:
        bad = _invoiced_customers(s, 1)[0]
        bad.email = "not an email"
        bad_id = bad.id
        s.commit()
    result = sync_rig.run()
    assert result.outcome == "failed"
    items = sync_rig.items(result.run_id)
    contact = next(i for i in items if i.entity == "contact" and i.local_id == bad_id)
    assert contact.outcome == "failed"
    assert contact.xero_messages == ["Email address must be valid."]
    assert contact.message.startswith(f"Xero did not accept {contact.label}")
    # the other contacts and their invoices went through
    assert sum(1 for i in items if i.entity == "contact" and i.outcome == "succeeded") >= 10
    held = [i for i in items if i.entity == "invoice" and i.outcome == "failed"]
    assert held and all("is not in Xero yet" in (i.message or "") for i in held)
    assert _xero_invoice_count(sync_rig) == _ledger_invoice_count(sync_rig) - len(held)
    assert_no_duplicates(sync_rig)


def test_lock_date_fails_before_sending(sync_rig: SyncRig) -> None:
    lock = date(2024, 12, 31)
    sync_rig.admin.organisation(sync_rig.tenant_id, PeriodLockDate=lock.isoformat())
    sync_rig.engine.refresh_settings(force=True)
    result = sync_rig.run()
    failed = _failed(sync_rig, result.run_id)
    locked = [i for i in failed if i.entity == "invoice"]
    assert locked and all("lock date" in (i.message or "") and i.attempts == 0 for i in locked)
    assert all("31 Dec 2024" in (i.message or "") for i in locked)
    dates = [r["DateString"][:10] for r in sync_rig.objects("Invoices")]
    assert dates and min(dates) > lock.isoformat()  # the rest went on
    assert_no_duplicates(sync_rig)


def test_archived_contact_is_never_used_and_opens_an_exception(sync_rig: SyncRig) -> None:
    assert sync_rig.run().outcome == "succeeded"
    with sync_rig.store.sessions() as s:
        cust, other = _invoiced_customers(s, 2)
        link = s.scalars(select(Link).where(Link.entity == "contact", Link.local_id == cust.id)).one()
        cust_id, contact_id, other_cust = cust.id, link.xero_id, other.id
    sync_rig.admin.archive_contact(sync_rig.tenant_id, contact_id)
    new_id = copy_invoice(sync_rig, cust_id)
    other_id = copy_invoice(sync_rig, other_cust, number="NEW-0002")
    result = sync_rig.run()
    items = {(i.entity, i.local_id): i for i in sync_rig.items(result.run_id)}
    held = items[("invoice", new_id)]
    assert held.outcome == "failed" and "archived" in (held.message or "")
    assert held.attempts == 0
    assert items[("invoice", other_id)].outcome == "succeeded", items[("invoice", other_id)].message
    numbers = {r["InvoiceNumber"] for r in sync_rig.objects("Invoices")}
    assert "NEW-0001" not in numbers and "NEW-0002" in numbers
    with sync_rig.store.sessions() as s:
        exc = s.scalars(select(ReconException).where(ReconException.kind == "contact_archived")).all()
        assert len(exc) == 1 and exc[0].local_id == cust_id and exc[0].status == "open"
    # a second run does not open a second exception
    sync_rig.run()
    with sync_rig.store.sessions() as s:
        assert len(s.scalars(select(ReconException).where(ReconException.kind == "contact_archived")).all()) == 1


def test_contact_matching_links_existing_and_flags_same_name(sync_rig: SyncRig) -> None:
    with sync_rig.store.sessions() as s:
        a, b, c = _invoiced_customers(s, 3)
        facts = [(a.id, a.name, a.email, a.customer_number), (b.id, b.name, b.email), (c.id, c.name, c.email)]
    by_number = sync_rig.admin.create_contact(sync_rig.tenant_id, Name="Someone Else Entirely",
                                              ContactNumber=facts[0][3])
    by_email = sync_rig.admin.create_contact(sync_rig.tenant_id, Name=facts[1][1], EmailAddress=facts[1][2])
    sync_rig.admin.create_contact(sync_rig.tenant_id, Name=facts[2][1], EmailAddress="other@example.org")
    result = sync_rig.run()
    items = {(i.entity, i.local_id): i for i in sync_rig.items(result.run_id)
             if i.entity == "contact" and i.action == "match"}
    assert items[("contact", facts[0][0])].action == "match"
    assert sync_rig.link("contact", facts[0][0]).xero_id == by_number["ContactID"]
    assert items[("contact", facts[1][0])].action == "match"
    assert sync_rig.link("contact", facts[1][0]).xero_id == by_email["ContactID"]
    conflict = items[("contact", facts[2][0])]
    assert conflict.outcome == "needs_review" and "different email" in (conflict.message or "")
    with sync_rig.store.sessions() as s:
        exc = s.scalars(select(ReconException).where(ReconException.kind == "contact_name_conflict")).one()
        assert exc.local_id == facts[2][0]
    names = [r["Name"] for r in sync_rig.objects("Contacts")]
    assert names.count(facts[2][1]) == 1  # not created a second time
    assert_no_duplicates(sync_rig)


def test_overpayment_fails_that_payment_only(sync_rig: SyncRig) -> None:
    assert sync_rig.run().outcome == "succeeded"
    with sync_rig.store.sessions() as s:
        inv, paid = s.scalars(select(Invoice).where(Invoice.status == "authorised", Invoice.amount_paid == 0)
                              .limit(2)).all()
        ok = Payment(external_id="OK-1", invoice_id=inv.id, date=inv.issue_date + timedelta(days=1),
                     amount=Decimal("1.00"), method="card")
        over = Payment(external_id="OVER-1", invoice_id=paid.id, date=paid.issue_date + timedelta(days=2),
                       amount=paid.total + Decimal("0.01"), method="card")
        s.add_all([ok, over])
        s.commit()
        ok_id, over_id = ok.id, over.id
    result = sync_rig.run()
    items = {(i.entity, i.local_id): i for i in sync_rig.items(result.run_id)}
    bad = items[("payment", over_id)]
    assert bad.outcome == "failed"
    assert "more than what is still owing" in (bad.message or "")
    assert bad.xero_messages == ["Payment amount exceeds the amount outstanding on this document"]
    assert items[("payment", ok_id)].outcome == "succeeded"
    refs = [r["Reference"] for r in sync_rig.objects("Payments")]
    assert "xsync:P-OK-1" in refs and "xsync:P-OVER-1" not in refs


def test_server_errors_fail_one_batch_then_the_next_run_sends_it_once(sync_rig: SyncRig) -> None:
    # more 500s than the client's retries: the first invoice batch gets no usable answer
    sync_rig.fault(action="status", status=500, method="PUT", path=INVOICES, count=6)
    result = sync_rig.run()
    failed = [i for i in _failed(sync_rig, result.run_id) if i.entity == "invoice"]
    assert len(failed) == 50
    assert all(i.message.startswith("Xero is not responding properly") for i in failed)
    # the other batches went on
    assert _xero_invoice_count(sync_rig) == _ledger_invoice_count(sync_rig) - 50
    assert sync_rig.link("invoice", failed[0].local_id).state == "sending"
    again = sync_rig.run()
    assert again.outcome == "succeeded", again.message
    assert _xero_invoice_count(sync_rig) == _ledger_invoice_count(sync_rig)
    assert_no_duplicates(sync_rig)


def test_minute_limit_waits_and_goes_on(sync_rig: SyncRig) -> None:
    sync_rig.fault(action="rate_limit_minute", method="PUT", path=INVOICES, count=1, seconds=7)
    result = sync_rig.run()
    assert result.outcome == "succeeded", result.message
    assert any(abs(s - 7) < 1 for s in sync_rig.xero.sleeps)  # waited Retry-After, then carried on
    assert _xero_invoice_count(sync_rig) == _ledger_invoice_count(sync_rig)
    assert_no_duplicates(sync_rig)


def test_day_limit_pauses_and_the_next_run_resumes(sync_rig: SyncRig) -> None:
    sync_rig.fault(action="rate_limit_day", method="PUT", path=PAYMENTS, count=1, seconds=3600)
    result = sync_rig.run()
    assert result.outcome == "paused" and result.problem == "limit"
    assert result.resume_at is not None
    assert "daily limit" in result.message
    held = [i for i in sync_rig.items(result.run_id) if i.entity == "payment"]
    assert held and all(i.outcome == "skipped" for i in held)
    assert sync_rig.objects("Payments") == []
    resumed = sync_rig.run()
    assert resumed.outcome == "succeeded", resumed.message
    assert resumed.counts["invoices_pushed"] == 0  # continued where it stopped
    assert len(sync_rig.objects("Payments")) > 0
    assert_no_duplicates(sync_rig)


def test_expired_token_is_refreshed_and_replayed(sync_rig: SyncRig) -> None:
    sync_rig.fault(action="token_expired", method="PUT", path=INVOICES, count=1)
    result = sync_rig.run()
    assert result.outcome == "succeeded", result.message
    assert _xero_invoice_count(sync_rig) == _ledger_invoice_count(sync_rig)
    assert_no_duplicates(sync_rig)


def test_disconnected_organisation_ends_the_run_with_reconnect(sync_rig: SyncRig) -> None:
    sync_rig.admin.disconnect(sync_rig.tenant_id)
    result = sync_rig.run()
    assert result.outcome == "failed" and result.problem == "reconnect"
    assert "connect to xero again" in result.message.lower()


def test_lost_response_is_replayed_by_key_within_the_window(sync_rig: SyncRig) -> None:
    sync_rig.fault(action="drop_after_commit", method="PUT", path=INVOICES, count=1)
    result = sync_rig.run()
    assert result.outcome == "succeeded", result.message
    assert _xero_invoice_count(sync_rig) == _ledger_invoice_count(sync_rig)
    assert_no_duplicates(sync_rig)


def test_lost_responses_are_settled_by_natural_key_after_the_window(sync_rig: SyncRig) -> None:
    # every attempt of the first invoice batch is committed but its answer lost
    sync_rig.fault(action="drop_after_commit", method="PUT", path=INVOICES, count=6)
    result = sync_rig.run()
    lost = [i for i in _failed(sync_rig, result.run_id) if i.entity == "invoice"]
    assert len(lost) == 50 and all(i.message.startswith("Xero cannot be reached") for i in lost)
    sync_rig.admin.clock(advance=3600)  # far past the 6-minute Idempotency-Key window
    again = sync_rig.run()
    assert again.outcome == "succeeded", again.message
    settled = [i for i in sync_rig.items(again.run_id) if i.action == "settle"]
    assert len(settled) == 50 and all(i.outcome == "succeeded" for i in settled)
    assert again.counts["invoices_pushed"] == 0
    assert _xero_invoice_count(sync_rig) == _ledger_invoice_count(sync_rig)
    assert_no_duplicates(sync_rig)
