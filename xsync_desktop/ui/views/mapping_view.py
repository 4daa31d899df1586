"""Mapping: charge types -> revenue account + tax type, payment methods -> bank accounts,
facilities -> tracking options.

Edits stay in memory until Save, which validates every choice with the engine's own
rules and saves the valid ones; an invalid one stays on screen, unsaved and red, with its
reason (a mapping Xero broke, say an account it archived, never stops other fixes). "Refresh from Xero" reloads the chart of
accounts in the background. Mappings that hold items back are listed with their counts,
and once fixed the failed items can be retried from here.
"""

from __future__ import annotations

from typing import Any

from ...store.database import session_scope
from ..qt import Qt, QtWidgets, Signal
from ..refresh import RefreshCoalescer
from ..services import AppServices
from .mapping_models import ChoiceDelegate, MappingTableModel
from .mapping_rows import (
    MAPPING_KINDS,
    MappingChoices,
    MappingDraft,
    apply_blocked,
    apply_suggestions,
    count_blocked,
    failed_items,
    load_choices,
    load_drafts,
    save_drafts,
    validate,
)

_TAB_TITLES = {"charge_type": "Charge types", "payment_method": "Payment methods", "facility": "Facilities"}
_KIND_WORDS = {"charge_type": "Charge type", "payment_method": "Payment method", "facility": "Facility"}


class MappingView(QtWidgets.QWidget):
    """The mapping editor. `refresh()` reloads from the database (drafts are discarded)."""

    #: emitted after a save, a refresh from Xero or a retry has finished (tests wait on it)
    finished = Signal(str)
    #: emitted when the held-back counts of a refresh are in (they are counted in the background)
    blocked_counted = Signal()

    def __init__(self, services: AppServices, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mappingView")
        self.services = services
        self.drafts: list[MappingDraft] = []
        self.choices: MappingChoices | None = None
        self.tenant_id: str | None = None
        self._failed_run: int | None = None
        self.busy = False
        #: the held-back counts are being counted in a worker thread
        self.counting = False
        self._count_job: Any = None
        self._count_again = False
        self._last_counts: dict[tuple[str, str], int] = {}  # shown until a new count is in

        title = QtWidgets.QLabel("<b>Mapping</b>: where each ledger charge, payment and facility goes in Xero")
        self.source_label = QtWidgets.QLabel()
        self.source_label.setObjectName("mappingSource")
        self.source_label.setWordWrap(True)
        self.refresh_button = QtWidgets.QPushButton("Refresh from Xero")
        self.refresh_button.setObjectName("refreshFromXero")
        self.suggest_button = QtWidgets.QPushButton("Suggest from account names")
        self.suggest_button.setObjectName("suggestMappings")
        self.revert_button = QtWidgets.QPushButton("Revert")
        self.save_button = QtWidgets.QPushButton("Save")
        self.save_button.setObjectName("saveMappings")
        self.save_button.setDefault(True)
        self.retry_button = QtWidgets.QPushButton("Retry failed items")
        self.retry_button.setObjectName("retryFailed")
        self.retry_button.setVisible(False)

        self.blocked_label = QtWidgets.QLabel()
        self.blocked_label.setObjectName("mappingBlocked")
        self.blocked_label.setWordWrap(True)
        self.blocked_label.setStyleSheet("color: #b3261e;")
        self.counting_bar = QtWidgets.QProgressBar()
        self.counting_bar.setObjectName("mappingCounting")
        self.counting_bar.setRange(0, 0)  # busy: how long the count takes is not known
        self.counting_bar.setTextVisible(False)
        self.counting_bar.setMaximumWidth(160)
        self.counting_bar.setMaximumHeight(12)
        self.counting_bar.setVisible(False)
        self.counting_label = QtWidgets.QLabel("Counting the items held back by the mapping\u2026")
        self.counting_label.setVisible(False)
        self.message_label = QtWidgets.QLabel()
        self.message_label.setObjectName("mappingMessage")
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.models: dict[str, MappingTableModel] = {}
        self.tables: dict[str, QtWidgets.QTableView] = {}
        self.tabs = QtWidgets.QTabWidget()
        for kind in MAPPING_KINDS:
            model = MappingTableModel(kind, self._edited, self)
            table = QtWidgets.QTableView()
            table.setObjectName(f"mappingTable_{kind}")
            table.setModel(model)
            table.setItemDelegate(ChoiceDelegate(table))  # one per view: commitData goes to its owner
            table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
            table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.DoubleClicked
                                  | QtWidgets.QAbstractItemView.EditTrigger.SelectedClicked
                                  | QtWidgets.QAbstractItemView.EditTrigger.EditKeyPressed)
            table.verticalHeader().setVisible(False)
            table.horizontalHeader().setStretchLastSection(True)
            table.setWordWrap(False)
            self.models[kind] = model
            self.tables[kind] = table
            self.tabs.addTab(table, _TAB_TITLES[kind])

        top = QtWidgets.QHBoxLayout()
        top.addWidget(title, 1)
        top.addWidget(self.refresh_button)
        top.addWidget(self.suggest_button)
        bottom = QtWidgets.QHBoxLayout()
        bottom.addWidget(self.message_label, 1)
        bottom.addWidget(self.retry_button)
        bottom.addWidget(self.revert_button)
        bottom.addWidget(self.save_button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.source_label)
        counting = QtWidgets.QHBoxLayout()
        counting.addWidget(self.counting_label)
        counting.addWidget(self.counting_bar)
        counting.addStretch(1)
        layout.addLayout(counting)
        layout.addWidget(self.blocked_label)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(bottom)

        self.refresh_button.clicked.connect(self.refresh_from_xero)
        self.suggest_button.clicked.connect(self.suggest)
        self.revert_button.clicked.connect(self.refresh)
        self.save_button.clicked.connect(self.save)
        self.retry_button.clicked.connect(self.retry_failed)
        self._coalescer = RefreshCoalescer(self, self._refresh_if_clean, services.changed, ("settings", "mappings",
                                                                                          "ledger", "runs"))

    # -- loading -------------------------------------------------------------------------
    def _refresh_if_clean(self) -> None:
        if not self.dirty:
            self.refresh()

    @property
    def dirty(self) -> bool:
        return any(d.dirty for d in self.drafts)

    def refresh(self) -> None:
        """Reload mappings and Xero's choices (small tables: the GUI thread is fine), then
        count the held-back items in the background (that walks the ledger)."""
        self.tenant_id, tenant_name = self.services.tenant()
        with self.services.session() as session:
            tenant = self.tenant_id or ""
            self.choices = load_choices(session, tenant)
            self.drafts = load_drafts(session, tenant, with_blocked=False)
            apply_blocked(self.drafts, self._last_counts)
            first_time = not any(d.is_set for d in self.drafts)
            suggested = 0
            if first_time and not self.choices.empty:
                suggested = apply_suggestions(session, tenant, self.drafts)
            validate(session, tenant, self.drafts, self.choices)
            self._failed_run, failed = failed_items(session)
        for model in self.models.values():
            model.set_drafts(self.drafts, self.choices)
        for table in self.tables.values():
            table.resizeColumnsToContents()
        self._show_source(tenant_name)
        self._show_blocked()
        self._count_blocked()
        self.retry_button.setVisible(failed > 0)
        self.retry_button.setText(f"Retry {failed} failed item{'s' if failed != 1 else ''}")
        if suggested:
            self.message_label.setText(
                f"First-time setup: {suggested} mappings were suggested from your Xero account names. "
                "Check them (blue), then Save.")
        else:
            self.message_label.setText("")
        self._update_buttons()

    def _show_source(self, tenant_name: str | None) -> None:
        c = self.choices
        if not self.tenant_id:
            self.source_label.setText("Not connected to Xero: connect first, then refresh the chart of accounts.")
        elif c is None or c.empty:
            self.source_label.setText("No chart of accounts from Xero yet. Click \u201cRefresh from Xero\u201d.")
        else:
            age = c.settings_age_minutes
            when = "just now" if age is not None and age < 1 else (f"{age} min ago" if age is not None else "")
            self.source_label.setText(
                f"{tenant_name or 'Xero'}: {len(c.revenue_accounts)} revenue accounts, "
                f"{len(c.payment_accounts)} accounts that take payments, {len(c.tax_rates)} tax rates, "
                f"{len(c.tracking)} tracking options (fetched {when}).")

    def _count_blocked(self) -> None:
        """Count held-back items in a worker; one count at a time, the latest refresh wins."""
        if self._count_job is not None:
            self._count_again = True
            return
        self._set_counting(True)
        sessions, tenant = self.services.store.sessions, self.tenant_id or ""
        self._count_job = self.services.run_in_background(
            lambda: count_blocked(sessions, tenant), self._counted, self._count_failed, name="mapping-blocked")

    def _set_counting(self, counting: bool) -> None:
        self.counting = counting
        self.counting_bar.setVisible(counting)
        self.counting_label.setVisible(counting)

    def _counted(self, counts: dict[tuple[str, str], int]) -> None:
        self._count_job = None
        if self._count_again:  # the ledger or the mapping changed meanwhile: count again
            self._count_again = False
            self._count_blocked()
            return
        self._last_counts = counts
        apply_blocked(self.drafts, counts)
        self._set_counting(False)
        self._show_blocked()
        for model in self.models.values():
            model.revalidated()
        self.blocked_counted.emit()

    def _count_failed(self, exc: BaseException) -> None:
        from ..errors import describe

        self._count_job = None
        self._count_again = False
        self._set_counting(False)
        self.blocked_label.setText(f"Could not count the held-back items: {describe(exc)}")
        self.blocked_label.setVisible(True)
        self.blocked_counted.emit()

    def _show_blocked(self) -> None:
        for i, kind in enumerate(MAPPING_KINDS):
            n = sum(1 for d in self.drafts if d.kind == kind and (d.blocked or d.invalid))
            self.tabs.setTabText(i, _TAB_TITLES[kind] + (f" ({n} to fix)" if n else ""))
        blocking = [d for d in self.drafts if d.blocked]
        blocking.sort(key=lambda d: -d.blocked)
        if not blocking:
            self.blocked_label.setVisible(False)
            self.blocked_label.setText("")
            return
        parts = [f"{_KIND_WORDS[d.kind]} \u2018{d.title}\u2019: {d.blocked} item{'s' if d.blocked != 1 else ''}"
                 for d in blocking]
        self.blocked_label.setText("Held back until mapped: " + "; ".join(parts))
        self.blocked_label.setVisible(True)

    def _update_buttons(self) -> None:
        self.save_button.setEnabled(self.dirty and not self.busy)
        self.revert_button.setEnabled(self.dirty and not self.busy)
        self.refresh_button.setEnabled(bool(self.tenant_id) and not self.busy)
        has_choices = self.choices is not None and not self.choices.empty
        self.suggest_button.setEnabled(has_choices and not self.busy)

    def _edited(self) -> None:
        """A cell changed: re-validate every draft so reasons appear (or vanish) at once."""
        if self.choices is not None:
            with self.services.session() as session:
                validate(session, self.tenant_id or "", self.drafts, self.choices)
        for model in self.models.values():
            model.revalidated()
        self.message_label.setText("Unsaved changes." if self.dirty else "")
        self._update_buttons()

    # -- actions --------------------------------------------------------------------------
    def suggest(self) -> int:
        """Fill unmapped keys from Xero's account names (unsaved; the person reviews and saves)."""
        with self.services.session() as session:
            n = apply_suggestions(session, self.tenant_id or "", self.drafts)
        self._edited()
        self.message_label.setText(
            f"{n} mapping(s) suggested from account names: review them, then Save." if n
            else "Nothing to suggest: every key is mapped, or no account name fits.")
        return n

    def invalid_drafts(self) -> list[MappingDraft]:
        return [d for d in self.drafts if d.invalid]

    def save(self) -> bool:
        """Save every valid change; returns True if anything was saved.

        An invalid choice is not saved but stays on screen, red with its reason, so the person
        fixes it without losing the rest. A mapping Xero broke since it was saved (an account
        archived in Xero) never stops the other fixes from being saved: all that matters is
        each change on its own.
        """
        self._edited()
        refused = [d for d in self.drafts if d.dirty and d.invalid]
        good = [d for d in self.drafts if d.dirty and not d.invalid]
        n = 0
        if good:
            with session_scope(self.services.store.sessions) as session:
                n = save_drafts(session, good)
            kept = {(d.kind, d.key): d.choice for d in refused}
            self._last_counts = {}  # the old counts are about the old mapping: recount, show none meanwhile
            self.refresh()
            self._restore_unsaved(kept)
            self.services.notify("mappings")
        self.message_label.setText(self._save_message(n, refused))
        if good:
            self.finished.emit("saved")
        return bool(good)

    def _restore_unsaved(self, kept: dict[tuple[str, Any], tuple[Any, ...]]) -> None:
        """Put the refused choices back after the reload, still unsaved and marked."""
        if not kept:
            return
        for d in self.drafts:
            choice = kept.get((d.kind, d.key))
            if choice is not None:
                d.account_code, d.tax_type, d.tracking_category, d.tracking_option = choice
        self._edited()

    def _save_message(self, saved: int, refused: list[MappingDraft]) -> str:
        """What Save did, and what is still red and why (in this view's words, not the sync's)."""
        parts = [f"Saved {saved} mapping{'s' if saved != 1 else ''}." if saved else "Nothing was saved."]
        if refused:
            parts.append(f"Not saved ({len(refused)}, in red): " + " ".join(d.message or "" for d in refused[:3])
                         + (" …" if len(refused) > 3 else ""))
        others = [d for d in self.drafts if d.invalid and not d.dirty]
        if others:
            n = len(others)
            parts.append(f"Still to fix ({n}, in red): "
                         + " ".join(d.message or "" for d in others[:3]) + (" …" if n > 3 else ""))
        return " ".join(parts)

    def refresh_from_xero(self) -> None:
        """Reload Xero's chart of accounts, tax rates and tracking in the background."""
        if self.dirty:
            answer = QtWidgets.QMessageBox.question(
                self, "Refresh from Xero", "Refreshing reloads the mappings and discards unsaved changes. Go on?")
            if answer != QtWidgets.QMessageBox.StandardButton.Yes:
                return
        try:
            engine = self.services.make_engine()
        except Exception as exc:  # noqa: BLE001 - not connected: say so
            self._failed(exc)
            return
        self._busy("Fetching the chart of accounts from Xero…")
        self.services.run_in_background(
            lambda: engine.refresh_settings(force=True), lambda _r: self._done("refreshed", "settings"),
            self._failed, name="refresh-settings")

    def retry_failed(self) -> None:
        """Retry the latest run's failed items (after fixing the mappings that failed them)."""
        if self._failed_run is None:
            return
        if self.dirty:
            self.message_label.setText("Save the mappings first, then retry.")
            return
        try:
            engine = self.services.make_engine()
        except Exception as exc:  # noqa: BLE001
            self._failed(exc)
            return
        run_id = self._failed_run
        self._busy("Retrying failed items…")
        self.services.run_in_background(
            lambda progress, cancel: engine.retry_failed(run_id, progress=progress, cancel=cancel),
            lambda result: self._done("retried", "runs", result), self._failed, name="retry-failed")

    def _busy(self, text: str) -> None:
        self.busy = True
        self.message_label.setText(text)
        self._update_buttons()
        self.retry_button.setEnabled(False)

    def _done(self, what: str, topic: str, result: Any = None) -> None:
        self.busy = False
        self.retry_button.setEnabled(True)
        self.refresh()
        if what == "refreshed":
            self.message_label.setText("Chart of accounts refreshed from Xero.")
        elif result is not None:
            self.message_label.setText(f"Retry finished: {getattr(result, 'message', '') or getattr(result, 'outcome', '')}")
        self.services.notify(topic)
        self.finished.emit(what)

    def _failed(self, exc: BaseException) -> None:
        from ..errors import describe

        self.busy = False
        self.retry_button.setEnabled(True)
        self._update_buttons()
        self.message_label.setText(getattr(exc, "user_message", None) or describe(exc))
        self.finished.emit("failed")

    # -- test and automation helpers --------------------------------------------------------
    def draft(self, kind: str, key: str) -> MappingDraft:
        return next(d for d in self.drafts if d.kind == kind and d.key == key)
