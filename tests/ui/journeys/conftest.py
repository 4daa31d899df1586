"""Journey tests: the real main window on a profile that has been through a month.

`month_profile` (once per module, for speed) builds that profile with the real engine
against the in-process sandbox, as it happens in an office: a demo ledger, the PKCE
sign-in, the suggested mapping; a first sync with one charge type unmapped (its invoices
fail), the mapping fixed and one failed item retried, another skipped with a reason; the
bookkeeper edits a total and archives a contact in Xero, and the next sync turns both into
open exceptions; last month is signed off. The sandbox is then stopped (its state saved
in the profile) and the profile's token copied out of the test keyring.

`journey` (per test) copies that profile, starts a sandbox on the copied state, starts the
app on it as ui/app.py builds it, and shows the window. `journey(online=False)` stops the
sandbox first: Xero is unreachable (connection refused), as on a PC that lost its network.
Tests then drive the window only as a person does (sidebar, Ctrl+1..8, buttons) and read
what is on screen.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

from tests.fixtures.ui import UI_DEMO_INVOICES, click_sidebar, close_app, start_ui_sandbox
from xsync_desktop.activity import close_activity_log, open_activity_log
from xsync_desktop.profile import Profile

SIGNED_BY = "Mere Bookkeeper"


@dataclass
class MonthFacts:
    """What the month left behind, for assertions (read from the database once)."""

    root: Path
    grant: Any  # the token store's StoredGrant for the profile
    first_run_id: int = 0
    failed_item_ids: list[int] = field(default_factory=list)
    retried_item_id: int = 0
    skipped_item_id: int = 0
    open_exceptions: int = 0
    signed_month: str = ""
    customers: int = 0
    last_run_id: int = 0


def _previous_month(today: date) -> str:
    y, m = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{y:04d}-{m:02d}"


def build_month(root: Path) -> MonthFacts:
    """The profile a bookkeeper has after a month (see the module docstring)."""
    from xsync_desktop.composition.demo import seed_demo_ledger
    from xsync_desktop.composition.gui import build_app
    from xsync_desktop.sandbox.admin_client import SandboxAdmin
    from xsync_desktop.store.models import Customer, Invoice, Link, Mapping, ReconException, SyncItem
    from xsync_desktop.sync.checklist import sign_off
    from xsync_desktop.ui import demo

    profile = Profile(root).ensure()
    sandbox = start_ui_sandbox(profile)
    activity_log = open_activity_log(profile.logs_dir)  # as the app opens it (ui/app.py)
    services, window = build_app(profile, demo=True, sandbox=sandbox, show_dialogs=False)
    services.xero.client_options = {"backoff_base": 0.01, "backoff_cap": 0.05}
    try:
        demo.ensure_demo_ledger(services, seed_demo_ledger, invoices=UI_DEMO_INVOICES)
        tenant_id, _ = demo.sign_in(services, timeout=20)
        demo.accept_suggested_mappings(services, tenant_id)
        with services.write() as s:  # merchandise was never mapped: its invoices fail
            saved = s.scalars(select(Mapping).where(Mapping.kind == "charge_type",
                                                    Mapping.key == "merchandise")).one()
            kept = {c: getattr(saved, c) for c in ("kind", "key", "account_code", "tax_type",
                                                   "tracking_category", "tracking_option")}
            s.execute(delete(Mapping).where(Mapping.kind == "charge_type", Mapping.key == "merchandise"))
        first = services.make_engine().run()
        facts = MonthFacts(root=root, grant=None, first_run_id=first.run_id)
        with services.session() as s:
            facts.failed_item_ids = list(s.scalars(select(SyncItem.id).where(
                SyncItem.run_id == first.run_id, SyncItem.outcome == "failed").order_by(SyncItem.id)))
        assert len(facts.failed_item_ids) >= 2, "the month needs at least two failed items"
        with services.write() as s:  # the mapping is fixed
            s.add(Mapping(**kept))
        facts.retried_item_id, facts.skipped_item_id = facts.failed_item_ids[0], facts.failed_item_ids[1]
        services.make_engine().retry_item(facts.retried_item_id)
        services.make_engine().skip_item(facts.skipped_item_id, "Sold at the counter, not billed")
        with services.session() as s:
            linked = list(s.execute(
                select(Invoice, Link.xero_id).join(Link, (Link.local_id == Invoice.id) & (Link.entity == "invoice"))
                .where(Invoice.status == "authorised", Invoice.amount_paid == 0)
                .order_by(Invoice.issue_date.desc())).all())
            inv, inv_x = linked[0]
            other_customer = next(i.customer_id for i, _x in linked if i.customer_id != inv.customer_id)
            contact_x = s.scalar(select(Link.xero_id).where(Link.entity == "contact",
                                                           Link.local_id == other_customer))
        with SandboxAdmin.of(sandbox) as admin:  # the bookkeeper's day in Xero
            admin.edit_invoice(tenant_id, inv_x, LineAmount=str(inv.total + 25))
            admin.archive_contact(tenant_id, contact_x)
        last = services.make_engine().run(trigger="scheduled")
        facts.last_run_id = last.run_id
        facts.signed_month = _previous_month(date.today())
        with services.write() as s:
            sign_off(s, facts.signed_month, SIGNED_BY, "Month closed", "Signed with the office's approval",
                     tenant_id=tenant_id)
        with services.session() as s:
            facts.open_exceptions = len(list(s.scalars(select(ReconException.id).where(
                ReconException.status == "open"))))
            facts.customers = len(list(s.scalars(select(Customer.id))))
        assert facts.open_exceptions >= 2, "the month needs open exceptions"
        facts.grant = services.xero.token_store.load(profile.profile_id)
        assert facts.grant is not None
    finally:
        close_app(services, window, sandbox)
        close_activity_log(activity_log)
    return facts


@pytest.fixture(scope="module")
def month_profile(tmp_path_factory: pytest.TempPathFactory, qapp: Any) -> MonthFacts:
    return build_month(tmp_path_factory.mktemp("month") / "profile")


@dataclass
class Journey:
    services: Any
    window: Any
    sandbox: Any
    facts: MonthFacts
    qtbot: Any
    closed: bool = False

    def show(self, key: str) -> Any:
        """Click the view's entry in the sidebar; returns the view on screen."""
        click_sidebar(self.qtbot, self.window, key)
        return self.window.views[key]

    def _press(self, key: str) -> None:
        """Ctrl+key typed into the focused window, as a person does."""
        from xsync_desktop.ui.qt import Qt, QtWidgets

        self.window.activateWindow()
        self.qtbot.waitUntil(lambda: QtWidgets.QApplication.activeWindow() is self.window, timeout=5_000)
        target = QtWidgets.QApplication.focusWidget() or self.window
        self.qtbot.keyClick(target, key, Qt.KeyboardModifier.ControlModifier)

    def shortcut(self, n: int) -> Any:
        """Ctrl+n, as typed on the keyboard; returns the view on screen."""
        self._press(str(n))
        return self.window.views[self.window.current_view_key()]

    def sync_now(self) -> Any:
        """Ctrl+R, then the finished run's result as the window received it."""
        with self.qtbot.waitSignal(self.window.sync.finished, timeout=60_000) as blocker:
            self._press("r")
        # The status bar and the sidebar's badge update in the turns after the end, as a person sees them.
        self.qtbot.waitUntil(lambda: not self.window.updates_pending, timeout=5_000)
        return blocker.args[0]

    def quit(self) -> None:
        """Close the window and the app as Quit does (the profile stays for a restart)."""
        if self.closed:
            return
        self.closed = True
        self.window.sync.cancel()
        self.window.close()
        self.services.close()
        self.services.store.close()
        self.go_offline()

    def go_offline(self) -> None:
        """The network is gone: nothing answers at Xero's address any more."""
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None


@pytest.fixture
def journey(month_profile: MonthFacts, tmp_path: Path, qtbot: Any) -> Iterator[Callable[..., Journey]]:
    from xsync_desktop.composition.gui import build_app

    made: list[Journey] = []
    logs: list[Any] = []

    def start(online: bool = True, restart: bool = False) -> Journey:
        """The app on a copy of the month's profile; `restart=True` starts it again on the
        copy the previous start used (quit that one first), as a person reopens the app."""
        root = tmp_path / "profile"
        if not restart:
            shutil.copytree(month_profile.root, root)
        profile = Profile(root).ensure()
        sandbox = start_ui_sandbox(profile)
        logs.append(open_activity_log(profile.logs_dir))
        services, window = build_app(profile, demo=True, sandbox=sandbox, show_dialogs=False)
        services.xero.client_options = {"backoff_base": 0.01, "backoff_cap": 0.05}
        services.xero.token_store.save(profile.profile_id, month_profile.grant)
        window.confirm_close = lambda: True
        j = Journey(services, window, sandbox, month_profile, qtbot)
        if not online:
            j.go_offline()
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        made.append(j)
        return j

    yield start
    for j in made:
        j.quit()
    for handler in logs:
        close_activity_log(handler)
