"""Run and item table models: Qt's model contract, SQL paging and filters."""

from __future__ import annotations

from typing import Any

from tests.ui.runs_data import add_run
from xsync_desktop.ui.models.run_items_model import ItemFilter, ItemIdRole, RunItemsModel
from xsync_desktop.ui.models.runs_model import RunIdRole, RunsModel


def test_runs_model_passes_qt_model_contract(store: Any, qtmodeltester: Any) -> None:
    for _ in range(5):
        add_run(store.sessions, 3)
    model = RunsModel(store.sessions, block=2)
    model.reload()
    qtmodeltester.check(model)
    while model.canFetchMore():
        model.fetchMore()
    assert model.rowCount() == 5
    ids = [model.index(r, 0).data(RunIdRole) for r in range(5)]
    assert ids == sorted(ids, reverse=True)  # newest first


def test_runs_model_refresh_inserts_new_runs_on_top(store: Any) -> None:
    add_run(store.sessions, 1)
    model = RunsModel(store.sessions)
    model.reload()
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _p, a, b: inserted.append((a, b)))
    newest = add_run(store.sessions, 1)
    model.refresh()
    assert inserted == [(0, 0)]
    assert model.index(0, 0).data(RunIdRole) == newest


def test_items_model_passes_qt_model_contract(store: Any, qtmodeltester: Any) -> None:
    run_id = add_run(store.sessions, 23)
    model = RunItemsModel(store.sessions, block=10)
    model.set_run(run_id)
    qtmodeltester.check(model)


def test_items_model_pages_by_block_and_counts(store: Any) -> None:
    run_id = add_run(store.sessions, 25)
    model = RunItemsModel(store.sessions, block=10)
    model.set_run(run_id)
    assert model.rowCount() == 10
    assert model.total == 25
    model.fetchMore()
    model.fetchMore()
    assert model.rowCount() == 25
    assert not model.canFetchMore()
    ids = [model.index(r, 0).data(ItemIdRole) for r in range(25)]
    assert ids == sorted(ids) and len(set(ids)) == 25


def test_items_model_filters_in_sql(store: Any) -> None:
    run_id = add_run(store.sessions, 50, failed_every=5)
    other = add_run(store.sessions, 50)
    model = RunItemsModel(store.sessions, block=100)
    model.set_run(run_id, ItemFilter(outcome="failed"))
    assert model.total == 10 and model.rowCount() == 10
    assert {r.outcome for r in model.rows()} == {"failed"}
    model.set_filter(ItemFilter(entity="payment"))
    assert model.rowCount() == 10 and {r.entity for r in model.rows()} == {"payment"}
    model.set_filter(ItemFilter(text="inv-0000007"))
    assert [r.local_id for r in model.rows()] == [7]
    model.set_filter(ItemFilter(text="not a valid code"))  # Xero's own messages are searched too
    assert model.rowCount() == 10
    model.set_filter(ItemFilter(text="100%_"))  # LIKE wildcards are taken literally
    assert model.rowCount() == 0
    model.set_run(other, ItemFilter())
    assert model.total == 50


def test_items_model_refresh_sees_new_and_changed_items(store: Any) -> None:
    from sqlalchemy import update

    from xsync_desktop.store.models import SyncItem

    run_id = add_run(store.sessions, 5, failed_every=0)
    model = RunItemsModel(store.sessions, block=100)
    model.set_run(run_id)
    first = model.rows()[0].id
    with store.sessions() as s:
        s.execute(update(SyncItem).where(SyncItem.id == first).values(outcome="failed", message="broken"))
        s.commit()
    model.refresh()
    assert model.rows()[0].outcome == "failed"


def test_time_left_is_told_from_the_phase_own_pace_in_words() -> None:
    """A first sync at Xero's pace: 200 of 10,000 invoices after 40 s leaves about 33 minutes;
    a new phase starts its own clock (contacts go faster than payments)."""
    from xsync_desktop.sync.progress import Progress
    from xsync_desktop.ui.views.dashboard_view import ProgressEstimate, time_left_text

    est = ProgressEstimate()
    assert est.seconds_left(Progress("invoices", 0, 10_000), now=100.0) is None  # nothing to tell from yet
    assert est.seconds_left(Progress("invoices", 50, 10_000), now=100.5) is None  # under a second
    left = est.seconds_left(Progress("invoices", 200, 10_000), now=140.0)
    assert time_left_text(left) == "about 33 min left"
    assert est.seconds_left(Progress("payments", 0, 80), now=141.0) is None
    assert time_left_text(est.seconds_left(Progress("payments", 40, 80), now=143.0)) == "less than a minute left"
    assert time_left_text(None) == ""
