"""Issue 14 point 7: the dashboard as a person reads it after a month.

Every run readable on the chart (the first big sync no longer flattens the rest), the tiles
showing the sync that is running, open exceptions counted on the dashboard and on the
sidebar's Exceptions entry, and "1 payment pulled" / "2 payments pulled"."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from xsync_desktop.sandbox.admin_client import SandboxAdmin
from xsync_desktop.store.models import Invoice, Link, ReconException
from xsync_desktop.ui.qt import Qt, QtWidgets
from xsync_desktop.ui.views import VIEW_SPECS

from .importing import invoices_export, open_import_with, press_import


def _unpaid_in_xero(j: Any, n: int) -> list[str]:
    """Xero ids of `n` invoices in Xero with money still owed (the bookkeeper can record payments)."""
    with j.services.session() as s:
        rows = s.execute(select(Link.xero_id).join(Invoice, (Link.local_id == Invoice.id) & (Link.entity == "invoice"))
                         .where(Invoice.status == "authorised", Invoice.amount_paid == 0)
                         .order_by(Invoice.id)).all()
    return [r[0] for r in rows[-n:]]


def _bookkeeper_records_payments(j: Any, n: int) -> None:
    tenant_id, _ = j.services.tenant()
    with SandboxAdmin.of(j.sandbox) as admin:
        for xero_id in _unpaid_in_xero(j, n):
            admin.create_payment(tenant_id, InvoiceID=xero_id, Amount="5.00", Date=date.today().isoformat())


def _sidebar_text(j: Any, key: str) -> str:
    row = next(i for i, spec in enumerate(VIEW_SPECS) if spec.key == key)
    return j.window.sidebar.item(row).text()


def test_chart_keeps_every_run_readable_and_marks_the_big_first_sync(journey: Any) -> None:
    j = journey()
    dashboard = j.shortcut(1)
    j.sync_now()  # one more small run after the month's big first sync
    chart = dashboard.chart
    points = chart.points
    assert len(points) >= 4
    plot_height = chart._plot_rect().height()
    small = [(h, p) for h, p in zip(chart.bar_heights(), points, strict=True) if 0 < p.total]
    # The first sync is dozens of records, the later ones one or two: each is still a bar one can see.
    assert all(h >= plot_height / 4 for h, _p in small), [(h, p.total) for h, p in small]
    assert [p.total for p in chart.outliers] == [points[0].total]  # the big one is marked, not the scale
    assert f"{points[0].total:,}" in chart.accessibleDescription()
    assert chart.caption == f"last {len(points)} runs"


def test_tiles_show_the_running_sync_as_it_goes(journey: Any) -> None:
    j = journey()
    dashboard = j.shortcut(1)
    assert dashboard.heading.text() == "Sync log — last run"
    assert dashboard.card_payments.value.text() != "3"  # the month's last run moved fewer payments
    _bookkeeper_records_payments(j, 3)
    with SandboxAdmin.of(j.sandbox) as admin:  # Xero slow to answer the read after the payments
        admin.faults("delay", method="GET", path="/api.xro/2.0/Invoices", seconds=8, count=1)
    with j.qtbot.waitSignal(j.window.sync.finished, timeout=60_000):
        j._press("r")
        j.qtbot.waitUntil(lambda: dashboard.heading.text() == "Sync log — this run"
                          and dashboard.card_payments.value.text() == "3", timeout=7_000)
        assert j.window.sync.running  # seen while the sync was still going
        assert dashboard.when.text().startswith("started ")
    assert dashboard.heading.text() == "Sync log — last run"
    assert dashboard.card_payments.value.text() == "3"


def test_open_exceptions_counted_on_the_dashboard_and_the_sidebar(journey: Any, monkeypatch: Any) -> None:
    j = journey()
    n = j.facts.open_exceptions
    dashboard = j.shortcut(1)
    assert dashboard.card_exceptions.value.text() == str(n)
    assert re.fullmatch(rf"Exceptions\s+{n}", _sidebar_text(j, "exceptions"))
    view = j.show("exceptions")  # a decision: accept Xero's value on one of them
    j.qtbot.waitUntil(lambda: view.table.model().rowCount() == n, timeout=10_000)
    with j.services.session() as s:
        exc_id = s.scalars(select(ReconException.id).where(ReconException.status == "open")
                           .order_by(ReconException.id)).first()
    assert view.select_exception(exc_id)
    view.who_edit.setText("Mere Bookkeeper")
    monkeypatch.setattr(QtWidgets.QMessageBox, "question", lambda *a, **k: QtWidgets.QMessageBox.StandardButton.Yes)
    action = next(a for a in ("accept_xero", "dismiss") if view.action_buttons[a].isVisible())
    monkeypatch.setattr(QtWidgets.QInputDialog, "getMultiLineText", lambda *a, **k: ("Agreed with Xero", True))
    with j.qtbot.waitSignal(view.resolved, timeout=30_000):
        j.qtbot.mouseClick(view.action_buttons[action], Qt.MouseButton.LeftButton)
    j.qtbot.waitUntil(lambda: re.fullmatch(rf"Exceptions\s+{n - 1}", _sidebar_text(j, "exceptions")) is not None,
                      timeout=5_000)
    dashboard = j.shortcut(1)
    j.qtbot.waitUntil(lambda: dashboard.card_exceptions.value.text() == str(n - 1), timeout=5_000)
    j.sync_now()  # after a sync: the same count (the decided one does not come back)
    assert dashboard.card_exceptions.value.text() == str(n - 1)
    assert re.fullmatch(rf"Exceptions\s+{n - 1}", _sidebar_text(j, "exceptions"))


def test_payments_pulled_reads_right_for_one_and_for_more(journey: Any) -> None:
    """"1 payment pulled" and "2 payments pulled", on the dashboard and in the run's summary."""
    j = journey()
    dashboard = j.shortcut(1)
    for n, words in ((1, "1 payment pulled"), (2, "2 payments pulled")):
        _bookkeeper_records_payments(j, n)
        result = j.sync_now()
        assert result.counts["payments_pulled"] == n
        assert words in result.message, result.message
        assert dashboard.card_payments.value.text() == str(n)
        assert dashboard.card_payments.title.text() == ("Payment" if n == 1 else "Payments")
        assert not re.search(r"\b1 (contacts|invoices|payments|credit notes)\b", result.message)
        runs = j.shortcut(2)
        j.qtbot.waitUntil(lambda rid=result.run_id, v=runs: v.runs_model.row_of(rid) >= 0, timeout=10_000)
        summary = runs.runs_model.index(runs.runs_model.row_of(result.run_id), 8).data()
        assert words in summary, summary
        dashboard = j.shortcut(1)


def test_a_long_push_says_how_much_time_is_left(journey: Any, monkeypatch: Any, tmp_path: Path) -> None:
    """The operator imports a batch of new invoices and Xero answers slowly: once the push has
    gone far enough to tell, the dashboard says how long is left, then clears it at the end."""
    j = journey()
    numbers = [f"INV-95{n:04d}" for n in range(150)]  # three of Xero's batches of 50
    dialog = open_import_with(j, monkeypatch, invoices_export(j, tmp_path / "export", numbers, "authorised"))
    assert dialog.report.ok, dialog.summary.toPlainText()
    assert press_import(j, monkeypatch, dialog).committed
    dialog.close()
    dashboard = j.shortcut(1)
    with SandboxAdmin.of(j.sandbox) as admin:  # each batch of new invoices takes Xero 1.5 s
        admin.faults("delay", method="PUT", path="/api.xro/2.0/Invoices", seconds=1.5, count=3)
    seen: list[str] = []
    with j.qtbot.waitSignal(j.window.sync.finished, timeout=60_000) as blocker:
        j._press("r")
        j.qtbot.waitUntil(lambda: "left" in dashboard.progress_detail.text(), timeout=20_000)
        seen += [dashboard.progress.text(), dashboard.progress_detail.text()]
    assert "less than a minute left" in seen[1], seen
    assert re.fullmatch(r"Pushing invoices — (50|100) of 150", seen[0]), seen
    assert blocker.args[0].counts.get("invoices_pushed") == 150, blocker.args[0].counts
    assert "left" not in dashboard.progress_detail.text()  # the finished sync says how it ended instead


def test_exceptions_tile_counts_what_the_sync_found_the_moment_it_ends(journey: Any) -> None:
    """While this window's sync runs, the dashboard no longer recounts open exceptions every second
    (those queries on the GUI thread were the window's longest waits during a sync); the count a
    sync changed must still be on the tile when the sync ends."""
    j = journey()
    n = j.facts.open_exceptions
    dashboard = j.shortcut(1)
    assert dashboard.card_exceptions.value.text() == str(n)
    tenant_id, _ = j.services.tenant()
    (xero_id,) = _unpaid_in_xero(j, 1)
    with SandboxAdmin.of(j.sandbox) as admin:  # the bookkeeper changes an invoice the ledger also holds
        admin.edit_invoice(tenant_id, xero_id, LineAmount="987.65")
    j.sync_now()
    assert dashboard.card_exceptions.value.text() == str(n + 1)  # as the sync's end reached the window
    assert dashboard.heading.text() == "Sync log — last run"


def test_a_sync_end_recounts_open_exceptions_once_for_each_place_that_shows_them(journey: Any) -> None:
    """When a sync ends, four notices arrive at once (runs, exceptions, ledger, connection). The
    sidebar's badge and the dashboard's tile each recount once: recounting per notice, all in the
    turn that ends the sync, held the window for about 60 ms after a 10,000-invoice sync
    (tests/perf/bench_gui_stall.py, issue 16)."""
    import threading

    from sqlalchemy import event

    j = journey()
    dashboard = j.shortcut(1)
    counted: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.current_thread() is threading.main_thread() and "count(*)" in statement \
                and "FROM recon_exception" in statement:
            counted.append(statement)

    engine = j.services.store.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        j.sync_now()
        j.qtbot.waitUntil(lambda: not j.window.updates_pending, timeout=5_000)
        j.qtbot.wait(400)  # past the views' coalescing delay: a late recount would show here
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(counted) == 2, counted  # the sidebar once, the dashboard once
    assert dashboard.card_exceptions.value.text() == str(j.facts.open_exceptions)
    assert re.fullmatch(rf"Exceptions\s+{j.facts.open_exceptions}", _sidebar_text(j, "exceptions"))
