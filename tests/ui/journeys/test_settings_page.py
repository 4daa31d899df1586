"""Issue 14 point 12: the sync settings have a page in the sidebar (Ctrl+8). A person sets new
invoices to DRAFT there and the next sync creates the operator's new invoice as a draft in
Xero; a refused value is named and nothing is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from xsync_desktop.sandbox.admin_client import SandboxAdmin
from xsync_desktop.store.models import AppSetting
from xsync_desktop.sync.sync_settings import BY_KEY
from xsync_desktop.ui.qt import Qt, QtWidgets

from .importing import one_invoice_export, open_import_with, press_import

NUMBER = "INV-900201"


def _stored(j: Any) -> dict[str, str | None]:
    with j.services.session() as s:
        return {row.key: row.value for row in s.scalars(select(AppSetting))}


def test_draft_chosen_on_the_settings_page_is_how_the_next_sync_creates_invoices(
        journey: Any, monkeypatch: Any, tmp_path: Path) -> None:
    j = journey()
    view = j.shortcut(8)
    assert view.objectName() == "settingsView"
    assert view.invoice_status.currentData() == "AUTHORISED" and not view.save_button.isEnabled()
    for key in BY_KEY:  # each setting says what changing it does
        assert view.findChild(QtWidgets.QLabel, f"explains_{key}").text() == BY_KEY[key].explains

    # A refused value: nothing is written, not even the valid choice made beside it.
    before = _stored(j)
    view.invoice_status.setCurrentIndex(view.invoice_status.findData("DRAFT"))  # picked in the list
    view.schedule.setValue(2)
    j.qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
    assert "Not saved" in view.message_label.text() and "schedule_minutes" in view.message_label.text()
    assert _stored(j) == before

    view.schedule.setValue(0)
    with j.qtbot.waitSignal(view.saved, timeout=5_000):
        j.qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
    assert "new invoices in xero now DRAFT" in view.message_label.text()
    assert _stored(j)["invoice_status"] == "DRAFT"

    dialog = open_import_with(j, monkeypatch, one_invoice_export(j, tmp_path / "export", NUMBER, "authorised"))
    assert press_import(j, monkeypatch, dialog).committed
    dialog.close()
    j.sync_now()
    tenant_id, _ = j.services.tenant()
    with SandboxAdmin.of(j.sandbox) as admin:
        created = [o for o in admin.objects(tenant_id, "Invoices") if o.get("InvoiceNumber") == NUMBER]
    assert [o["Status"] for o in created] == ["DRAFT"]

    # The page shows what is saved when it is shown again.
    j.shortcut(1)
    view = j.shortcut(8)
    assert view.invoice_status.currentData() == "DRAFT" and not view.save_button.isEnabled()
