"""Issue 14 point 2: "Keep the ledger's value (re-push)" on a total changed in Xero, while
Xero's period lock date refuses the update: the exception stays open and says why, where
the decision was made; once the lock is lifted the same button resolves it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from xsync_desktop.sandbox.admin_client import SandboxAdmin
from xsync_desktop.store.models import Invoice, Link, ReconException
from xsync_desktop.ui.qt import Qt, QtWidgets


def _yes(monkeypatch: Any) -> None:
    monkeypatch.setattr(QtWidgets.QMessageBox, "question",
                        lambda *a, **k: QtWidgets.QMessageBox.StandardButton.Yes)


def test_failed_repush_keeps_the_exception_open_until_the_push_succeeds(journey: Any, monkeypatch: Any) -> None:
    j = journey()
    services = j.services
    with services.session() as s:
        exc = s.scalars(select(ReconException).where(ReconException.kind == "amounts_changed",
                                                     ReconException.status == "open")).one()
        inv = s.get(Invoice, exc.local_id)
        xero_id = s.scalar(select(Link.xero_id).where(Link.entity == "invoice", Link.local_id == inv.id))
        ledger_total, issue = inv.total, inv.issue_date
    tenant_id, _ = services.tenant()
    admin = SandboxAdmin.of(j.sandbox)
    admin.organisation(tenant_id, PeriodLockDate=issue.isoformat())  # the bookkeeper closed the period

    def xero_total() -> Decimal:
        return Decimal(str(next(o for o in admin.objects(tenant_id, "Invoices") if o["InvoiceID"] == xero_id)["Total"]))

    before = xero_total()
    assert before != ledger_total

    view = j.show("exceptions")
    j.qtbot.waitUntil(lambda: view.table.model().rowCount() == j.facts.open_exceptions, timeout=10_000)
    assert view.select_exception(exc.id)  # as clicked in the list
    view.who_edit.setText("Mere Bookkeeper")
    _yes(monkeypatch)
    with j.qtbot.waitSignal(view.failed, timeout=30_000):
        j.qtbot.mouseClick(view.action_buttons["keep_ledger"], Qt.MouseButton.LeftButton)
    shown = view.message_label.text()
    assert "re-push failed" in shown and "lock" in shown.lower(), shown
    with services.session() as s:
        assert s.get(ReconException, exc.id).status == "open"
    assert xero_total() == before  # Xero still has its own value
    assert view.select_exception(exc.id)  # still listed as open, with the reason
    assert "re-push failed" in view.history_label.text()

    admin.organisation(tenant_id, PeriodLockDate=None)  # the period is opened again
    assert view.select_exception(exc.id)
    with j.qtbot.waitSignal(view.resolved, timeout=30_000):
        j.qtbot.mouseClick(view.action_buttons["keep_ledger"], Qt.MouseButton.LeftButton)
    assert "done" in view.message_label.text()
    with services.session() as s:
        assert s.get(ReconException, exc.id).status == "resolved"
    assert xero_total() == ledger_total
    admin.close()
