"""One sync at a time per organisation across desks: the PostgreSQL advisory run lock.

Two desks (two processes, two profiles, two sign-ins) share one PostgreSQL database and one
organisation. Started at the same moment, one syncs and the other is told which desk is
syncing, since when and who; a desk SIGKILLed while holding the lock leaves nothing held,
and the next desk's sync completes the work with no duplicate and nothing missing.
"""

from __future__ import annotations

import signal
import time

from sqlalchemy import select

from tests.desks.conftest import Desk, assert_xero_matches
from tests.reliability.helpers import add_invoices_like
from xsync_desktop.store.models import Invoice, SyncItem, SyncRun
from xsync_desktop.store.store import Store
from xsync_desktop.sync.run_lock import current_holder

ROUNDS = 3
SLOW = 0.6  # seconds the sandbox holds every API request: a sync then lasts well beyond both desks' start-up


def _more_work(store: Store, round_no: int) -> None:
    """The billing system moved on: new invoices (half of them part-paid) for the next sync to send."""
    with store.sessions() as s:
        sources = s.scalars(select(Invoice).where(Invoice.status == "authorised").order_by(Invoice.id)
                            .limit(6)).all()
        add_invoices_like(s, list(sources), [f"D{round_no:02d}-{k:02d}" for k in range(len(sources))],
                          f"desk round {round_no}", paid_share=2)
        s.commit()


def _first_setup(desks: list[Desk]) -> None:
    """IT's one-time setup: a ledger in the shared database and a first sync from one desk."""
    made = desks[0].run("demo-data", "--invoices", "120")
    assert made.returncode == 0, made.stdout + made.stderr
    first = desks[0].run("sync")
    assert first.returncode == 0, first.stdout + first.stderr


def test_simultaneous_syncs_from_two_desks_one_runs_the_other_is_told(
        desks: list[Desk], shared_url: str, shared_store: Store, sandbox, sandbox_admin) -> None:  # noqa: ANN001
    _first_setup(desks)
    sandbox_admin.faults("delay", path="/api.xro/2.0/", seconds=SLOW)
    for n in range(ROUNDS):
        _more_work(shared_store, n)
        procs = [desk.start("sync") for desk in desks]
        outs = [p.communicate(timeout=300)[0] for p in procs]
        codes = [p.returncode for p in procs]
        assert sorted(codes) == [0, 6], f"round {n}: exits {codes}\n" + "\n---\n".join(outs)
        winner = desks[codes.index(0)]
        told = outs[codes.index(6)]
        assert f"Sync running on {winner.name} since " in told, told
        assert "You can review everything meanwhile" in told
    sandbox_admin.clear_faults()
    final = desks[1].run("sync")
    assert final.returncode == 0, final.stdout + final.stderr
    assert_xero_matches(desks[0], shared_url, sandbox_admin, sandbox.tenant_ids)
    with shared_store.sessions() as s:
        runs = s.scalars(select(SyncRun).order_by(SyncRun.id)).all()
    assert [r.outcome for r in runs] == ["succeeded"] * (ROUNDS + 2)  # the refused desk left no run behind


def test_a_desk_killed_while_syncing_frees_the_lock_for_the_next_desk(
        desks: list[Desk], shared_url: str, shared_store: Store, sandbox, sandbox_admin) -> None:  # noqa: ANN001
    _first_setup(desks)
    _more_work(shared_store, 1)
    sandbox_admin.faults("delay", path="/api.xro/2.0/", seconds=SLOW)
    tenant = _tenant(shared_store)
    holder = desks[0].start("sync")
    while True:  # until desk 1 holds the organisation's lock (it stays held for many slowed requests)
        with shared_store.engine.connect() as conn:
            seen = current_holder(conn, tenant)
        if seen is not None or holder.poll() is not None:
            break
        time.sleep(0.05)
    assert seen is not None and seen.desk == desks[0].name, holder.stdout.read() if holder.stdout else ""
    killed_run_id = None
    while killed_run_id is None:  # into its pushes: requests in flight whose answers nobody will read
        assert holder.poll() is None, holder.stdout.read() if holder.stdout else ""
        with shared_store.sessions() as s:
            killed_run_id = s.scalar(select(SyncItem.run_id).join(SyncRun).where(
                SyncRun.outcome == "running", SyncItem.action == "create").limit(1))
        time.sleep(0.05)
    holder.send_signal(signal.SIGKILL)
    holder.wait(30)
    killed_at = time.monotonic()
    sandbox_admin.clear_faults()
    nxt = desks[1].run("sync")
    print(f"next desk's sync ended {time.monotonic() - killed_at:.1f} s after the kill")
    assert nxt.returncode == 0, nxt.stdout + nxt.stderr
    assert_xero_matches(desks[0], shared_url, sandbox_admin, sandbox.tenant_ids)
    with shared_store.sessions() as s:
        killed_run = s.get(SyncRun, killed_run_id)
    assert killed_run is not None and killed_run.outcome == "failed" and killed_run.message.startswith("Interrupted")


def _tenant(store: Store) -> str:
    from xsync_desktop.store.settings import get_setting

    with store.sessions() as s:
        tenant = get_setting(s, "tenant_id")
    assert tenant
    return tenant
