"""A window left open while another desk upgrades the shared database writes nothing (issue 17, point 5).

The schema is checked when the store opens and before each sync; a person deciding an exception
in a window opened before the upgrade would otherwise write with the old version's rules. The
decision is refused in the view with what to do, and the exception stays as it was.
"""

from __future__ import annotations

from typing import Any

from PySide6 import QtWidgets
from PySide6.QtCore import Qt
from sqlalchemy import create_engine, select, text

from xsync_desktop.store.migrate import head_revision
from xsync_desktop.store.models import ReconException


def _set_schema(url: Any, revision: str) -> None:
    """What another desk's newer release does to the shared database when it starts."""
    other = create_engine(url)
    try:
        with other.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    finally:
        other.dispose()


def test_a_decision_in_a_window_left_behind_by_an_upgrade_is_refused(journey: Any, monkeypatch: Any) -> None:
    j = journey()
    view = j.show("exceptions")
    n = j.facts.open_exceptions
    j.qtbot.waitUntil(lambda: view.table.model().rowCount() == n, timeout=10_000)
    with j.services.session() as s:
        exc_id = s.scalars(select(ReconException.id).where(ReconException.status == "open")
                           .order_by(ReconException.id)).first()
    url = j.services.store.engine.url
    _set_schema(url, "0099_from_a_newer_release")
    try:
        assert view.select_exception(exc_id)
        view.who_edit.setText("Mere Bookkeeper")
        monkeypatch.setattr(QtWidgets.QMessageBox, "question",
                            lambda *a, **k: QtWidgets.QMessageBox.StandardButton.Yes)
        monkeypatch.setattr(QtWidgets.QInputDialog, "getMultiLineText", lambda *a, **k: ("Leave it", True))
        action = next(a for a in ("dismiss", "accept_xero") if view.action_buttons[a].isVisible())
        with j.qtbot.waitSignal(view.failed, timeout=30_000):
            j.qtbot.mouseClick(view.action_buttons[action], Qt.MouseButton.LeftButton)
        assert "Install the newer version" in view.message_label.text(), view.message_label.text()
        with j.services.session() as s:
            assert s.get(ReconException, exc_id).status == "open"
    finally:
        _set_schema(url, head_revision())
