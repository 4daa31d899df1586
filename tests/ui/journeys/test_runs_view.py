"""Issue 14 point 5: the Runs view after a month - the run just finished is selected,
counts as they stand now, a skipped item's detail, product words only, Open in Xero."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from xsync_desktop.store.models import Invoice, Link, SyncItem, SyncRun
from xsync_desktop.store.types import utcnow
from xsync_desktop.ui.models.runs_model import RunIdRole
from xsync_desktop.ui.qt import Qt, QtGui, QtWidgets

FAILED_COLUMN, RETRIED_COLUMN, SKIPPED_COLUMN = 4, 5, 6


def _click_cell(j: Any, table: Any, row: int, col: int = 1) -> None:
    table.scrollTo(table.model().index(row, col))
    rect = table.visualRect(table.model().index(row, col))
    j.qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def _select_run(j: Any, view: Any, run_id: int) -> None:
    model = view.runs_model
    j.qtbot.waitUntil(lambda: model.row_of(run_id) >= 0, timeout=10_000)
    _click_cell(j, view.runs_table, model.row_of(run_id))
    j.qtbot.waitUntil(lambda: view.items_model.run_id == run_id and view.items_model.total >= 0, timeout=10_000)


def test_the_run_just_finished_is_selected(journey: Any) -> None:
    j = journey()
    view = j.shortcut(2)
    older = j.facts.first_run_id
    _select_run(j, view, older)  # the person was looking at an old run
    result = j.sync_now()
    assert result.run_id > j.facts.last_run_id
    j.qtbot.waitUntil(lambda: view.runs_table.currentIndex().data(RunIdRole) == result.run_id, timeout=10_000)
    j.qtbot.waitUntil(lambda: view.items_model.run_id == result.run_id, timeout=10_000)


def test_failed_counts_as_they_stand_now(journey: Any) -> None:
    j = journey()
    view = j.show("runs")
    run_id = j.facts.first_run_id
    _select_run(j, view, run_id)
    row = view.runs_model.row_of(run_id)
    failed = view.runs_model.index(row, FAILED_COLUMN).data()
    with j.services.session() as s:  # what became of each failed item, read from the database
        items = list(s.scalars(select(SyncItem).where(SyncItem.id.in_(j.facts.failed_item_ids))))
        later = {i.id: s.get(SyncItem, i.superseded_by_id) for i in items if i.superseded_by_id}
    ok = sum(1 for i in items if i.outcome == "failed" and later.get(i.id) is not None
             and later[i.id].outcome == "succeeded")
    still = sum(1 for i in items if i.outcome == "failed") - ok
    n = len(items)
    assert ok >= 1 and n == ok + 1 + still
    expected = f"{n} failed: {ok} retried OK, 1 skipped" + (f", {still} still failing" if still else "")
    # Failed, Retried and Skipped read together as the sentence on hover: "4 failed: 3 retried OK, 1 skipped".
    assert failed == (f"{n}, {still} still failing" if still else f"{n}")
    assert view.runs_model.index(row, FAILED_COLUMN).data(Qt.ItemDataRole.ToolTipRole) == expected
    assert view.runs_model.index(row, RETRIED_COLUMN).data() == str(ok)
    assert view.runs_model.index(row, SKIPPED_COLUMN).data() == "1"
    assert view.runs_model.index(row, 2).data() == ("Failed" if still else "Settled")


def test_skipped_item_detail_and_product_words(journey: Any, monkeypatch: Any) -> None:
    j = journey()
    view = j.show("runs")
    with j.services.session() as s:  # a run with an item that still fails and can be skipped
        run_id = s.scalar(select(SyncItem.run_id).where(SyncItem.outcome == "failed",
                                                        SyncItem.superseded_by_id.is_(None)))
    assert run_id is not None
    _select_run(j, view, run_id)
    view.set_filter(outcome="failed")  # as chosen in the outcome list
    j.qtbot.waitUntil(lambda: view.items_model.total >= 1 and view.items_model.rowCount() >= 1, timeout=10_000)
    still = view.items_model.total
    target = next((i for i in range(view.items_model.rowCount())
                   if view.items_model.rows()[i].superseded_by_id is None), None)
    assert target is not None
    _click_cell(j, view.items_table, target)
    skipped_id = view.selected_item().id
    shown = view.detail.toPlainText()
    assert shown
    # no internal ids: "(Invoice 603, create)" or "Payment pay_9001"
    assert not re.search(r"\((Invoice|Payment|Contact|Credit note) \d+, ", shown), shown
    for r in range(view.items_model.rowCount()):
        assert not re.search(r"\bpay_\d+", view.items_model.index(r, 1).data() or "")
    assert not re.search(r"\bpay_\d+", shown), shown
    monkeypatch.setattr(QtWidgets.QInputDialog, "getText", lambda *a, **k: ("Customer paid in cash", True))
    with j.qtbot.waitSignal(j.window.sync.finished, timeout=30_000):
        j.qtbot.mouseClick(view.skip_button, Qt.MouseButton.LeftButton)
    j.qtbot.waitUntil(lambda: view.items_model.total == still - 1, timeout=10_000)
    j.qtbot.waitUntil(lambda: all(r.id != skipped_id for r in view.items_model.rows()), timeout=10_000)
    # the skipped item left the "Failed" list: the detail shows what is selected now, or nothing
    selected = view.selected_item()
    if selected is None:
        assert view.detail.toPlainText() == ""
    else:
        assert selected.id != skipped_id and view.detail.toPlainText().startswith(selected.label)


def test_open_in_xero_for_an_update_item(journey: Any, monkeypatch: Any) -> None:
    j = journey()
    with j.services.write() as s:  # the operator moved a customer to another unit
        inv = s.scalars(select(Invoice).join(Link, (Link.local_id == Invoice.id) & (Link.entity == "invoice"))
                        .where(Invoice.status == "authorised", Invoice.amount_paid == 0)
                        .order_by(Invoice.id)).first()
        inv.reference, inv.changed_at = "Unit C12 (moved)", utcnow()
        number = inv.number
    view = j.shortcut(2)
    result = j.sync_now()
    j.qtbot.waitUntil(lambda: view.items_model.run_id == result.run_id and view.items_model.total > 0,
                      timeout=10_000)
    view.set_filter(text=number)
    j.qtbot.waitUntil(lambda: any(r.action == "update" for r in view.items_model.rows()), timeout=10_000)
    row = next(i for i, r in enumerate(view.items_model.rows()) if r.action == "update")
    _click_cell(j, view.items_table, row)
    assert view.open_button.isEnabled()
    opened: list[str] = []
    monkeypatch.setattr(QtGui.QDesktopServices, "openUrl", lambda url: opened.append(url.toString()) or True)
    j.qtbot.mouseClick(view.open_button, Qt.MouseButton.LeftButton)
    with j.services.session() as s:
        xero_id = s.scalar(select(Link.xero_id).where(Link.entity == "invoice", Link.local_id == inv.id))
        assert s.get(SyncRun, result.run_id) is not None
    assert opened and xero_id in opened[0]


def test_words_on_screen_are_plural_right_and_connect_is_off_while_connected(journey: Any) -> None:
    """Issue 14 points 7 and 10 (part): "1 payment pulled", not "1 payments"; no raw names in
    the run summary; Connect to Xero… is disabled while connected."""
    j = journey()
    view = j.shortcut(2)
    result = j.sync_now()
    j.qtbot.waitUntil(lambda: view.runs_table.currentIndex().data(RunIdRole) == result.run_id, timeout=10_000)
    summary = view.runs_model.index(view.runs_model.row_of(result.run_id), 8).data()
    assert summary.startswith("Finished: ")
    assert not re.search(r"\b1 (contacts|invoices|payments|credit notes)\b", summary), summary
    assert "(s)" not in summary and "_" not in summary
    connection = j.shortcut(7)
    j.qtbot.waitUntil(lambda: connection.status.text().startswith("Connected to "), timeout=10_000)
    assert not connection.connect_button.isEnabled()
