"""Checklist view on the real sandbox: a month that fails, passes after the fix, is signed
off; override sign-off; CSV and PDF exports."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from xsync_desktop.store.models import ChecklistSignoff, Invoice, Mapping, SyncItem
from xsync_desktop.ui.qt import Qt, QtWidgets
from xsync_desktop.ui.views.checklist_view import ChecklistView, months_to_offer

from .test_views_support import OFFSCREEN_NOISE, open_view

pytestmark = OFFSCREEN_NOISE


def _view(qtbot: Any, window: Any, month: str) -> ChecklistView:
    view: ChecklistView = open_view(qtbot, window, "checklist")
    if view.month != month:
        index = view.month_box.findData(month)
        assert index >= 0, f"{month} is not offered"
        with qtbot.waitSignal(view.loaded, timeout=20_000):
            view.month_box.setCurrentIndex(index)  # as picked in the month list
    return view


def _recheck(qtbot: Any, view: ChecklistView) -> None:
    with qtbot.waitSignal(view.loaded, timeout=20_000):
        qtbot.mouseClick(view.recheck_button, Qt.MouseButton.LeftButton)


def _signoffs(services: Any) -> list[ChecklistSignoff]:
    with services.session() as s:
        return list(s.scalars(select(ChecklistSignoff).order_by(ChecklistSignoff.id)))


def _break_insurance_and_sync(services: Any) -> tuple[int, str, set[str]]:
    """Unmap a charge type, sync: its invoices fail. Returns (run id, the latest *ended* month with
    a failed invoice, its failed invoice numbers); a month still running cannot pass its payments check."""
    with services.write() as s:
        s.execute(delete(Mapping).where(Mapping.kind == "charge_type", Mapping.key == "insurance"))
    run = services.make_engine().run()
    with services.session() as s:
        failed = list(s.scalars(select(Invoice).join(SyncItem, SyncItem.local_id == Invoice.id).where(
            SyncItem.run_id == run.run_id, SyncItem.entity == "invoice", SyncItem.outcome == "failed")))
        this_month = date.today().strftime("%Y-%m")
        month = max(m for inv in failed if (m := inv.issue_date.strftime("%Y-%m")) < this_month)
        numbers = {inv.number for inv in failed if inv.issue_date.strftime("%Y-%m") == month}
    return run.run_id, month, numbers


def test_month_fails_then_passes_after_the_fix_then_is_signed_off(
    qtbot: Any, demo_app: tuple[Any, Any], tmp_path: Path, monkeypatch: Any
) -> None:
    services, window = demo_app
    run_id, month, failing_numbers = _break_insurance_and_sync(services)
    view = _view(qtbot, window, month)
    checks = {c.key: c for c in view.checklist.checks}
    assert not checks["failed_resolved"].passed and not checks["invoices_in_xero"].passed
    assert "fail" in view.summary_label.text()
    # A click on a check shows the records behind it.
    assert view.select_check("failed_resolved")
    shown = {r.label for r in view.record_model.rows()}
    assert {f"Invoice {n}" for n in failing_numbers} <= shown
    assert view.record_model.rowCount() == checks["failed_resolved"].count

    # Failing: no sign-off without an override reason.
    assert view.sign_button.text() == "Sign off with override" and view.override_edit.isEnabled()
    qtbot.mouseClick(view.sign_button, Qt.MouseButton.LeftButton)
    assert "override reason" in view.message_label.text()
    assert _signoffs(services) == []

    # The fix: map the charge type again and retry the failed items.
    with services.write() as s:
        s.add(Mapping(kind="charge_type", key="insurance", account_code="220", tax_type=None))
    assert services.make_engine().retry_failed(run_id).outcome == "succeeded"
    _recheck(qtbot, view)
    checks = {c.key: c for c in view.checklist.checks}
    assert [k for k, c in checks.items() if not c.passed] == ["xero_agrees"]  # never compared yet
    assert "not been compared" in checks["xero_agrees"].records[0].reason
    # Compare with Xero runs in the background like a sync, then the checks are recomputed.
    qtbot.mouseClick(view.compare_button, Qt.MouseButton.LeftButton)
    assert "Comparing" in view.message_label.text() and not view.compare_button.isEnabled()
    qtbot.waitUntil(lambda: view.compare_button.isEnabled() and not view.loading, timeout=120_000)
    assert "Xero agrees with the ledger" in view.message_label.text()
    assert view.checklist.passed, [(c.key, c.records[:2]) for c in view.checklist.checks if not c.passed]
    assert "All 6 checks pass" in view.summary_label.text()
    assert not view.override_edit.isEnabled()

    view.name_edit.setText("Ana Controller")
    view.note_edit.setText("Bank reconciled too")
    with qtbot.waitSignal(view.finished) as signed:
        qtbot.mouseClick(view.sign_button, Qt.MouseButton.LeftButton)
    assert signed.args == ["signed", month]
    (row,) = _signoffs(services)
    assert (row.month, row.signed_by, row.note, row.override_reason) == (month, "Ana Controller",
                                                                           "Bank reconciled too", None)
    assert all(v["passed"] for v in row.results.values())
    assert "Ana Controller" in view.signoff_label.text()

    # Export the signed checklist to CSV and PDF (the save dialog answered by the test).
    for kind in ("csv", "pdf"):
        target = tmp_path / f"out dir ü/checklist-{month}.{kind}"
        monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", lambda *a, t=target, **k: (str(t), ""))
        button = view.csv_button if kind == "csv" else view.pdf_button
        qtbot.waitUntil(button.isEnabled, timeout=20_000)  # a refresh after the compare may still run
        with qtbot.waitSignal(view.finished, timeout=20_000) as exported:
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert exported.args == ["exported", str(target)]
    csv_text = (tmp_path / f"out dir ü/checklist-{month}.csv").read_text(encoding="utf-8-sig")
    assert "failed_resolved" in csv_text and "Ana Controller" in csv_text
    pdf = (tmp_path / f"out dir ü/checklist-{month}.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000


def test_failing_month_signed_off_with_an_override_reason(
    qtbot: Any, demo_app: tuple[Any, Any], monkeypatch: Any
) -> None:
    services, window = demo_app
    _run_id, month, _numbers = _break_insurance_and_sync(services)
    view = _view(qtbot, window, month)
    assert not view.checklist.passed
    monkeypatch.setattr(QtWidgets.QMessageBox, "question",
                        lambda *a, **k: QtWidgets.QMessageBox.StandardButton.Yes)
    view.name_edit.setText("Ana Controller")
    view.override_edit.setText("Insurance invoices go in by hand this month")
    qtbot.mouseClick(view.sign_button, Qt.MouseButton.LeftButton)
    (row,) = _signoffs(services)
    assert row.override_reason == "Insurance invoices go in by hand this month"
    assert not row.results["failed_resolved"]["passed"]
    assert "Override" in view.signoff_label.text()


def test_checklist_models_pass_qtmodeltester(qtbot: Any, qtmodeltester: Any, demo_app: tuple[Any, Any]) -> None:
    services, window = demo_app
    _run_id, month, _numbers = _break_insurance_and_sync(services)
    view = _view(qtbot, window, month)
    view.select_check("failed_resolved")
    qtmodeltester.check(view.check_model, force_py=True)
    qtmodeltester.check(view.record_model, force_py=True)


def test_months_offered_run_from_the_first_invoice_to_today() -> None:
    assert months_to_offer(date(2024, 11, 5), date(2025, 2, 1)) == ["2025-02", "2025-01", "2024-12", "2024-11"]
    assert months_to_offer(None, date(2025, 2, 1)) == ["2025-02"]
