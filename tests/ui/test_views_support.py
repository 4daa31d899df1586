"""Shared set-up for the decision-view tests (no tests here; the test_views_* modules import it).

`offline_services`: AppServices on a real migrated SQLite file, with Xero's settings cached
from the sandbox's own demo chart (no server needed), a small deterministic demo ledger,
and an organisation chosen. Tests that need Xero itself build on the sandbox rig instead.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.fixtures.ui import click_sidebar
from xsync_desktop.ledger.demo import generate_demo_ledger
from xsync_desktop.profile import Profile
from xsync_desktop.sandbox.seed import demo_orgs
from xsync_desktop.store.database import session_scope
from xsync_desktop.store.settings import set_setting
from xsync_desktop.store.store import Store
from xsync_desktop.sync.settings_refresh import _replace_kind, account_key
from xsync_desktop.ui.qt import Qt, QtWidgets
from xsync_desktop.ui.services import AppServices, XeroSetup

TENANT = "tenant-offline"

# The offscreen platform plugin says "This plugin does not support propagateSizeHints()"
# (or raise(), or grabbing the keyboard) when a window or a completer popup shows; that
# is the test platform talking, not the code under test, so only those are let through.
# Put it on the test function (not only as pytestmark): tests/ui/conftest.py adds a narrower
# qt_log_ignore to every item, and pytest-qt honours only the closest one.
OFFSCREEN_NOISE = pytest.mark.qt_log_ignore(r"^This plugin does not support ")


def cache_demo_settings(store: Store, tenant_id: str = TENANT) -> dict[str, Any]:
    """Cache the sandbox's NZ demo chart of accounts as if refresh_settings had fetched it."""
    org = demo_orgs(datetime.now(UTC))[0]
    with session_scope(store.sessions) as s:
        set_setting(s, "tenant_id", tenant_id)
        set_setting(s, "tenant_name", org["org"]["Name"])
        _replace_kind(s, tenant_id, "organisation", [("organisation", org["org"])])
        _replace_kind(s, tenant_id, "account", [(account_key(a), a) for a in org["accounts"]])
        _replace_kind(s, tenant_id, "tax_rate", [(t["TaxType"], t) for t in org["tax_rates"]])
        _replace_kind(s, tenant_id, "tracking", [(c["Name"], c) for c in org["tracking"]])
    return org


def add_demo_ledger(store: Store, invoices: int = 30) -> None:
    with session_scope(store.sessions) as s:
        generate_demo_ledger(s, invoices=invoices, seed=7)


@contextmanager
def offline_services(profile: Profile, store: Store) -> Iterator[AppServices]:
    """Use as a fixture body: `with offline_services(profile, store) as services: yield services`."""
    cache_demo_settings(store)
    add_demo_ledger(store)
    services = AppServices(profile, store, XeroSetup(None, "xsync-desktop-demo", (), None))  # type: ignore[arg-type]
    try:
        yield services
    finally:
        services.runner.shutdown()


def open_editor(table: QtWidgets.QTableView, index: Any) -> QtWidgets.QComboBox:
    """Start editing `index` and return ITS editor (a closed one may linger until deleteLater runs)."""
    table.edit(index)
    combo = table.indexWidget(index)
    assert isinstance(combo, QtWidgets.QComboBox), "no editor opened"
    return combo


def edit_cell(qtbot: Any, table: QtWidgets.QTableView, row: int, column: int, text: str) -> None:
    """Open the cell's real editor, type like a person, press Enter."""
    index = table.model().index(row, column)
    table.scrollTo(index)
    table.setCurrentIndex(index)
    combo = open_editor(table, index)
    combo.lineEdit().selectAll()
    qtbot.keyClicks(combo.lineEdit(), text)
    # The completer's popup opens through queued events and, while open, takes the Enter key
    # for itself: let it open, close it as a person pressing Escape would, then press Enter.
    QtWidgets.QApplication.processEvents()
    popup = combo.completer().popup() if combo.completer() else None
    if popup is not None and popup.isVisible():
        qtbot.keyClick(popup, Qt.Key.Key_Escape)
        QtWidgets.QApplication.processEvents()
    assert combo.lineEdit().text() == text
    qtbot.keyClick(combo.lineEdit(), Qt.Key.Key_Return)
    # The delegate commits on Enter through a queued call: let it run.
    qtbot.waitUntil(lambda: table.state() != QtWidgets.QAbstractItemView.State.EditingState)


def choose_cell(table: QtWidgets.QTableView, row: int, column: int, item_text_starts: str) -> None:
    """Open the cell's editor and pick the drop-down item whose text starts with `item_text_starts`."""
    index = table.model().index(row, column)
    table.setCurrentIndex(index)
    combo = open_editor(table, index)
    texts = [combo.itemText(i) for i in range(combo.count())]
    pos = next((i for i, t in enumerate(texts) if t.startswith(item_text_starts)), -1)
    assert pos >= 0, f"{item_text_starts!r} not offered; offered: {texts}"
    combo.setCurrentIndex(pos)
    combo.activated.emit(pos)


#: what the app tells its views after a sync, a decision or another desk's change
CHANGE_TOPICS = ("runs", "exceptions", "ledger", "mappings", "connection")


def open_view(qtbot: Any, window: Any, key: str, signal: str | None = "loaded") -> Any:
    """Click `key` in the sidebar, as a person does, and wait until the view shows fresh data.

    The tests change the ledger and Xero behind the window's back (the engine run directly,
    the bookkeeper through the sandbox); the app's change hub is told what changed, as the
    sync controller or another desk's notice tells it, and the view reloads itself.
    """
    view = window.view(key)
    with contextlib.ExitStack() as wait:
        if signal is not None:
            wait.enter_context(qtbot.waitSignal(getattr(view, signal), timeout=20_000))
        for topic in CHANGE_TOPICS:
            window.services.notify(topic)
        click_sidebar(qtbot, window, key)
    return view
