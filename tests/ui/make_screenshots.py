"""Regenerate the README screenshots from the real app, offscreen, after a demo sync.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.ui.make_screenshots [--out docs/screenshots]

A temporary demo profile, the in-process sandbox, the real PKCE sign-in, a
demo ledger, one sync with a broken mapping (so the log shows failures and
Xero's messages), a retry after fixing it, then QWidget.grab() of the window.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[2] / "docs" / "screenshots"))
    parser.add_argument("--invoices", type=int, default=240)
    args = parser.parse_args(argv)


    from tests.fixtures.ui import start_ui_sandbox
    from xsync_desktop.composition.demo import seed_demo_ledger
    from xsync_desktop.composition.gui import build_app
    from xsync_desktop.profile import Profile
    from xsync_desktop.sandbox.admin_client import SandboxAdmin
    from xsync_desktop.ui import demo
    from xsync_desktop.ui.qt import QtCore, QtGui, QtWidgets

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    app.setApplicationName("xsync desktop")
    font = app.font()
    font.setPointSizeF(10)
    app.setFont(font)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        profile = Profile(Path(tmp) / "demo").ensure()
        sandbox = start_ui_sandbox(profile)
        services, window = build_app(profile, demo=True, sandbox=sandbox, show_dialogs=False)
        try:
            window.resize(1180, 680)
            window.show()
            demo.ensure_demo_ledger(services, seed_demo_ledger, invoices=args.invoices)
            tenant_id, _ = demo.sign_in(services)
            demo.accept_suggested_mappings(services, tenant_id)
            services.notify("connection")

            def sync(call: object) -> object:
                loop = QtCore.QEventLoop()
                box: list[object] = []
                window.sync.finished.connect(lambda r: (box.append(r), loop.quit()))
                window.sync.failed.connect(lambda m: (box.append(m), loop.quit()))
                call()  # type: ignore[operator]
                loop.exec()
                window.sync.finished.disconnect()
                window.sync.failed.disconnect()
                return box[0]

            # A believable history: the ledger goes to Xero in steps (sync start date moved back),
            # Xero-side payments come back, and a charge type mapped to a missing account fails
            # until it is fixed and retried. The last run still carries a few failures to show.
            today = date.today()
            admin = SandboxAdmin.of(sandbox)
            services.set_settings(sync_start_date=(today - timedelta(days=60)).isoformat())
            sync(lambda: window.sync.sync_now("manual"))
            _pay_in_xero(admin, tenant_id, 9)
            services.set_settings(sync_start_date=(today - timedelta(days=150)).isoformat())
            sync(lambda: window.sync.sync_now("scheduled"))
            key, good = _break_rare_mapping(services)
            services.set_settings(sync_start_date=(today - timedelta(days=240)).isoformat())
            broken = sync(lambda: window.sync.sync_now("scheduled"))
            _fix_mapping(services, key, good)
            sync(lambda: window.sync.retry_failed(broken.run_id))  # type: ignore[attr-defined]
            _pay_in_xero(admin, tenant_id, 14)
            _break_rare_mapping(services)
            services.set_settings(sync_start_date=None)
            last = sync(lambda: window.sync.sync_now("manual"))

            window.show_view("dashboard")
            _settle(app)
            window.grab().save(str(out / "dashboard.png"))

            window.show_view("runs")
            runs = window.view("runs")
            runs.runs_model.reload()
            runs.show_run(last.run_id)  # type: ignore[attr-defined]
            _settle(app, lambda: runs.items_model.rowCount() > 0)
            while runs.items_model.canFetchMore():
                runs.items_model.fetchMore()
                _settle(app, lambda: not runs.items_model._loading)
            rows = runs.items_model.rows()
            failed = [i for i, r in enumerate(rows) if r.outcome == "failed" and r.xero_messages] or \
                [i for i, r in enumerate(rows) if r.outcome == "failed"]
            runs.items_table.selectRow(failed[0])
            runs.items_table.scrollTo(runs.items_model.index(max(0, failed[0] - 3), 0),
                                      QtWidgets.QAbstractItemView.ScrollHint.PositionAtTop)
            _settle(app)
            window.grab().save(str(out / "run-log.png"))
            print(f"wrote {out / 'dashboard.png'} and {out / 'run-log.png'}")
        finally:
            window.confirm_close = lambda: True
            window.close()
            services.close()
            services.store.close()
            sandbox.stop()
    del QtGui
    return 0


def _break_rare_mapping(services: Any) -> tuple[str, str | None]:
    """Point the least used charge type at an account Xero does not have."""
    from sqlalchemy import func, select

    from xsync_desktop.store.models import InvoiceLine, Mapping

    with services.write() as s:
        counts = dict(s.execute(select(InvoiceLine.charge_type, func.count()).group_by(InvoiceLine.charge_type)).all())
        mappings = s.scalars(select(Mapping).where(Mapping.kind == "charge_type")).all()
        m = min((m for m in mappings if counts.get(m.key)), key=lambda m: counts[m.key])
        good = m.account_code
        m.account_code = "499"
        return m.key, good


def _fix_mapping(services: Any, key: str, code: str | None) -> None:
    from sqlalchemy import select

    from xsync_desktop.store.models import Mapping

    with services.write() as s:
        s.scalars(select(Mapping).where(Mapping.kind == "charge_type", Mapping.key == key)).one().account_code = code


def _pay_in_xero(admin: Any, tenant_id: str, n: int) -> None:
    """A bookkeeper records payments in Xero; the next sync pulls them into the ledger."""
    open_invoices = [i for i in admin.objects(tenant_id, "Invoices")
                     if i.get("Status") == "AUTHORISED" and float(i.get("AmountDue") or 0) > 0]
    for inv in open_invoices[:n]:
        admin.create_payment(tenant_id, inv["InvoiceID"], str(inv["AmountDue"]), date.today().isoformat())


def _settle(app: object, until: object = None, timeout: float = 10.0) -> None:
    import time

    from xsync_desktop.ui.qt import QtCore

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 50)  # type: ignore[attr-defined]
        if until is None or until():  # type: ignore[operator]
            if until is None:
                time.sleep(0.4)
                app.processEvents()  # type: ignore[attr-defined]
            return
        time.sleep(0.02)


if __name__ == "__main__":
    sys.exit(main())
