"""Records view on the real sandbox: statuses, filter and search, open in Xero, change log."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import delete, select

from xsync_desktop.sandbox.admin_client import SandboxAdmin
from xsync_desktop.store.models import Invoice, Link, Mapping
from xsync_desktop.ui.qt import QtGui
from xsync_desktop.ui.views.records_view import RecordsView

from .test_views_support import OFFSCREEN_NOISE, open_view

pytestmark = OFFSCREEN_NOISE


def _view(qtbot: Any, window: Any) -> RecordsView:
    return open_view(qtbot, window, "records")


def _show(qtbot: Any, view: RecordsView, kind: str) -> None:
    if view.kind == kind:
        return
    with qtbot.waitSignal(view.loaded, timeout=20_000):
        view.kind_box.setCurrentIndex(view.kind_box.findData(kind))


def test_statuses_filter_search_and_open_in_xero(
    qtbot: Any, demo_app: tuple[Any, Any], monkeypatch: Any, qtmodeltester: Any
) -> None:
    services, window = demo_app
    with services.write() as s:
        s.execute(delete(Mapping).where(Mapping.kind == "charge_type", Mapping.key == "insurance"))
    services.make_engine().run()
    view = _view(qtbot, window)
    _show(qtbot, view, "invoice")
    statuses = {r.status for r in view.model.rows()}
    assert {"linked", "failed"} <= statuses
    failed = [r for r in view.model.rows() if r.status == "failed"]
    assert all("Charge type 'Insurance'" in r.status_detail for r in failed)

    view.status_box.setCurrentIndex(view.status_box.findData("failed"))
    assert view.proxy.rowCount() == len(failed)
    assert f"{len(failed)} of {view.model.rowCount()}" in view.count_label.text()
    target = failed[0].label
    qtbot.keyClicks(view.search, target)
    assert view.proxy.rowCount() == 1 and view.proxy.row_at(0).label == target
    assert view.select_row(target)
    assert not view.open_button.isEnabled()  # a failed invoice is not in Xero

    view.search.clear()
    view.status_box.setCurrentIndex(view.status_box.findData("linked"))
    linked = view.proxy.row_at(0)
    assert view.select_row(linked.label)
    assert view.open_button.isEnabled()
    opened: list[str] = []
    monkeypatch.setattr(QtGui.QDesktopServices, "openUrl", lambda url: opened.append(url.toString()) or True)
    view.open_button.click()
    assert opened and linked.xero_id in opened[0]

    _show(qtbot, view, "customer")
    assert view.model.rowCount() > 0 and {r.kind for r in view.model.rows()} == {"customer"}
    qtmodeltester.check(view.model, force_py=True)
    qtmodeltester.check(view.proxy, force_py=True)


def test_change_log_lists_write_backs_from_xero(qtbot: Any, demo_app: tuple[Any, Any]) -> None:
    services, window = demo_app
    services.make_engine().run()
    tenant_id, _ = services.tenant()
    with services.session() as s:
        inv, xero_id = s.execute(
            select(Invoice, Link.xero_id).join(Link, (Link.local_id == Invoice.id) & (Link.entity == "invoice"))
            .where(Invoice.amount_paid == 0, Invoice.status == "authorised")).first()
    with SandboxAdmin(services.xero.sandbox_base, services.xero.sandbox_admin_secret) as admin:
        admin.create_payment(tenant_id, xero_id, "10.00", date.today().isoformat(), Reference="paid at desk")
    services.make_engine().run()
    view = _view(qtbot, window)
    rows = view.change_model.rows()
    mine = [c for c in rows if c.record == f"Invoice {inv.number}"]
    assert mine and any(c.field == "amount_paid" and c.new_value == "10.00" for c in mine)
    assert all(c.reason for c in mine)
    view.change_search.setText(inv.number)
    assert view.change_proxy.rowCount() == len(mine)
