"""Issue 14 point 10: the product's words on screen, a window title said once, columns that
show their whole text, exports in local time with the zone named, and save dialogs that open
in the person's Documents folder."""

from __future__ import annotations

import csv
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from xsync_desktop.ui.qt import Qt, QtCore, QtGui, QtWidgets
from xsync_desktop.ui.save_dialog import documents_folder
from xsync_desktop.ui.views import VIEW_SPECS

#: the display name ui/app.py gives the application (Qt appends it to window titles)
APP_NAME = "xsync desktop"
#: a code name on screen: admin_fee, lock_cut, amount_paid, contact_archived
SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")


@pytest.fixture
def auckland(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The office's clock in New Zealand (UTC+13 in summer), not UTC like the test machine's."""
    monkeypatch.setenv("TZ", "Pacific/Auckland")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def large_text(qapp: QtWidgets.QApplication) -> Iterator[None]:
    """Text set larger, as on a desktop at 125% or with large fonts: columns meet longer text."""
    font = qapp.font()
    bigger = QtGui.QFont(font)
    bigger.setPointSizeF(font.pointSizeF() * 1.4)
    qapp.setFont(bigger)
    yield
    qapp.setFont(font)


def _visible_texts(view: QtWidgets.QWidget) -> list[str]:
    out = [w.text() for w in view.findChildren(QtWidgets.QLabel) if w.isVisible()]
    out += [w.text() for w in view.findChildren(QtWidgets.QAbstractButton) if w.isVisible()]
    for table in view.findChildren(QtWidgets.QAbstractItemView):
        model = table.model()
        if not table.isVisible() or model is None:
            continue
        out += [str(model.headerData(c, Qt.Orientation.Horizontal) or "") for c in range(model.columnCount())]
        for r in range(model.rowCount()):
            out += [str(model.index(r, c).data() or "") for c in range(model.columnCount())]
    return [t for t in out if "@" not in t]  # an email address may hold an underscore


def _settled(j: Any, key: str) -> QtWidgets.QWidget:
    view = j.show(key)
    coalescer = getattr(view, "_coalescer", None)
    loading = lambda: bool(getattr(view, "loading", False))  # noqa: E731
    j.qtbot.waitUntil(lambda: not loading() and not (coalescer is not None and coalescer.dirty), timeout=10_000)
    j.qtbot.wait(50)  # the loaded rows' layout
    return view


def test_window_title_names_the_app_once(journey: Any) -> None:
    j = journey()
    title = j.window.windowTitle()
    assert title == f"Demo — {APP_NAME}"
    # Qt adds the display name after a title unless the title already ends with it.
    assert title.endswith(APP_NAME) and title.count(APP_NAME) == 1


def test_no_code_names_on_any_screen(journey: Any) -> None:
    j = journey()
    j.sync_now()
    seen: dict[str, list[str]] = {}
    for spec in VIEW_SPECS:
        for text in _visible_texts(_settled(j, spec.key)):
            bad = SNAKE.findall(text) + re.findall(r"(?i)\bdry run\b|\(s\)", text)
            if bad:
                seen.setdefault(spec.key, []).append(text)
    assert not seen, seen
    mapping = _settled(j, "mapping")
    table = mapping.findChild(QtWidgets.QTableView, "mappingTable_charge_type")
    titles = [table.model().index(r, 0).data() for r in range(table.model().rowCount())]
    assert "Admin fee" in titles and "Lock cut" in titles
    row = titles.index("Admin fee")
    assert "admin_fee" in table.model().index(row, 0).data(Qt.ItemDataRole.ToolTipRole)  # the code, for imports


def test_records_column_says_what_it_holds(journey: Any) -> None:
    j = journey()
    records = _settled(j, "records")
    header = lambda: records.model.headerData(4, Qt.Orientation.Horizontal)  # noqa: E731
    assert header() == "Email"  # customers' emails were headed "Ledger"
    records.kind_box.setCurrentIndex(records.kind_box.findData("invoice"))  # as picked in the list
    j.qtbot.waitUntil(lambda: header() == "Ledger status" and not records.loading, timeout=10_000)
    statuses = {records.model.index(r, 4).data() for r in range(records.model.rowCount())}
    assert statuses and all(s[:1].isupper() for s in statuses), statuses


def _hover_tooltip(j: Any, table: QtWidgets.QAbstractItemView, index: QtCore.QModelIndex) -> str:
    """What a person sees when resting the mouse on the cell."""
    QtWidgets.QToolTip.hideText()
    j.qtbot.waitUntil(lambda: not QtWidgets.QToolTip.isVisible(), timeout=2_000)
    pos = table.visualRect(index).center()
    event = QtGui.QHelpEvent(QtCore.QEvent.Type.ToolTip, pos, table.viewport().mapToGlobal(pos))
    QtWidgets.QApplication.sendEvent(table.viewport(), event)
    j.qtbot.waitUntil(QtWidgets.QToolTip.isVisible, timeout=2_000)
    return QtWidgets.QToolTip.text()


@pytest.mark.qt_log_ignore("This plugin does not support (raise|propagateSizeHints)")  # offscreen tooltip
def test_a_cut_off_cell_shows_its_whole_text_on_hover(journey: Any, large_text: None) -> None:
    j = journey()
    j.window.resize(900, 640)  # a laptop-sized window: some columns must give way
    checked = 0
    for key in ("runs", "exceptions", "records", "mapping"):
        view = _settled(j, key)
        for table in view.findChildren(QtWidgets.QTableView):
            if not table.isVisible():
                continue
            model = table.model()
            for r in range(min(model.rowCount(), 5)):
                for c in range(model.columnCount()):
                    index = model.index(r, c)
                    text = str(index.data() or "")
                    rect = table.visualRect(index)
                    if (not text or table.isColumnHidden(c) or rect.width() <= 0
                            or not table.viewport().rect().contains(rect.center())
                            or table.fontMetrics().horizontalAdvance(text) <= rect.width()):  # clearly cut
                        continue
                    shown = _hover_tooltip(j, table, index)
                    assert text in shown, (key, text, shown)  # the whole text, not only a note about it
                    checked += 1
    assert checked >= 3  # the window is narrow enough that several cells are cut


def test_exports_open_in_documents_and_say_local_time(journey: Any, auckland: None, monkeypatch: Any,
                                                      tmp_path: Path) -> None:
    j = journey()
    asked: list[str] = []
    target = {"path": tmp_path / "out.csv"}
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        lambda _parent, _title, start, _filters: asked.append(start) or (str(target["path"]), ""))
    runs = _settled(j, "runs")
    j.qtbot.waitUntil(runs.export_button.isEnabled, timeout=10_000)
    j.qtbot.mouseClick(runs.export_button, Qt.MouseButton.LeftButton)
    j.qtbot.waitUntil(lambda: target["path"].exists() and target["path"].stat().st_size > 0, timeout=10_000)
    j.qtbot.wait(200)  # the background writer closes the file
    with target["path"].open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and "started" in rows[0], rows[:1]
    assert rows[0]["started"].endswith("+13:00"), rows[0]["started"]  # New Zealand summer time, said as such

    checklist = _settled(j, "checklist")
    j.qtbot.waitUntil(lambda: checklist.signoff is not None and checklist.csv_button.isEnabled(), timeout=10_000)
    target["path"] = tmp_path / "checklist.csv"
    with j.qtbot.waitSignal(checklist.finished, timeout=20_000):
        j.qtbot.mouseClick(checklist.csv_button, Qt.MouseButton.LeftButton)
    signed = next(r for r in csv.reader(target["path"].open(encoding="utf-8-sig")) if r and r[0] == "signed_off_by")
    assert signed[3].endswith("+13:00"), signed

    from xsync_desktop.ui.views import checklist_view

    laid_out: list[str] = []
    real_write_pdf = checklist_view.write_pdf
    monkeypatch.setattr(checklist_view, "write_pdf", lambda html, path: laid_out.append(html) or real_write_pdf(html, path))
    target["path"] = tmp_path / "checklist.pdf"
    with j.qtbot.waitSignal(checklist.finished, timeout=20_000):
        j.qtbot.mouseClick(checklist.pdf_button, Qt.MouseButton.LeftButton)
    assert target["path"].stat().st_size > 0
    assert "UTC " not in laid_out[0] and re.search(r"\d\d:\d\d NZDT \(UTC\+13:00\)", laid_out[0]), laid_out[0][:600]

    documents = documents_folder()
    assert len(asked) == 3
    for start in asked:
        assert Path(start).parent == documents, start  # not the hidden profile folder
        assert str(j.services.profile.root) not in start


def test_a_failed_item_names_the_charge_type_as_mapping_shows_it(journey: Any) -> None:
    """The first run's merchandise invoices failed for want of an account: the Runs view says so
    with the name the Mapping view lists ("Merchandise"), not the ledger's code."""
    j = journey()
    runs = _settled(j, "runs")
    j.qtbot.waitUntil(lambda: runs.runs_model.row_of(j.facts.first_run_id) >= 0, timeout=10_000)
    cell = runs.runs_model.index(runs.runs_model.row_of(j.facts.first_run_id), 1)
    runs.runs_table.scrollTo(cell)
    j.qtbot.mouseClick(runs.runs_table.viewport(), Qt.MouseButton.LeftButton,
                       pos=runs.runs_table.visualRect(cell).center())
    j.qtbot.waitUntil(lambda: runs.items_model.run_id == j.facts.first_run_id
                      and runs.items_model.rowCount() >= runs.items_model.total > 0, timeout=10_000)
    messages = {str(runs.items_model.index(r, c).data() or "") for r in range(runs.items_model.rowCount())
                for c in range(runs.items_model.columnCount())}
    assert "Charge type 'Merchandise' has no Xero account. Map it in Mapping, then retry." in messages, messages
    assert not any("'merchandise'" in m for m in messages)
    mapping = _settled(j, "mapping")
    table = mapping.findChild(QtWidgets.QTableView, "mappingTable_charge_type")
    assert "Merchandise" in [table.model().index(r, 0).data() for r in range(table.model().rowCount())]
