"""Two people, one decision: an exception decided or a month signed off at two desks at once
is applied once, and the second desk is told who did it and when.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from tests.desks.conftest import ROOT, Desk
from tests.sync.test_checklist import MONTH, TENANT, _good_month
from xsync_desktop.store.database import session_scope
from xsync_desktop.store.models import ChangeLog, ChecklistSignoff, Invoice, Link, ReconException
from xsync_desktop.store.settings import get_setting
from xsync_desktop.store.store import Store
from xsync_desktop.store.types import utcnow
from xsync_desktop.sync.checklist import AlreadySignedOff, latest_signoff, sign_off

DECIDE = """
import sys
from xsync_desktop.store.store import open_store
from xsync_desktop.sync.exceptions import AlreadyDecided, resolve_exception
store = open_store(sys.argv[1], migrate=False)
try:
    resolve_exception(store, None, int(sys.argv[2]), "accept_xero", sys.argv[3])
    print("applied")
except AlreadyDecided as exc:
    print("told:", exc.user_message)
"""


def _due_date_conflict(desks: list[Desk], store: Store, admin) -> tuple[int, int]:  # noqa: ANN001
    """The front desk's ledger and the bookkeeper in Xero both moved one invoice's due date."""
    made = desks[0].run("demo-data", "--invoices", "40")
    assert made.returncode == 0, made.stdout + made.stderr
    first = desks[0].run("sync")
    assert first.returncode == 0, first.stdout + first.stderr
    with session_scope(store.sessions) as s:
        tenant = get_setting(s, "tenant_id")
        inv, link = s.execute(select(Invoice, Link).join(Link, (Link.local_id == Invoice.id) & (
            Link.entity == "invoice")).where(Invoice.status == "authorised", Invoice.amount_paid == 0)
            .order_by(Invoice.id).limit(1)).one()
        inv.due_date = inv.due_date + timedelta(days=20)
        inv.changed_at = utcnow()
        xero_due = inv.due_date + timedelta(days=20)
        invoice_id, xero_id = inv.id, link.xero_id
    admin.edit_invoice(tenant, xero_id, DueDate=xero_due.isoformat())
    again = desks[1].run("sync")
    assert again.returncode in (0, 3), again.stdout + again.stderr
    with store.sessions() as s:
        (exc,) = s.scalars(select(ReconException).where(ReconException.status == "open")).all()
    assert exc.kind == "due_date_conflict" and exc.local_id == invoice_id
    return exc.id, invoice_id


def test_two_desks_deciding_one_exception_at_once_apply_it_once(
        desks: list[Desk], shared_url: str, shared_store: Store, sandbox_admin) -> None:  # noqa: ANN001
    exc_id, invoice_id = _due_date_conflict(desks, shared_store, sandbox_admin)
    people = {"FRONT-DESK-1": "Maria at the front desk", "BOOKKEEPER PC ü": "Ana the bookkeeper"}
    # Hold the exception's row so both desks are inside their decision before either can finish it:
    # the moment two people press "Accept Xero's value" together.
    with shared_store.engine.connect() as gate:
        gate.execute(text("SELECT id FROM recon_exception WHERE id = :id FOR UPDATE"), {"id": exc_id})
        procs = [subprocess.Popen([sys.executable, "-c", DECIDE, shared_url, str(exc_id), people[d.name]],
                                  env=dict(d.env, PYTHONPATH=str(ROOT)), stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True) for d in desks]
        while _waiting_on_locks(shared_store) < 2:
            assert all(p.poll() is None for p in procs), [p.communicate()[0] for p in procs]
            time.sleep(0.05)
        gate.rollback()
    outs = sorted(p.communicate(timeout=60)[0].strip() for p in procs)
    assert outs[0] == "applied", outs
    assert outs[1].startswith("told: "), outs
    with shared_store.sessions() as s:
        exc = s.get(ReconException, exc_id)
        assert exc is not None and exc.status == "resolved" and exc.version == 2
        assert exc.resolved_by in people.values()
        assert outs[1].startswith(f"told: {exc.resolved_by} already decided this exception on ")
        assert "accepted Xero's value" in outs[1]
        logged = s.scalars(select(ChangeLog).where(ChangeLog.entity == "invoice", ChangeLog.local_id == invoice_id,
                                                   ChangeLog.field == "due_date")).all()
    assert len(logged) == 1  # Xero's due date written into the ledger once


def _waiting_on_locks(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.scalar(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'")) or 0)


def test_a_month_signed_off_at_another_desk_meanwhile_is_not_signed_again(store: Store) -> None:
    with session_scope(store.sessions) as s:
        _good_month(s)
    with session_scope(store.sessions) as s:  # both desks show the month unsigned
        seen_by_b = latest_signoff(s, MONTH)
    assert seen_by_b is None
    with session_scope(store.sessions) as s:
        sign_off(s, MONTH, "Maria", None, tenant_id=TENANT, seen=None)
    with pytest.raises(AlreadySignedOff) as told, session_scope(store.sessions) as s:
        sign_off(s, MONTH, "Ana", None, tenant_id=TENANT, seen=seen_by_b)
    assert told.value.user_message.startswith(f"{MONTH} was signed off by Maria on ")
    with store.sessions() as s:
        assert [r.signed_by for r in s.scalars(select(ChecklistSignoff))] == ["Maria"]
        # Having seen Maria's sign-off, Ana may sign the month off again (a re-check): version 2.
        again = sign_off(s, MONTH, "Ana", None, tenant_id=TENANT, seen=latest_signoff(s, MONTH))
        s.commit()
        assert again.version == 2


def test_two_desks_signing_off_one_month_at_the_same_instant_record_one(store: Store) -> None:
    """Both desks pass the 'not signed yet' check; the (month, version) key keeps one row."""
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer at a time: the same-instant race needs PostgreSQL")
    with session_scope(store.sessions) as s:
        _good_month(s)
    first = store.sessions()
    sign_off(first, MONTH, "Maria", None, tenant_id=TENANT, seen=None)  # inserted, not yet committed
    told: list[BaseException] = []

    def second_desk() -> None:
        try:
            with session_scope(store.sessions) as s:
                sign_off(s, MONTH, "Ana", None, tenant_id=TENANT, seen=None)
        except AlreadySignedOff as exc:
            told.append(exc)

    desk_b = threading.Thread(target=second_desk)
    desk_b.start()
    while _waiting_on_locks(store) < 1:  # Ana's insert waits on Maria's uncommitted row
        assert desk_b.is_alive()
        time.sleep(0.02)
    first.commit()
    first.close()
    desk_b.join(30)
    assert len(told) == 1 and "signed off by Maria" in str(told[0])
    with store.sessions() as s:
        assert [r.signed_by for r in s.scalars(select(ChecklistSignoff))] == ["Maria"]
