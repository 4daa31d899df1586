"""Issue 14 point 1: every view shows its data the first time it is shown, and again when
it is shown after a change, with no refresh() called by anyone but the app."""

from __future__ import annotations

from typing import Any

from .conftest import SIGNED_BY


def _texts(model: Any, column: int) -> list[str]:
    return [str(model.index(r, column).data() or "") for r in range(model.rowCount())]


def test_exceptions_listed_on_first_open(journey: Any) -> None:
    j = journey()
    view = j.show("exceptions")
    j.qtbot.waitUntil(lambda: view.table.model().rowCount() == j.facts.open_exceptions, timeout=10_000)
    assert "No exceptions" not in view.title_label.text()
    assert f"{j.facts.open_exceptions} open" in view.count_label.text()


def test_mapping_filled_on_first_open(journey: Any) -> None:
    j = journey()
    view = j.shortcut(4)
    assert view.objectName() == "mappingView"
    table = view.tables["charge_type"]
    j.qtbot.waitUntil(lambda: table.model().rowCount() > 0, timeout=10_000)
    assert "merchandise" in " ".join(_texts(table.model(), 0)).lower() or any(
        "merch" in t.lower() for t in _texts(table.model(), 0))


def test_checklist_and_month_picker_filled_on_first_open(journey: Any) -> None:
    j = journey()
    view = j.show("checklist")
    j.qtbot.waitUntil(lambda: view.month_box.count() > 1, timeout=10_000)
    j.qtbot.waitUntil(lambda: view.checklist is not None and not view.loading, timeout=10_000)
    months = [view.month_box.itemData(i) for i in range(view.month_box.count())]
    assert j.facts.signed_month in months
    view.month_box.setCurrentIndex(months.index(j.facts.signed_month))  # as a person picks it
    j.qtbot.waitUntil(lambda: SIGNED_BY in view.signoff_label.text(), timeout=10_000)


def test_records_customers_on_first_open(journey: Any) -> None:
    j = journey()
    view = j.show("records")
    j.qtbot.waitUntil(lambda: view.table.model().rowCount() == j.facts.customers, timeout=10_000)


def test_connection_organisations_on_first_open(journey: Any) -> None:
    j = journey()
    view = j.shortcut(7)
    assert view.objectName() == "connectionView"
    j.qtbot.waitUntil(lambda: view.orgs.count() > 0, timeout=10_000)
    assert view.orgs.currentText() == j.services.tenant()[1]  # the saved one at once
    j.qtbot.waitUntil(lambda: view.orgs.count() == len(j.sandbox.state.connections), timeout=10_000)
    assert view.orgs.currentText() == j.services.tenant()[1]


def test_views_offline_show_their_data(journey: Any) -> None:
    """With Xero unreachable every view still shows what the database holds."""
    j = journey(online=False)
    exceptions = j.shortcut(3)
    j.qtbot.waitUntil(lambda: exceptions.table.model().rowCount() == j.facts.open_exceptions, timeout=10_000)
    records = j.shortcut(6)
    j.qtbot.waitUntil(lambda: records.table.model().rowCount() == j.facts.customers, timeout=10_000)
    mapping = j.shortcut(4)
    j.qtbot.waitUntil(lambda: mapping.tables["charge_type"].model().rowCount() > 0, timeout=10_000)
    checklist = j.shortcut(5)
    j.qtbot.waitUntil(lambda: checklist.month_box.count() > 1, timeout=10_000)
    connection = j.shortcut(7)
    j.qtbot.waitUntil(lambda: connection.orgs.currentText() == j.services.tenant()[1], timeout=10_000)


def test_view_shown_again_after_a_change(journey: Any) -> None:
    """A change made while the view is hidden shows when it is shown again."""
    j = journey()
    exceptions = j.show("exceptions")
    j.qtbot.waitUntil(lambda: exceptions.table.model().rowCount() == j.facts.open_exceptions, timeout=10_000)
    j.show("dashboard")
    from sqlalchemy import update

    from xsync_desktop.store.models import ReconException

    with j.services.write() as s:  # another desk dismissed one
        first = s.scalars(ReconException.__table__.select().where(ReconException.status == "open")).first()
        s.execute(update(ReconException).where(ReconException.id == first).values(status="dismissed"))
    j.services.notify("exceptions")
    j.show("exceptions")
    # listed as dismissed now (a change it held back may take its place among the open rows)
    j.qtbot.waitUntil(lambda: any(r.id == first and r.status == "dismissed" for r in exceptions.model.rows()),
                      timeout=10_000)
    shown = [exceptions.proxy.row_at(r).id for r in range(exceptions.proxy.rowCount())]
    assert first not in shown  # the list shows open ones
