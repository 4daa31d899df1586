"""End to end through the GUI's code paths, against the in-process sandbox:
connect, sync, dashboard counts, retry after fixing the cause, cancel, offline reading."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from xsync_desktop.store.models import SyncItem, SyncRun


def _slow_xero(services: Any) -> None:
    """Each Xero call takes a while, so a sync is still running when the test acts."""
    from xsync_desktop.sandbox.admin_client import SandboxAdmin

    SandboxAdmin(services.xero.sandbox_base, services.xero.sandbox_admin_secret).faults("delay", seconds=0.2, count=40)


def _sync_and_wait(window: Any, qtbot: Any, timeout: int = 60_000) -> Any:
    with qtbot.waitSignal(window.sync.finished, timeout=timeout) as sig:
        assert window.sync.sync_now("manual")
    return sig.args[0]


def test_connect_through_the_connection_view(ui_app: Any, ui_sandbox: Any, qtbot: Any) -> None:
    services, window = ui_app(demo=True, sandbox=ui_sandbox)
    window.show_view("connection")
    view = window.view("connection")
    assert view.status.text() == "Not connected"
    view.start_login()
    assert view.login_in_progress  # the window keeps running while the browser is out
    qtbot.waitUntil(lambda: not view.login_in_progress, timeout=20_000)
    assert view.last_error is None
    qtbot.waitUntil(lambda: view.orgs.count() >= 1)
    tenant_id, name = services.tenant()
    if tenant_id is None:  # several organisations: the person picks one
        view.use_selected_org()
        tenant_id, name = services.tenant()
    assert tenant_id in ui_sandbox.tenant_ids
    assert view.status.text() == f"Connected to {name}"
    qtbot.waitUntil(lambda: window.connection_label.text() == f"Xero: {name}")


def test_login_can_be_cancelled_and_shows_the_url(ui_app: Any, ui_sandbox: Any, qtbot: Any) -> None:
    services, window = ui_app(demo=True, sandbox=ui_sandbox)
    services.xero.opener = lambda url: False  # no browser: the person must copy the address
    view = window.view("connection")
    view.start_login()
    qtbot.waitUntil(lambda: view.url.text().startswith(ui_sandbox.base_url))
    assert "code_challenge_method=S256" in view.url.text()
    view.cancel_login()
    qtbot.waitUntil(lambda: not view.login_in_progress, timeout=10_000)
    assert view.last_error is None and "cancelled" in view.detail.text()


def test_sync_then_dashboard_matches_the_run(demo_app: Any, qtbot: Any) -> None:
    services, window = demo_app
    result = _sync_and_wait(window, qtbot)
    assert result.outcome == "succeeded", result.message  # every charge type mapped: nothing fails
    dash = window.view("dashboard")
    qtbot.waitUntil(lambda: dash.last_run is not None and dash.last_run.id == result.run_id
                    and dash.last_run.outcome == result.outcome)
    with services.session() as s:
        run = s.get(SyncRun, result.run_id)
        assert run.invoices_pushed > 0 and run.contacts_synced > 0
        expected = (run.contacts_synced, run.invoices_pushed, run.payments_pulled + run.payments_pushed,
                    run.failed)
    shown = tuple(int(c.value.text().replace(",", "")) for c in
                  (dash.card_contacts, dash.card_invoices, dash.card_payments, dash.card_failed))
    assert shown == expected
    assert dash.recent.topLevelItemCount() >= 1
    assert dash.recent.topLevelItem(0).text(1) == f"{run.synced:,}"
    assert dash.chart.points[-1].synced == run.synced
    assert dash.chart.caption == "the last run"  # one run so far: not "last 1 runs"
    # the status bar updates in the turn after the sync's end (MainWindow._due_later)
    qtbot.waitUntil(lambda: window.last_sync_label.text() == "Last sync: just now", timeout=5_000)


def test_retry_a_failed_item_after_fixing_its_cause(demo_app: Any, qtbot: Any) -> None:
    from xsync_desktop.store.models import Mapping

    services, window = demo_app
    # Break one mapping so the invoices using it fail with a message naming the mapping.
    with services.write() as s:
        m = s.scalars(select(Mapping).where(Mapping.kind == "charge_type")).first()
        good_code, m.account_code = m.account_code, "999999"
        key = m.key
    result = _sync_and_wait(window, qtbot)
    with services.session() as s:
        failed = s.scalars(select(SyncItem).where(SyncItem.run_id == result.run_id,
                                                  SyncItem.outcome == "failed")).all()
    assert failed, result.message
    runs = window.view("runs")
    window.show_view("runs")
    runs.runs_model.reload()
    runs.show_run(result.run_id)
    runs.set_filter(outcome="failed")
    qtbot.waitUntil(lambda: runs.items_model.rowCount() == len(failed))
    runs.items_table.selectRow(0)
    assert runs.retry_button.isEnabled()
    item_id = runs.selected_item().id
    # Fix the cause, then retry just that item.
    with services.write() as s:
        s.scalars(select(Mapping).where(Mapping.kind == "charge_type", Mapping.key == key)).one().account_code = good_code
    with qtbot.waitSignal(window.sync.finished, timeout=60_000) as sig:
        assert runs.retry_selected()
    retry = sig.args[0]
    assert retry.outcome == "succeeded", retry.message
    with services.session() as s:
        assert s.get(SyncItem, item_id).superseded_by_id is not None
    qtbot.waitUntil(lambda: runs.runs_model.row_at(0) is not None and runs.runs_model.row_at(0).id == retry.run_id,
                    timeout=5000)


def test_cancel_a_running_sync(demo_app: Any, qtbot: Any) -> None:
    services, window = demo_app
    _slow_xero(services)
    dash = window.view("dashboard")
    with qtbot.waitSignal(window.sync.progress, timeout=30_000):
        dash.sync_now()
    assert dash.cancel_button.isEnabled()
    with qtbot.waitSignal(window.sync.finished, timeout=60_000) as sig:
        dash.cancel_sync()
    assert sig.args[0].outcome == "cancelled"
    assert dash.sync_button.isEnabled()


def test_closing_during_a_sync_asks_then_cancels_and_waits(demo_app: Any, qtbot: Any) -> None:
    services, window = demo_app
    asked: list[bool] = []

    def confirm() -> bool:
        asked.append(True)
        return True

    window.confirm_close = confirm
    _slow_xero(services)
    with qtbot.waitSignal(window.sync.progress, timeout=30_000):
        window.sync.sync_now()
    window.close()
    assert asked == [True]
    assert window.sync.wait(1)  # close() already waited for the worker thread
    qtbot.waitUntil(lambda: not window.sync.running)
    with services.session() as s:
        assert not s.scalars(select(SyncRun).where(SyncRun.outcome == "running")).all()


def test_offline_app_opens_and_reads_the_last_log(demo_app: Any, ui_app: Any, ui_sandbox: Any, qtbot: Any) -> None:
    services, window = demo_app
    result = _sync_and_wait(window, qtbot)
    ui_sandbox.stop()  # Xero is gone
    offline = _sync_and_wait(window, qtbot)
    assert offline.outcome == "failed"
    assert "cannot be reached" in offline.message or "not responding" in offline.message
    dash = window.view("dashboard")
    qtbot.waitUntil(lambda: dash.banner.isVisible())
    assert offline.message in dash.banner.text()
    window.close()
    # A fresh start with Xero still gone: the history and the last log are all there.
    _services2, again = ui_app()
    again.show_view("runs")
    runs = again.view("runs")
    assert runs.runs_model.row_at(0).id == offline.run_id
    runs.show_run(result.run_id)
    qtbot.waitUntil(lambda: runs.items_model.rowCount() > 0)
    runs.set_filter(entity="invoice")
    qtbot.waitUntil(lambda: runs.items_model.rowCount() > 0 and
                    {r.entity for r in runs.items_model.rows()} == {"invoice"})
    assert again.connection_label.text().startswith("Xero: ")
