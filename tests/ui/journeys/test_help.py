"""Issue 14 point 11: the Help menu - a user guide shipped with the app (opens offline),
Open log folder, and Copy diagnostics with nothing secret in it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xsync_desktop import __version__
from xsync_desktop.ui.qt import QtGui, QtWidgets


def _help_action(j: Any, title: str) -> Any:
    menu = next(a.menu() for a in j.window.menuBar().actions() if a.text() == "&Help")
    return next(a for a in menu.actions() if a.text().replace("&", "") == title)


def test_user_guide_opens_from_a_file_shipped_with_the_app(journey: Any, monkeypatch: Any) -> None:
    j = journey(online=False)
    opened: list[str] = []
    monkeypatch.setattr(QtGui.QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    _help_action(j, "User guide").trigger()
    guide = Path(opened[-1])
    assert guide.is_file() and "Month end" in guide.read_text(encoding="utf-8")


def test_copy_diagnostics_for_a_support_call(journey: Any) -> None:
    j = journey(online=False)
    _help_action(j, "Copy diagnostics").trigger()
    text = QtWidgets.QApplication.clipboard().text()
    assert __version__ in text
    assert str(j.services.profile.root) in text
    assert "Database revision: " in text and "unreadable" not in text
    assert f"  {j.facts.last_run_id}  " in text
    assert j.facts.grant.refresh_token not in text
    assert "Diagnostics copied" in j.window.statusBar().currentMessage()
