"""Regenerate the README screenshots from the real app, offscreen, after a month of use.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.ui.make_screenshots [--out docs/screenshots]

The profile is the journey tests' month (tests/ui/journeys/conftest.py `build_month`): a
demo ledger, the real PKCE sign-in, a first sync with a charge type unmapped (its items
fail), the mapping fixed and one failed item retried, another skipped, the bookkeeper's
edits in Xero turned into open exceptions, last month signed off. The app is then started
on that profile as a person opens it, the bookkeeper records payments in Xero between two
more syncs, and each view is shown through the sidebar and grabbed with QWidget.grab():
dashboard, run log (a failed item selected), exceptions, mapping, checklist.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# "Resolving as" and the sign-off name default to the OS user: the bookkeeper's, not the build machine's.
os.environ["LOGNAME"] = "Mere Bookkeeper"


def _settle(app: Any, until: Any = None, timeout: float = 20.0) -> None:
    """Process events until `until()` holds and no view has a refresh pending, so the grab shows
    what a person would see once the view has loaded (a condition, not a fixed pause)."""
    from xsync_desktop.ui.qt import QtCore
    from xsync_desktop.ui.refresh import RefreshCoalescer

    def idle() -> bool:
        return not any(c.pending for w in app.topLevelWidgets() for c in w.findChildren(RefreshCoalescer))

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 50)
        if (until is None or until()) and idle():
            app.processEvents()  # the paint that the last change asked for
            return
        time.sleep(0.02)
    raise TimeoutError("the view did not finish loading")


def _sync(app: Any, window: Any) -> Any:
    """Sync now, as Ctrl+R does; returns the finished run's result."""
    box: list[Any] = []
    window.sync.finished.connect(box.append)
    window.sync_now()
    _settle(app, lambda: bool(box) and not window.sync.running, timeout=120)
    window.sync.finished.disconnect(box.append)
    return box[0]


def _pay_in_xero(services: Any, sandbox: Any, tenant_id: str, n: int) -> None:
    """A bookkeeper records part payments (20.00) in Xero on invoices with money owing whose
    total Xero and the ledger agree on; the next sync pulls them into the ledger."""
    from decimal import Decimal

    from sqlalchemy import select

    from xsync_desktop.sandbox.admin_client import SandboxAdmin
    from xsync_desktop.store.models import Invoice, Link

    with services.session() as s:
        totals = dict(s.execute(select(Link.xero_id, Invoice.total).join(
            Invoice, (Link.local_id == Invoice.id) & (Link.entity == "invoice"))).all())
    with SandboxAdmin.of(sandbox) as admin:
        owing = [i for i in admin.objects(tenant_id, "Invoices")
                 if i.get("Status") == "AUTHORISED" and Decimal(str(i.get("AmountDue") or 0)) > 0
                 and totals.get(i["InvoiceID"]) == Decimal(str(i.get("Total")))]
        for inv in owing[:n]:
            amount = min(Decimal("20.00"), Decimal(str(inv["AmountDue"])))
            admin.create_payment(tenant_id, inv["InvoiceID"], str(amount), date.today().isoformat())


def _show(app: Any, window: Any, key: str, loaded: Any = None) -> Any:
    window.show_view(key)  # the sidebar's entry, as clicked
    view = window.view(key)
    _settle(app, lambda: not getattr(view, "loading", False) and not getattr(view, "counting", False)
            and (loaded is None or loaded(view)))
    return view


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[2] / "docs" / "screenshots"))
    args = parser.parse_args(argv)

    from tests.fixtures.ui import close_app, start_ui_sandbox
    from tests.ui.journeys.conftest import build_month
    from xsync_desktop.activity import close_activity_log, open_activity_log
    from xsync_desktop.composition.gui import build_app
    from xsync_desktop.profile import Profile
    from xsync_desktop.ui.main_window import APP_NAME
    from xsync_desktop.ui.qt import QtWidgets

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    font = app.font()
    font.setPointSizeF(10)
    app.setFont(font)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "demo"
        facts = build_month(root)
        profile = Profile(root).ensure()
        sandbox = start_ui_sandbox(profile)
        activity_log = open_activity_log(profile.logs_dir)
        services, window = build_app(profile, demo=True, sandbox=sandbox, show_dialogs=False)
        services.xero.token_store.save(profile.profile_id, facts.grant)
        try:
            window.resize(1320, 780)  # wide enough for every view (the same size in each grab)
            window.show()
            tenant_id, _ = services.tenant()
            _show(app, window, "dashboard")
            _pay_in_xero(services, sandbox, tenant_id, 6)
            _sync(app, window)
            _pay_in_xero(services, sandbox, tenant_id, 2)
            last = _sync(app, window)

            _show(app, window, "dashboard")
            window.grab().save(str(out / "dashboard.png"))

            runs = _show(app, window, "runs")
            runs.show_run(facts.first_run_id)  # the month's first sync: failures, a retry, a skip
            _settle(app, lambda: runs.items_model.rowCount() > 0)
            rows = runs.items_model.rows()
            failed = [i for i, r in enumerate(rows) if r.outcome == "failed"] or [0]
            runs.items_table.selectRow(failed[0])
            runs.items_table.scrollTo(runs.items_model.index(max(0, failed[0] - 3), 0),
                                      QtWidgets.QAbstractItemView.ScrollHint.PositionAtTop)
            _settle(app)
            window.grab().save(str(out / "run-log.png"))

            exceptions = _show(app, window, "exceptions", lambda v: v.table.model().rowCount() > 0)
            exceptions.table.selectRow(0)
            _settle(app)
            window.grab().save(str(out / "exceptions.png"))

            _show(app, window, "mapping")
            window.grab().save(str(out / "mapping.png"))

            checklist = _show(app, window, "checklist", lambda v: v.checklist is not None)
            checklist.set_month(facts.signed_month)  # the month signed off, as picked in its list
            _settle(app, lambda: not checklist.loading and checklist.checklist is not None
                    and checklist.checklist.month == facts.signed_month)
            checklist.check_table.selectRow(next(
                (i for i, c in enumerate(checklist.checklist.checks) if not c.passed), 0))
            _settle(app)
            window.grab().save(str(out / "checklist.png"))
            print(f"wrote dashboard, run-log, exceptions, mapping and checklist to {out} (last run {last.run_id})")
        finally:
            close_app(services, window, sandbox)
            close_activity_log(activity_log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
