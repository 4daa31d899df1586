"""Dashboard: the last run as on the product page, Sync now with progress, recent runs, a chart.

"Sync log - last run: Contacts 84 synced, Invoices 147 pushed, Payments 132
pulled, Failed 11 retried"; "Recent runs: 2 min ago 147 synced · 0 failed".
Data comes from the run table (a few indexed rows); the refresh is coalesced,
and progress during a sync comes from the SyncController's signals, not queries.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from sqlalchemy import select

from ...activity import plural
from ...store.models import SyncRun
from ...store.states import ItemOutcome, RunOutcome
from ...sync.progress import Progress
from ...sync.run_lock import Holder, SyncBusy, who_is_syncing
from ..models.runs_model import RunRow, run_row
from ..models.style import OUTCOME_COLOURS, OUTCOME_LABELS, local_time, relative_time
from ..qt import Qt, QtGui, QtWidgets, Signal
from ..refresh import RefreshCoalescer
from ..services import AppServices
from .chart import ChartPoint, RunsChart
from .exceptions_rows import open_count

if TYPE_CHECKING:
    from ...sync.engine import RunResult

PHASES = {
    "settings": "Refreshing Xero settings",
    "mapping": "Checking the mapping",
    "contacts": "Pushing contacts",
    "invoices": "Pushing invoices",
    "credit_notes": "Pushing credit notes",
    "allocations": "Allocating credit notes",
    "payments": "Pushing payments",
    "pull_payments": "Pulling payments from Xero",
    "pull_invoices": "Pulling invoice changes from Xero",
    "reconcile": "Reconciling",
    "settle": "Settling unfinished requests",
    "retry": "Retrying",
}


def phase_label(phase: str) -> str:
    return PHASES.get(phase, phase.replace("_", " ").capitalize())


class StatCard(QtWidgets.QFrame):
    """One figure of the last run: 'Invoices / 147 / pushed'."""

    def __init__(self, title: str, unit: str, parent: QtWidgets.QWidget | None = None, *, one: str = "") -> None:
        super().__init__(parent)
        self._many, self._one = title, one or title  # "1 Payment pulled", "2 Payments pulled"
        self.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        self.setObjectName(f"card_{title.lower()}")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        self.title = QtWidgets.QLabel(title)
        self.title.setForegroundRole(QtGui.QPalette.ColorRole.PlaceholderText)
        self.value = QtWidgets.QLabel("–")
        font = self.value.font()
        font.setPointSizeF(font.pointSizeF() * 2.0)
        font.setBold(True)
        self.value.setFont(font)
        self.unit = QtWidgets.QLabel(unit)
        for w in (self.title, self.value, self.unit):
            layout.addWidget(w)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Fixed)

    def set_value(self, n: int | None, unit: str | None = None, accent: str | None = None) -> None:
        self.value.setText("–" if n is None else f"{n:,}")
        self.title.setText(self._one if n == 1 else self._many)
        if unit is not None:
            self.unit.setText(unit)
        self.value.setStyleSheet(f"color: {accent};" if accent else "")


class ProgressEstimate:
    """Time left in the current phase from its own pace (phases differ wildly in speed)."""

    def __init__(self) -> None:
        self.phase = ""
        self.started = 0.0
        self.first_done = 0

    def seconds_left(self, p: Progress, now: float | None = None) -> float | None:
        now = time.monotonic() if now is None else now
        if p.phase != self.phase:
            self.phase, self.started, self.first_done = p.phase, now, p.done
            return None
        done = p.done - self.first_done
        elapsed = now - self.started
        if done <= 0 or elapsed < 1.0 or p.total <= 0:
            return None
        return max(0.0, (p.total - p.done) * elapsed / done)


def time_left_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return "less than a minute left"
    minutes = round(seconds / 60)
    return f"about {minutes} min left"


class DashboardView(QtWidgets.QWidget):
    connect_requested = Signal()
    run_requested = Signal(int)  # open this run in the Runs view

    def __init__(self, services: AppServices, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self._estimate = ProgressEstimate()
        self.last_run: RunRow | None = None
        #: "another sync is running" was said when this was the last finished run (None: not said)
        self._told_busy_after: tuple[int | None] | None = None
        #: open exceptions and held changes, as last counted (not recounted while this window syncs)
        self._open_exceptions: int | None = None
        self._build()
        self._coalescer = RefreshCoalescer(self, self.refresh, services.changed,
                                           ("runs", "connection", "settings", "exceptions"))
        sync = services.sync
        if sync is not None:
            sync.progress.connect(self._on_progress)
            sync.busy_changed.connect(self._on_busy)
            sync.failed.connect(self._on_failed)
            sync.finished.connect(self._on_finished)
            sync.cancelled.connect(self._on_cancelled)
            sync.started.connect(self._on_started)
        self.refresh()

    # -- layout --------------------------------------------------------------------------
    def _build(self) -> None:
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(18, 14, 18, 14)
        outer.setSpacing(12)

        head = QtWidgets.QHBoxLayout()
        self.heading = QtWidgets.QLabel("Sync log — last run")
        hf = self.heading.font()
        hf.setPointSizeF(hf.pointSizeF() * 1.35)
        hf.setBold(True)
        self.heading.setFont(hf)
        self.when = QtWidgets.QLabel("")
        self.when.setForegroundRole(QtGui.QPalette.ColorRole.PlaceholderText)
        self.outcome = QtWidgets.QLabel("")
        head.addWidget(self.heading)
        head.addSpacing(10)
        head.addWidget(self.when)
        head.addStretch(1)
        head.addWidget(self.outcome)
        outer.addLayout(head)

        cards = QtWidgets.QHBoxLayout()
        cards.setSpacing(10)
        self.card_contacts = StatCard("Contacts", "synced", one="Contact")
        self.card_invoices = StatCard("Invoices", "pushed", one="Invoice")
        self.card_payments = StatCard("Payments", "pulled", one="Payment")
        self.card_failed = StatCard("Failed", "retried")
        self.card_exceptions = StatCard("Exceptions", "open", one="Exception")
        self.card_exceptions.setToolTip("Conflicts and held changes waiting for a decision (Exceptions, Ctrl+3)")
        for c in (self.card_contacts, self.card_invoices, self.card_payments, self.card_failed, self.card_exceptions):
            cards.addWidget(c)
        outer.addLayout(cards)

        self.banner = QtWidgets.QLabel("")
        self.banner.setWordWrap(True)
        self.banner.setObjectName("dashboardBanner")
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.hide()
        outer.addWidget(self.banner)

        row = QtWidgets.QHBoxLayout()
        self.sync_button = QtWidgets.QPushButton("Sync now")
        self.sync_button.setObjectName("syncNow")
        self.sync_button.setDefault(True)
        self.sync_button.setToolTip("Push the ledger's changes to Xero and pull Xero's payments (Ctrl+R)")
        self.sync_button.clicked.connect(self.sync_now)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelSync")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_sync)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setObjectName("syncProgress")
        self.progress.setTextVisible(True)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("Idle")
        row.addWidget(self.sync_button)
        row.addWidget(self.progress, 1)
        row.addWidget(self.cancel_button)
        outer.addLayout(row)
        self.progress_detail = QtWidgets.QLabel(" ")
        self.progress_detail.setForegroundRole(QtGui.QPalette.ColorRole.PlaceholderText)
        outer.addWidget(self.progress_detail)

        bottom = QtWidgets.QHBoxLayout()
        bottom.setSpacing(14)
        recent_box = QtWidgets.QGroupBox("Recent runs")
        rl = QtWidgets.QVBoxLayout(recent_box)
        self.recent = QtWidgets.QTreeWidget()
        self.recent.setObjectName("recentRuns")
        self.recent.setRootIsDecorated(False)
        self.recent.setHeaderLabels(["When", "Synced", "Failed", "Outcome"])
        self.recent.setUniformRowHeights(True)
        self.recent.setAlternatingRowColors(True)
        self.recent.itemActivated.connect(self._open_recent)
        self.recent.itemDoubleClicked.connect(self._open_recent)
        header = self.recent.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QtWidgets.QHeaderView.ResizeMode.Stretch)
        for col in (1, 2, 3):
            header.setSectionResizeMode(col, QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        rl.addWidget(self.recent)
        chart_box = QtWidgets.QGroupBox("Last 30 runs")
        cl = QtWidgets.QVBoxLayout(chart_box)
        self.chart = RunsChart()
        cl.addWidget(self.chart)
        rows = 8
        self.recent.setFixedHeight((self.fontMetrics().height() + 6) * (rows + 1) + 8)  # eight runs, no blank list
        self.chart.setMinimumHeight(self.recent.height())
        recent_box.setSizePolicy(QtWidgets.QSizePolicy.Policy.Preferred, QtWidgets.QSizePolicy.Policy.Maximum)
        bottom.addWidget(recent_box, 2, Qt.AlignmentFlag.AlignTop)
        bottom.addWidget(chart_box, 3)
        outer.addLayout(bottom, 1)  # the chart takes the spare height

    # -- data ----------------------------------------------------------------------------
    def refresh(self) -> None:
        syncing = self._syncing()
        with self.services.session() as s:
            runs = [run_row(r) for r in s.scalars(select(SyncRun).order_by(SyncRun.id.desc()).limit(30))]
            if not syncing or self._open_exceptions is None:
                # While this window's sync runs, the run's figures refresh every second and the
                # exceptions count waits for its end (the sync's end notifies "exceptions"): its
                # queries on the GUI thread, competing with the worker for the GIL, were the
                # window's longest waits during a sync (bench_gui_stall.py --diagnose).
                tenant_id, _ = self.services.tenant()
                self._open_exceptions = open_count(s, tenant_id)
        open_exceptions = self._open_exceptions
        finished = [r for r in runs if r.outcome != RunOutcome.RUNNING]
        self.last_run = finished[0] if finished else (runs[0] if runs else None)
        live = runs[0] if runs and runs[0].outcome == RunOutcome.RUNNING and self._syncing() else None
        self._show_last(live or self.last_run, live=live is not None)  # the running sync, as it goes
        self.card_exceptions.set_value(open_exceptions, "open · need a decision" if open_exceptions else "open",
                                       OUTCOME_COLOURS[ItemOutcome.NEEDS_REVIEW] if open_exceptions else None)
        self.recent.clear()
        for r in runs[:8]:
            item = QtWidgets.QTreeWidgetItem([
                relative_time(r.started_at), f"{r.synced:,}", f"{r.failed:,}", OUTCOME_LABELS.get(r.outcome, r.outcome)])
            item.setData(0, Qt.ItemDataRole.UserRole, r.id)
            item.setToolTip(0, local_time(r.started_at))
            for col in (1, 2):
                item.setTextAlignment(col, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            colour = OUTCOME_COLOURS.get(r.outcome)
            if colour:
                item.setForeground(3, QtGui.QBrush(QtGui.QColor(colour)))
            if r.failed:
                item.setForeground(2, QtGui.QBrush(QtGui.QColor(OUTCOME_COLOURS[RunOutcome.FAILED])))
            self.recent.addTopLevelItem(item)
        self.chart.set_points([ChartPoint(local_time(r.started_at, seconds=False), r.synced, r.failed)
                               for r in reversed(runs)])
        self._update_connection_hint(any(r.outcome == RunOutcome.RUNNING for r in runs))

    def _syncing(self) -> bool:
        return self.services.sync is not None and self.services.sync.running

    def _show_last(self, r: RunRow | None, live: bool = False) -> None:
        self.heading.setText("Sync log — this run" if live else "Sync log — last run")
        if r is None:
            self.when.setText("no sync yet")
            self.outcome.setText("")
            for card in (self.card_contacts, self.card_invoices, self.card_payments, self.card_failed):
                card.set_value(None)
            return
        self.when.setText(f"started {local_time(r.started_at, seconds=False)}" if live else
                          f"{relative_time(r.started_at)} · {local_time(r.started_at, seconds=False)}")
        self.outcome.setText(OUTCOME_LABELS.get(r.outcome, r.outcome))
        colour = OUTCOME_COLOURS.get(r.outcome)
        self.outcome.setStyleSheet(f"color: {colour}; font-weight: bold;" if colour else "")
        self.card_contacts.set_value(r.contacts_synced)
        # The big figure is invoices alone, so it matches the run's summary line ("589 invoices").
        self.card_invoices.set_value(r.invoices_pushed,
                                     f"pushed · {plural(r.credit_notes_pushed, 'credit note')}" if r.credit_notes_pushed
                                     else "pushed")
        self.card_invoices.setToolTip(f"{plural(r.invoices_pushed, 'invoice')} and "
                                      f"{plural(r.credit_notes_pushed, 'credit note')}")
        # The product page says "Payments 132 pulled"; this app also pushes the ledger's own payments.
        self.card_payments.set_value(r.payments_pulled + r.payments_pushed,
                                     f"{r.payments_pushed:,} pushed · {r.payments_pulled:,} pulled"
                                     if r.payments_pushed else "pulled")
        self.card_payments.setToolTip(f"{r.payments_pulled:,} pulled from Xero, {r.payments_pushed:,} pushed")
        self.card_failed.set_value(r.failed, f"{r.retried:,} retried",
                                   OUTCOME_COLOURS[RunOutcome.FAILED] if r.failed else None)

    def _update_connection_hint(self, a_run_is_running: bool = False) -> None:
        if self.services.sync is not None and self.services.sync.running:
            return
        if self._told_busy_after is not None and self._told_busy_after != (self._last_finished_id(),):
            self._told_busy_after = None
            self.banner.setProperty("sticky", False)
        tenant_id, _ = self.services.tenant()
        holder = self._syncing_elsewhere(tenant_id) if tenant_id and a_run_is_running else None
        keyring = self.services.credential_store_problem() if tenant_id else None
        if not tenant_id:
            self.show_banner("Not connected to Xero yet: open Connection (Ctrl+7) to connect an organisation.")
        elif keyring:
            self.show_banner(keyring)
        elif holder is not None:  # another desk's run: say whose, and that reviewing goes on meanwhile
            self.show_banner(SyncBusy(holder).user_message)
        elif self.last_run is not None and self.last_run.outcome in (RunOutcome.FAILED, RunOutcome.PAUSED, RunOutcome.CANCELLED) \
                and self.last_run.message:
            self.show_banner(self.last_run.message)
        elif self.banner.property("sticky") is not True:
            self.banner.hide()

    def _last_finished_id(self) -> int | None:
        return self.last_run.id if self.last_run is not None and self.last_run.outcome != RunOutcome.RUNNING else None

    def _syncing_elsewhere(self, tenant_id: str) -> Holder | None:
        """The holder of the organisation's run lock when a run shows as running (a shared database)."""
        with self.services.session() as s:
            return who_is_syncing(s.connection(), tenant_id)

    def show_banner(self, text: str, sticky: bool = False) -> None:
        self.banner.setText(text)
        self.banner.setProperty("sticky", sticky)
        self.banner.setStyleSheet(
            f"QLabel {{ border: 1px solid {OUTCOME_COLOURS[RunOutcome.CANCELLED]}; border-radius: 4px; padding: 8px; }}")
        self.banner.show()

    # -- actions -------------------------------------------------------------------------
    def sync_now(self) -> None:
        if self.services.sync is not None:
            self.banner.setProperty("sticky", False)
            self.services.sync.sync_now("manual")

    def cancel_sync(self) -> None:
        if self.services.sync is not None:
            self.services.sync.cancel()
            self.cancel_button.setEnabled(False)
            self.progress_detail.setText("Stopping after the current request…")

    def _open_recent(self, item: QtWidgets.QTreeWidgetItem, _col: int = 0) -> None:
        run_id = item.data(0, Qt.ItemDataRole.UserRole)
        if run_id is not None:
            self.run_requested.emit(int(run_id))

    # -- sync signals --------------------------------------------------------------------
    def _on_started(self, what: str) -> None:
        self._estimate = ProgressEstimate()
        self.banner.hide()
        self.progress.setRange(0, 0)  # busy until the first progress report
        self.progress.setFormat("Starting…")
        self.progress_detail.setText(" ")

    def _on_busy(self, busy: bool) -> None:
        self.sync_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        if not busy:
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
            self.progress.setFormat("Idle")
            self.progress_detail.setText(" ")

    def _on_progress(self, p: Progress) -> None:
        if self.services.sync is not None and not self.services.sync.running:
            return  # a late report after the end must not overwrite the outcome
        left = self._estimate.seconds_left(p)
        if p.total > 0:
            self.progress.setRange(0, p.total)
            self.progress.setValue(min(p.done, p.total))
            self.progress.setFormat(f"{phase_label(p.phase)} — {p.done:,} of {p.total:,}")
        else:
            self.progress.setRange(0, 0)
            self.progress.setFormat(phase_label(p.phase))
        detail = " · ".join(x for x in (p.current, p.message, time_left_text(left)) if x)
        self.progress_detail.setText(detail or " ")

    def _on_failed(self, message: str) -> None:
        self.show_banner(message, sticky=True)
        if self.services.sync is not None and self.services.sync.last_error_was_busy:
            # "Sync running on FRONT-DESK-1..." holds until a run newer than the last one ends
            # (then the other sync is over); a failure stays until the next sync from here.
            self._told_busy_after = (self._last_finished_id(),)
        self.progress_detail.setText(" ")

    def _on_cancelled(self) -> None:
        self.progress_detail.setText("Sync cancelled. Nothing was left half-sent.")

    def _on_finished(self, result: RunResult | None) -> None:
        message = result.message if result is not None else None
        outcome = result.outcome if result is not None else None
        if outcome == RunOutcome.CANCELLED:
            self.progress_detail.setText("Sync cancelled. Nothing was left half-sent.")
        elif outcome in (RunOutcome.FAILED, RunOutcome.PAUSED) and message:
            self.show_banner(message, sticky=True)
            self.progress_detail.setText(" ")
        else:
            self.progress_detail.setText(message or "Sync finished.")
        # The figures must match the run the moment it ends; the refresh the sync's end
        # notices scheduled is this one (not a second one 300 ms later).
        self._coalescer.refresh_now()
