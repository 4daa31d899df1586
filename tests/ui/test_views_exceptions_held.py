"""Held ledger changes ("needs review") in the Exceptions view (issue 15 case 8).

An invoice edited in the ledger after the customer paid part of it in Xero: Xero refuses the
update, so the sync holds it ("remove the payment in Xero ... then retry"). Before, nothing
in the Exceptions view or its count showed it. Here a person opens Exceptions through the
sidebar, sees the held change counted as open with its message, and acts on it: retry after
the bookkeeper removed the payment in Xero, or skip with a reason.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from xsync_desktop.store.models import SyncItem
from xsync_desktop.ui.qt import Qt, QtWidgets
from xsync_desktop.ui.views.exceptions_rows import HELD_TITLE

from .test_views_exceptions import WHO, World, world  # noqa: F401 - the exceptions suite's rig (a fixture)
from .test_views_support import OFFSCREEN_NOISE, open_view

pytestmark = OFFSCREEN_NOISE


def _hold_an_edit(w: World) -> tuple[str, str]:
    """The customer pays part of INV-0001 in Xero; the ledger then edits it; a sync holds the edit."""
    inv = w.invoice("INV-0001")
    paid = w.admin.create_payment(w.tenant, w.xero_id("invoice", inv.id), "40.00", inv.issue_date.isoformat(),
                                  Reference="counter")
    payment_id = str(paid.get("PaymentID") or paid["Payments"][0]["PaymentID"])
    w.edit_ledger_invoice("INV-0001", reference="Unit A1, moved to B4")
    result = w.sync()
    assert result.counts["needs_review"] == 1, result.message
    return inv.number, payment_id


def _held_row(view: Any) -> Any:
    rows = [view.proxy.row_at(r) for r in range(view.proxy.rowCount())]
    held = [r for r in rows if r.kind_title == HELD_TITLE]
    assert len(held) == 1, [(r.kind_title, r.record) for r in rows]
    return held[0]


def _click_held(qtbot: Any, view: Any, row: Any, action: str) -> None:
    assert view.select_exception(row.id)
    button = view.action_buttons[action]
    assert button.isVisible() and button.isEnabled()
    with qtbot.waitSignal(view.resolved, timeout=60_000) as blocker:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert blocker.args == [row.id, action]


def test_held_edit_is_listed_counted_and_retried_after_the_payment_is_removed(qtbot: Any, world: World) -> None:  # noqa: F811
    number, payment_id = _hold_an_edit(world)
    view = open_view(qtbot, world.window, "exceptions")
    view.who_edit.setText(WHO)
    row = _held_row(view)
    assert number in row.record and "Remove the payment in Xero" in (row.detail or "")
    assert "1 open" in view.count_label.text()
    assert view.select_exception(row.id)
    assert "Remove the payment in Xero" in view.detail_label.text()
    assert {a for a, b in view.action_buttons.items() if b.isVisible()} == {"retry", "skip"}

    world.admin.delete_payment(world.tenant, payment_id)  # the bookkeeper does what the message says
    _click_held(qtbot, view, row, "retry")
    assert world.xero_invoice(number)["Reference"] == "Unit A1, moved to B4"
    qtbot.waitUntil(lambda: not [view.proxy.row_at(r) for r in range(view.proxy.rowCount())
                                 if view.proxy.row_at(r).kind_title == HELD_TITLE], timeout=20_000)
    qtbot.waitUntil(lambda: "0 open" in view.count_label.text(), timeout=20_000)  # other reloads may follow


def test_held_edit_skipped_with_a_reason(qtbot: Any, world: World, monkeypatch: Any) -> None:  # noqa: F811
    number, _ = _hold_an_edit(world)
    view = open_view(qtbot, world.window, "exceptions")
    row = _held_row(view)
    reason = "Customer paid at the counter; the bookkeeper keeps Xero as it is"
    monkeypatch.setattr(QtWidgets.QInputDialog, "getText", lambda *a, **k: (reason, True))
    _click_held(qtbot, view, row, "skip")
    with world.services.session() as s:
        item = s.get(SyncItem, row.item_id)
        assert item.outcome == "skipped" and item.skip_reason == reason
        assert s.scalars(select(SyncItem).where(SyncItem.outcome == "needs_review",
                                                SyncItem.superseded_by_id.is_(None))).first() is None
    assert world.xero_invoice(number)["Reference"] != "Unit A1, moved to B4"  # nothing sent
    qtbot.waitUntil(lambda: "0 open" in view.count_label.text(), timeout=20_000)  # other reloads may follow
