"""Runs: the run history and, for the chosen run, its items, with retry, skip and export.

The item table is a paged model (a 1,000,000-item run opens at once); filters
go to SQL. Retry/skip go through the SyncController (one sync at a time, in
the background); the views refresh from its signals.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

from ...store.states import ItemOutcome
from ...timestamps import local_iso
from ..models.loader import background
from ..models.run_items_model import ItemFilter, ItemRow, RunItemsModel, all_rows, outcome_text
from ..models.runs_model import RunIdRole, RunsModel
from ..models.style import ENTITY_LABELS, OUTCOME_LABELS, local_time
from ..qt import Qt, QtCore, QtGui, QTimer, QtWidgets
from ..refresh import RefreshCoalescer
from ..save_dialog import ask_save_path
from ..services import AppServices

if TYPE_CHECKING:
    from ...sync.engine import RunResult

#: what an item did, in the words of the person reading the run
ACTION_WORDS = {"create": "sent to Xero as new", "update": "changes sent to Xero", "void": "voided in Xero",
                "allocate": "credit allocated in Xero",
                "withdraw": "credit allocation removed from Xero", "pull": "read from Xero",
                "reconcile": "compared with Xero", "settle": "checked in Xero after an unanswered send"}

#: times are local with their offset (2026-11-29T16:28:05+13:00): the office's own clock, zone stated
CSV_HEADER = ("item_id", "run_id", "started", "finished", "entity", "local_id", "record", "action",
              "outcome", "message", "xero_messages", "xero_id", "attempts", "skip_reason")


class RunsView(QtWidgets.QWidget):
    def __init__(self, services: AppServices, parent: QtWidgets.QWidget | None = None,
                 *, background_queries: bool = True) -> None:
        super().__init__(parent)
        self.services = services
        sessions = services.store.sessions
        loader = background(services) if background_queries else None
        self.runs_model = RunsModel(sessions, parent=self)  # a page of runs is a few indexed rows
        self.items_model = (RunItemsModel(sessions, parent=self) if loader is None
                            else RunItemsModel(sessions, loader, parent=self))
        self._build()
        self._coalescer = RefreshCoalescer(self, self.refresh, services.changed, ("runs",), delay_ms=500,
                                           loaded=True)  # reloaded just below
        if services.sync is not None:
            services.sync.busy_changed.connect(lambda _b: self._update_buttons())
            services.sync.finished.connect(self._sync_finished)
        self.runs_model.reload()
        if self.runs_model.rowCount() > 0:
            self.runs_table.selectRow(0)

    # -- layout --------------------------------------------------------------------------
    def _build(self) -> None:
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(12, 10, 12, 10)
        split = QtWidgets.QSplitter(Qt.Orientation.Vertical)
        split.setChildrenCollapsible(False)
        outer.addWidget(split)

        self.runs_table = self._table("runsTable")
        self.runs_table.setModel(self.runs_model)
        self.runs_table.selectionModel().currentRowChanged.connect(self._run_chosen)
        hdr = self.runs_table.horizontalHeader()
        hdr.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        hdr.setResizeContentsPrecision(200)  # measure a page of runs, not the whole history
        hdr.setStretchLastSection(True)
        split.addWidget(self.runs_table)

        lower = QtWidgets.QWidget()
        ll = QtWidgets.QVBoxLayout(lower)
        ll.setContentsMargins(0, 6, 0, 0)
        filters = QtWidgets.QHBoxLayout()
        self.run_title = QtWidgets.QLabel("Choose a run")
        f = self.run_title.font()
        f.setBold(True)
        self.run_title.setFont(f)
        filters.addWidget(self.run_title)
        filters.addStretch(1)
        self.outcome_filter = QtWidgets.QComboBox()
        self.outcome_filter.setObjectName("outcomeFilter")
        self.outcome_filter.addItem("All outcomes", None)
        for key in (ItemOutcome.FAILED, ItemOutcome.SUCCEEDED, ItemOutcome.SKIPPED, ItemOutcome.NEEDS_REVIEW,
                    ItemOutcome.PENDING):
            self.outcome_filter.addItem(OUTCOME_LABELS[key], key)
        self.entity_filter = QtWidgets.QComboBox()
        self.entity_filter.setObjectName("entityFilter")
        self.entity_filter.addItem("All records", None)
        for key, label in ENTITY_LABELS.items():
            self.entity_filter.addItem(label + "s", key)
        self.search = QtWidgets.QLineEdit()
        self.search.setObjectName("itemSearch")
        self.search.setPlaceholderText("Search record, message, Xero's messages…")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(240)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(300)
        self._search_timer.timeout.connect(self._apply_filter)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.outcome_filter.currentIndexChanged.connect(lambda _i: self._apply_filter())
        self.entity_filter.currentIndexChanged.connect(lambda _i: self._apply_filter())
        for w in (self.outcome_filter, self.entity_filter, self.search):
            filters.addWidget(w)
        ll.addLayout(filters)

        self.items_table = self._table("itemsTable")
        self.items_table.setModel(self.items_model)
        self.items_table.selectionModel().currentRowChanged.connect(lambda *_: self._item_chosen())
        ih = self.items_table.horizontalHeader()
        ih.setStretchLastSection(False)
        ih.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Interactive)
        ih.setSectionResizeMode(5, QtWidgets.QHeaderView.ResizeMode.Stretch)  # the plain message matters most
        fm = self.items_table.fontMetrics()
        pad = 18
        for col, sample in enumerate(("23:59:59", "Payment pay_0000 on INV-0000", "Credit note", "reconcile",
                                      "Failed, retried")):
            self.items_table.setColumnWidth(col, fm.horizontalAdvance(sample) + pad)
        self.items_table.setColumnWidth(6, fm.horizontalAdvance("Xero's messages") + 3 * pad)
        ih.setMinimumSectionSize(fm.horizontalAdvance("Type") + pad)
        self.items_table.doubleClicked.connect(lambda _i: self.open_in_xero())
        ll.addWidget(self.items_table, 1)

        self.detail = QtWidgets.QPlainTextEdit()
        self.detail.setObjectName("itemDetail")
        self.detail.setReadOnly(True)
        self.detail.setMaximumHeight(96)
        self.detail.setPlaceholderText("Choose an item to see its full message and Xero's own messages.")
        ll.addWidget(self.detail)

        buttons = QtWidgets.QHBoxLayout()
        self.count_label = QtWidgets.QLabel("")
        buttons.addWidget(self.count_label)
        buttons.addStretch(1)
        self.retry_button = QtWidgets.QPushButton("Retry")
        self.retry_button.setToolTip("Send this failed item again (after fixing its cause)")
        self.retry_button.clicked.connect(self.retry_selected)
        self.retry_all_button = QtWidgets.QPushButton("Retry all failed")
        self.retry_all_button.clicked.connect(self.retry_all_failed)
        self.skip_button = QtWidgets.QPushButton("Skip…")
        self.skip_button.setToolTip("Stop retrying this item; a reason is kept in the log")
        self.skip_button.clicked.connect(lambda: self.skip_selected())
        self.open_button = QtWidgets.QPushButton("Open in Xero")
        self.open_button.clicked.connect(self.open_in_xero)
        self.export_button = QtWidgets.QPushButton("Export CSV…")
        self.export_button.clicked.connect(lambda: self.export_csv())
        self.activity_button = QtWidgets.QPushButton("Activity log")
        self.activity_button.setToolTip("Every sync, failure, import, retry, skip, decision and sign-off, "
                                        "in plain words (readable offline)")
        self.activity_button.clicked.connect(self.open_activity_log)
        for b in (self.retry_button, self.retry_all_button, self.skip_button, self.open_button, self.export_button,
                  self.activity_button):
            buttons.addWidget(b)
        ll.addLayout(buttons)
        split.addWidget(lower)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 5)
        split.setSizes([220, 550])
        self.items_model.total_changed.connect(self._show_count)
        # a retry or skip changes the rows under the selection: the detail follows what is selected now
        self.items_model.modelReset.connect(self._item_chosen)
        self.items_model.dataChanged.connect(lambda *_: self._item_chosen())
        self._update_buttons()

    @staticmethod
    def _table(name: str) -> QtWidgets.QTableView:
        t = QtWidgets.QTableView()
        t.setObjectName(name)
        t.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        t.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        t.setAlternatingRowColors(True)
        t.setWordWrap(False)
        t.verticalHeader().hide()
        t.verticalHeader().setDefaultSectionSize(t.fontMetrics().height() + 8)
        t.setHorizontalScrollMode(QtWidgets.QAbstractItemView.ScrollMode.ScrollPerPixel)
        return t

    # -- data ----------------------------------------------------------------------------
    def refresh(self) -> None:
        self.runs_model.refresh()
        self.items_model.refresh()
        self._update_title()
        self._update_buttons()

    def current_filter(self) -> ItemFilter:
        return ItemFilter(self.outcome_filter.currentData(), self.entity_filter.currentData(), self.search.text())

    def set_filter(self, outcome: str | None = None, entity: str | None = None, text: str = "") -> None:
        """Set all three filters at once and apply them (one query, not three)."""
        for combo, value in ((self.outcome_filter, outcome), (self.entity_filter, entity)):
            combo.blockSignals(True)
            combo.setCurrentIndex(max(0, combo.findData(value)))
            combo.blockSignals(False)
        self.search.blockSignals(True)
        self.search.setText(text)
        self.search.blockSignals(False)
        self._apply_filter()

    def _apply_filter(self) -> None:
        self._search_timer.stop()
        self.items_model.set_filter(self.current_filter())
        self.detail.clear()
        self._update_buttons()

    def show_run(self, run_id: int) -> None:
        """Select a run (from the dashboard's recent runs)."""
        row = self.runs_model.row_of(run_id)
        while row < 0 and self.runs_model.canFetchMore():
            self.runs_model.fetchMore()
            row = self.runs_model.row_of(run_id)
        if row >= 0:
            self.runs_table.selectRow(row)
        else:
            self.items_model.set_run(run_id, self.current_filter())

    def _sync_finished(self, result: RunResult | None) -> None:
        """The run just finished is the one the person wants to see (a skip makes no run)."""
        run_id = result.run_id if result is not None else None
        if run_id is None:
            return
        self.runs_model.refresh()
        self.show_run(run_id)

    def _run_chosen(self, current: QtCore.QModelIndex, _previous: QtCore.QModelIndex) -> None:
        run_id = current.data(RunIdRole) if current.isValid() else None
        if run_id != self.items_model.run_id:
            self.items_model.set_run(run_id, self.current_filter())
            self.detail.clear()
        self._update_title()
        self._update_buttons()

    def _update_title(self) -> None:
        r = self.runs_model.row_at(self.runs_table.currentIndex().row())
        if r is None:
            self.run_title.setText("Choose a run")
            return
        self.run_title.setText(f"Run {r.id} · {local_time(r.started_at)} · {OUTCOME_LABELS.get(r.outcome, r.outcome)}")
        self.run_title.setToolTip(r.message or "")

    def _show_count(self, n: int) -> None:
        self.count_label.setText("Counting…" if n < 0 else f"{n:,} item{'s' if n != 1 else ''}")

    def selected_item(self) -> ItemRow | None:
        return self.items_model.row_at(self.items_table.currentIndex().row())

    def _item_chosen(self) -> None:
        r = self.selected_item()
        if r is None:
            self.detail.clear()
        else:
            what = ACTION_WORDS.get(r.action, r.action)
            lines = [f"{r.label or ENTITY_LABELS.get(r.entity, r.entity)}: {what}",
                     f"{outcome_text(r)} at {local_time(r.finished_at or r.started_at)}"
                     + (f" after {r.attempts} attempts" if r.attempts > 1 else "")]
            if r.message:
                lines.append(r.message)
            for m in r.xero_messages or []:
                lines.append(f"Xero: {m}")
            if r.skip_reason:
                lines.append(f"Skipped because: {r.skip_reason}")
            if r.superseded_by_id and not r.skip_reason:
                lines.append("Retried later: see the newer run.")
            self.detail.setPlainText("\n".join(lines))
        self._update_buttons()

    def _update_buttons(self) -> None:
        busy = self.services.sync is not None and self.services.sync.running
        r = self.selected_item()
        actionable = r is not None and r.outcome == ItemOutcome.FAILED and r.superseded_by_id is None
        self.retry_button.setEnabled(actionable and not busy)
        self.skip_button.setEnabled(actionable and not busy)
        run = self.runs_model.row_at(self.runs_table.currentIndex().row())
        self.retry_all_button.setEnabled(run is not None and run.failed > 0 and not busy)
        self.open_button.setEnabled(r is not None and bool(self.services.xero_url(r.entity, self._xero_id(r))))
        self.export_button.setEnabled(self.items_model.run_id is not None)

    # -- actions -------------------------------------------------------------------------
    def retry_selected(self) -> bool:
        r = self.selected_item()
        if r is None or self.services.sync is None:
            return False
        return self.services.sync.retry_item(r.id)

    def retry_all_failed(self) -> bool:
        run_id = self.items_model.run_id
        if run_id is None or self.services.sync is None:
            return False
        return self.services.sync.retry_failed(run_id)

    def skip_selected(self, reason: str | None = None) -> bool:
        r = self.selected_item()
        if r is None or self.services.sync is None:
            return False
        if reason is None:
            text, ok = QtWidgets.QInputDialog.getText(
                self, "Skip item", f"Why skip {r.label or 'this item'}? (kept in the run log)")
            if not ok or not text.strip():
                return False
            reason = text.strip()
        return self.services.sync.skip_item(r.id, reason)

    def open_in_xero(self) -> bool:
        r = self.selected_item()
        return r is not None and self.services.open_in_xero(r.entity, self._xero_id(r))

    def open_activity_log(self) -> bool:
        from ...activity import FILE_NAME

        path = self.services.profile.logs_dir / FILE_NAME
        return bool(QtGui.QDesktopServices.openUrl(QtCore.QUrl.fromLocalFile(str(path))))

    def _xero_id(self, r: ItemRow) -> str | None:
        """The item's Xero object: its own id (a create), else its record's link (an update, a void)."""
        if r.xero_id or r.local_id is None:
            return r.xero_id
        from sqlalchemy import select

        from ...store.models import Link

        tenant_id, _ = self.services.tenant()
        with self.services.session() as s:
            return s.scalar(select(Link.xero_id).where(Link.tenant_id == tenant_id, Link.entity == r.entity,
                                                       Link.local_id == r.local_id))

    def export_csv(self, path: Path | None = None) -> bool:
        """Write the chosen run's items (with the current filter) to CSV, in the background."""
        run_id = self.items_model.run_id
        if run_id is None:
            return False
        if path is None:
            path = ask_save_path(self, "Export run log", f"run-{run_id}.csv", "CSV files (*.csv)")  # in Documents
            if path is None:
                return False
        f = self.items_model.item_filter
        sessions = self.services.store.sessions
        target = path

        def write() -> int:
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("w", newline="", encoding="utf-8-sig") as fh:  # BOM: Excel opens it as UTF-8
                w = csv.writer(fh)
                w.writerow(CSV_HEADER)
                return all_rows(sessions, run_id, f, lambda r: w.writerow([
                    r.id, run_id, local_iso(r.started_at),
                    local_iso(r.finished_at), r.entity, r.local_id or "", r.label,
                    r.action, r.outcome, r.message or "", " | ".join(r.xero_messages or []), r.xero_id or "",
                    r.attempts, r.skip_reason or ""]))

        def done(n: int) -> None:
            self.count_label.setText(f"Exported {n:,} items to {target.name}")
            self.last_export = (target, n)

        self.services.run_in_background(write, done, self.services.report_error, name="export")
        return True

    last_export: tuple[Path, int] | None = None
