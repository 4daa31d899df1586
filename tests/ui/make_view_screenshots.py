"""Regenerate the decision-view screenshots (mapping, exceptions, checklist) offscreen.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.ui.make_view_screenshots [--out docs/screenshots]

A temporary demo profile, the in-process sandbox, the real PKCE sign-in, a demo ledger
and a first sync; then a bookkeeper's day in Xero (a due date and a reference changed
on both sides, a total edited, a contact archived, a pushed payment deleted), a sync that
turns them into exceptions, and an unmapped charge type so the mapping view has something
to fix. Then QWidget.grab() of the main window on each view.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _settle(app: Any, until: Any = None, timeout: float = 20.0) -> None:
    from xsync_desktop.ui.qt import QtCore

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 50)
        if until is None or until():
            if until is None:
                time.sleep(0.3)
                app.processEvents()
            return
        time.sleep(0.02)


def _pull_only(services: Any, tenant_id: str) -> None:
    """Xero's edits seen by a pull before the ledger's own edits are pushed (both sides changed)."""
    from xsync_desktop.store.models import SyncRun
    from xsync_desktop.store.types import utcnow
    from xsync_desktop.sync.context import RunContext
    from xsync_desktop.sync.pull import pull_and_reconcile

    client = services.make_client(tenant_id)
    with services.store.sessions() as session:
        run = SyncRun(tenant_id=tenant_id, trigger="scheduled", outcome="running", started_at=utcnow())
        session.add(run)
        session.commit()
        pull_and_reconcile(RunContext(session, client, tenant_id, run))
        run.outcome, run.finished_at = "succeeded", utcnow()
        session.commit()
    client.close()


def _bookkeepers_day(services: Any, admin: Any, tenant_id: str) -> None:
    from sqlalchemy import select

    from xsync_desktop.store.models import Invoice, Link, Payment
    from xsync_desktop.store.types import utcnow

    with services.session() as s:
        linked = list(s.execute(
            select(Invoice, Link.xero_id).join(Link, (Link.local_id == Invoice.id) & (Link.entity == "invoice"))
            .where(Invoice.status == "authorised", Invoice.amount_paid == 0).order_by(Invoice.issue_date.desc())
        ).all())
        pay = s.execute(select(Payment, Link.xero_id).join(
            Link, (Link.local_id == Payment.id) & (Link.entity == "payment")).order_by(Payment.date.desc())).first()
    (due_inv, due_x), (ref_inv, ref_x), (tot_inv, tot_x) = linked[0], linked[1], linked[2]
    admin.edit_invoice(tenant_id, due_x, DueDate=(due_inv.due_date + timedelta(days=30)).isoformat())
    admin.edit_invoice(tenant_id, ref_x, Reference=f"{ref_inv.reference} (gate code 4410)")
    with services.write() as s:
        a = s.get(Invoice, due_inv.id)
        a.due_date, a.changed_at = due_inv.due_date + timedelta(days=7), utcnow()
        b = s.get(Invoice, ref_inv.id)
        b.reference, b.changed_at = f"{ref_inv.reference} - moved to larger unit", utcnow()
    _pull_only(services, tenant_id)
    admin.edit_invoice(tenant_id, tot_x, LineAmount=str(tot_inv.total + Decimal("25.00")))
    with services.session() as s:
        contact_x = s.scalar(select(Link.xero_id).where(Link.entity == "contact", Link.local_id == linked[4][0].customer_id))
    admin.archive_contact(tenant_id, contact_x)
    if pay is not None:
        admin.delete_payment(tenant_id, pay[1])


def _month_with_failures(services: Any, tenant_id: str) -> str | None:
    """The latest ended month with a failing check (a checklist with something to show)."""
    from xsync_desktop.sync.checklist import compute_checklist

    today = date.today()
    y, m = today.year, today.month
    with services.session() as s:
        for _ in range(12):
            y, m = (y, m - 1) if m > 1 else (y - 1, 12)
            month = f"{y:04d}-{m:02d}"
            if not compute_checklist(s, tenant_id, month).passed:
                return month
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[2] / "docs" / "screenshots"))
    parser.add_argument("--invoices", type=int, default=240)
    args = parser.parse_args(argv)

    from sqlalchemy import delete

    from tests.fixtures.ui import start_ui_sandbox
    from xsync_desktop.composition.demo import seed_demo_ledger
    from xsync_desktop.composition.gui import build_app
    from xsync_desktop.profile import Profile
    from xsync_desktop.sandbox.admin_client import SandboxAdmin
    from xsync_desktop.store.models import Mapping
    from xsync_desktop.ui import demo
    from xsync_desktop.ui.qt import QtWidgets
    from xsync_desktop.ui.views.checklist_view import default_month

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
            window.resize(1280, 780)
            window.show()
            demo.ensure_demo_ledger(services, seed_demo_ledger, invoices=args.invoices)
            tenant_id, _ = demo.sign_in(services)
            demo.accept_suggested_mappings(services, tenant_id)
            services.notify("connection")
            with services.write() as s:  # merchandise was never mapped: its invoices wait
                s.execute(delete(Mapping).where(Mapping.kind == "charge_type", Mapping.key == "merchandise"))
            services.make_engine().run()
            services.notify("runs")
            with SandboxAdmin.of(sandbox) as admin:
                _bookkeepers_day(services, admin, tenant_id)
            services.make_engine().run(trigger="scheduled")
            services.notify("runs")

            window.show_view("mapping")
            mapping = window.view("mapping")
            mapping.refresh()
            _settle(app, lambda: not mapping.counting)
            _settle(app)
            window.grab().save(str(out / "mapping.png"))

            window.show_view("exceptions")
            exceptions = window.view("exceptions")
            exceptions.refresh()
            _settle(app, lambda: not exceptions.loading)
            exceptions.table.selectRow(0)
            _settle(app)
            window.grab().save(str(out / "exceptions.png"))

            window.show_view("checklist")
            checklist = window.view("checklist")
            checklist.refresh()
            checklist.set_month(_month_with_failures(services, tenant_id) or default_month(date.today()))
            _settle(app, lambda: not checklist.loading and checklist.checklist is not None)
            _settle(app)
            window.grab().save(str(out / "checklist.png"))
            print(f"wrote {out / 'mapping.png'}, {out / 'exceptions.png'} and {out / 'checklist.png'}")
        finally:
            window.confirm_close = lambda: True
            window.close()
            services.close()
            services.store.close()
            sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
