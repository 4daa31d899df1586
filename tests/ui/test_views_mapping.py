"""Mapping view: choices from the cached chart, red reasons; Save keeps the valid choices and
leaves an invalid one on screen, unsaved and red (issue 14 point 8)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete, select

from xsync_desktop.store.models import Invoice, Mapping, SyncItem
from xsync_desktop.ui.qt import Qt, QtWidgets
from xsync_desktop.ui.views.mapping_models import MappingTableModel
from xsync_desktop.ui.views.mapping_view import MappingView

from .test_views_support import OFFSCREEN_NOISE, choose_cell, edit_cell, offline_services, open_view

pytestmark = OFFSCREEN_NOISE


@pytest.fixture
def services(qtbot: Any, profile: Any, store: Any) -> Iterator[Any]:
    with offline_services(profile, store) as svc:
        yield svc


def _saved(services: Any) -> dict[tuple[str, str], Mapping]:
    with services.session() as s:
        return {(m.kind, m.key): m for m in s.scalars(select(Mapping))}


def _view(qtbot: Any, services: Any) -> MappingView:
    view = MappingView(services)
    qtbot.addWidget(view)
    view.resize(1100, 600)
    with qtbot.waitSignal(view.blocked_counted, timeout=20_000):  # counted in a worker thread
        view.show()  # shown for the first time: it loads itself
    return view


def test_first_time_setup_suggests_and_lists_blocking_keys(qtbot: Any, services: Any) -> None:
    view = _view(qtbot, services)
    # Nothing saved yet: every used charge type holds items back, and it says how many.
    assert "Held back until mapped" in view.blocked_label.text()
    rent = view.draft("charge_type", "rent")
    assert rent.blocked > 0
    assert f"\u2018Rent\u2019: {rent.blocked} items" in view.blocked_label.text()  # the product's words
    # Suggestions came from account names and are not saved until the person saves.
    assert rent.account_code == "210" and rent.suggested
    assert view.draft("charge_type", "insurance").account_code == "220"
    assert _saved(services) == {}
    assert view.save_button.isEnabled()


def test_account_drop_down_offers_only_active_revenue_accounts(qtbot: Any, services: Any) -> None:
    view = _view(qtbot, services)
    model = view.models["charge_type"]
    row = model.row_of("rent")
    texts = [t for t, _k in model.choices_for(model.index(row, model.column_of("account")))]
    codes = {t.split(" ")[0] for t in texts[1:]}
    assert codes == {"200", "210", "220", "230", "260", "270"}  # not 250 (archived), 090 (bank), 400 (expense)
    # Tax types offered are those Xero allows on a revenue account.
    taxes = {k for _t, k in model.choices_for(model.index(row, model.column_of("tax")))}
    assert "OUTPUT2" in taxes and "INPUT2" not in taxes
    pay = view.models["payment_method"]
    offered = {k for _t, k in pay.choices_for(pay.index(0, pay.column_of("account")))}
    assert offered == {"", "090", "091"}  # the bank and the clearing account that takes payments


@OFFSCREEN_NOISE  # typing opens the completer popup; see test_views_support
def test_invalid_choice_is_red_with_reason_and_is_not_saved(qtbot: Any, services: Any, monkeypatch: Any) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "warning", lambda *a, **k: warnings.append(a[2]))
    view = _view(qtbot, services)
    table = view.tables["charge_type"]
    model: MappingTableModel = view.models["charge_type"]
    row = model.row_of("merchandise")
    # The archived merchandise account, typed by hand (it is not in the drop-down).
    edit_cell(qtbot, table, row, model.column_of("account"), "250")
    draft = view.draft("charge_type", "merchandise")
    assert draft.account_code == "250"
    assert draft.problem == "account_archived"
    status = model.index(row, model.column_of("status"))
    assert "archived" in status.data()
    assert status.data(Qt.ItemDataRole.ForegroundRole) is not None  # red
    assert "archived" in status.data(Qt.ItemDataRole.ToolTipRole)

    qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
    saved = _saved(services)
    assert ("charge_type", "merchandise") not in saved  # the invalid choice is not saved...
    assert saved[("charge_type", "rent")].account_code == "210"  # ...the valid suggestions are
    assert not warnings  # said in the view, no box to dismiss
    message = view.message_label.text()
    assert "Not saved (1, in red)" in message and "archived" in message
    assert "Map it in Mapping" not in message  # we are in Mapping
    # ...and it stays on screen, unsaved and red, to fix.
    draft = view.draft("charge_type", "merchandise")
    assert draft.account_code == "250" and draft.dirty and draft.problem == "account_archived"
    row = model.row_of("merchandise")
    assert model.index(row, model.column_of("status")).data(Qt.ItemDataRole.ForegroundRole) is not None

    # Pick a valid account from the drop-down: now it saves too.
    choose_cell(table, row, model.column_of("account"), "200")
    assert view.draft("charge_type", "merchandise").problem is None
    qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
    saved = _saved(services)
    assert saved[("charge_type", "merchandise")].account_code == "200"
    assert saved[("charge_type", "rent")].account_code == "210"
    assert saved[("payment_method", "card")].account_code == "091"
    assert "Saved" in view.message_label.text()
    # Saved mappings no longer hold anything back (once the background count is in).
    qtbot.waitUntil(lambda: not view.counting)
    assert view.draft("charge_type", "rent").blocked == 0
    assert not view.blocked_label.isVisible()


@OFFSCREEN_NOISE
def test_tax_type_not_valid_for_account_is_refused(qtbot: Any, services: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(QtWidgets.QMessageBox, "warning", lambda *a, **k: None)
    view = _view(qtbot, services)
    table = view.tables["charge_type"]
    model = view.models["charge_type"]
    row = model.row_of("rent")
    edit_cell(qtbot, table, row, model.column_of("tax"), "INPUT2")
    draft = view.draft("charge_type", "rent")
    assert draft.tax_type == "INPUT2" and draft.problem == "tax_invalid"
    assert view.save()  # the other (valid) suggestions
    saved = _saved(services)
    assert ("charge_type", "rent") not in saved and ("charge_type", "insurance") in saved
    assert view.draft("charge_type", "rent").tax_type == "INPUT2"  # still on screen, unsaved
    assert view.draft("charge_type", "rent").problem == "tax_invalid"


def test_mapping_models_pass_qtmodeltester(qtbot: Any, qtmodeltester: Any, services: Any) -> None:
    view = _view(qtbot, services)
    for model in view.models.values():
        qtmodeltester.check(model, force_py=True)


def test_mapping_an_unmapped_charge_type_makes_its_failed_items_succeed_on_retry(
    qtbot: Any, demo_app: tuple[Any, Any]
) -> None:
    services, window = demo_app
    tenant_id, _ = services.tenant()
    with services.write() as s:  # the operator never mapped "insurance"
        s.execute(delete(Mapping).where(Mapping.kind == "charge_type", Mapping.key == "insurance"))
    first = services.make_engine().run()
    with services.session() as s:
        failed = list(s.scalars(select(SyncItem).where(SyncItem.run_id == first.run_id,
                                                       SyncItem.outcome == "failed")))
    invoices = [i for i in failed if i.entity == "invoice"]
    assert invoices and all("Charge type 'Insurance'" in (i.message or "") for i in invoices)
    assert all(i.entity in ("invoice", "payment") for i in failed)  # payments wait for their invoices
    failed_ids = {i.local_id for i in invoices}

    view: MappingView = open_view(qtbot, window, "mapping", "blocked_counted")
    assert "\u2018Insurance\u2019" in view.blocked_label.text()
    assert view.retry_button.isVisible() and str(len(failed)) in view.retry_button.text()
    model = view.models["charge_type"]
    row = model.row_of("insurance")
    assert view.draft("charge_type", "insurance").problem == "unmapped"
    choose_cell(view.tables["charge_type"], row, model.column_of("account"), "220")
    qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
    assert _saved(services)[("charge_type", "insurance")].account_code == "220"

    with qtbot.waitSignal(view.finished, timeout=60_000) as blocker:
        qtbot.mouseClick(view.retry_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["retried"]
    with services.session() as s:
        retried = list(s.scalars(select(SyncItem).where(SyncItem.retry_of_id.in_([i.id for i in failed]))))
        assert {(i.entity, i.local_id) for i in retried if i.outcome == "succeeded"} == {
            (i.entity, i.local_id) for i in failed}
        numbers = {inv.number for inv in s.scalars(select(Invoice).where(Invoice.id.in_(failed_ids)))}
    assert numbers <= _xero_invoice_numbers(services, tenant_id)
    assert not view.retry_button.isVisible()


def _xero_invoice_numbers(services: Any, tenant_id: str) -> set[str]:
    from xsync_desktop.sandbox.admin_client import SandboxAdmin

    with SandboxAdmin(services.xero.sandbox_base, services.xero.sandbox_admin_secret) as admin:
        return {o.get("InvoiceNumber") for o in admin.objects(tenant_id, "Invoices")}
