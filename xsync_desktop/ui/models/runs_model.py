"""Run history, newest first, fetched in pages as the view scrolls.

A refresh while a sync is running keeps the rows already loaded: new runs are
inserted at the top and changed ones updated in place, so the selection and the
scroll position survive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ...store.models import SyncRun
from ..latest import Generation
from ..qt import Qt, QtCore
from .loader import Loader, immediate
from .paged import PagedTableModel
from .style import OUTCOME_LABELS, duration_text, local_time, outcome_brush

BLOCK = 200
RunIdRole = Qt.ItemDataRole.UserRole + 1

TRIGGER_LABELS = {"manual": "Manual", "scheduled": "Scheduled", "retry": "Retry", "cli": "Command line",
                  "resolve": "Exception resolved", "skip": "Skip"}


@dataclass(frozen=True)
class RunRow:
    id: int
    started_at: datetime
    finished_at: datetime | None
    trigger: str
    outcome: str
    message: str | None
    dry_run: bool
    contacts_synced: int
    invoices_pushed: int
    credit_notes_pushed: int
    payments_pushed: int
    payments_pulled: int
    invoices_reconciled: int
    failed: int
    retried: int
    skipped: int
    needs_review: int

    @property
    def synced(self) -> int:
        return (self.contacts_synced + self.invoices_pushed + self.credit_notes_pushed + self.payments_pushed
                + self.payments_pulled + self.invoices_reconciled)


def fetch_runs(session: Session, before_id: int | None, limit: int) -> list[RunRow]:
    stmt = select(SyncRun)
    if before_id is not None:
        stmt = stmt.where(SyncRun.id < before_id)
    stmt = stmt.order_by(SyncRun.id.desc()).limit(limit)
    return [run_row(r) for r in session.scalars(stmt)]


def run_row(r: SyncRun) -> RunRow:
    return RunRow(
        r.id, r.started_at, r.finished_at, r.trigger, r.outcome, r.message, bool(r.dry_run),
        r.contacts_synced or 0, r.invoices_pushed or 0, r.credit_notes_pushed or 0, r.payments_pushed or 0,
        r.payments_pulled or 0, r.invoices_reconciled or 0, r.failed or 0, r.retried or 0, r.skipped or 0,
        r.needs_review or 0,
    )


class RunsModel(PagedTableModel):
    HEADERS = ("Started", "Trigger", "Outcome", "Synced", "Failed", "Retried", "Skipped", "Duration", "Summary")

    def __init__(self, sessions: sessionmaker[Session], loader: Loader = immediate, *, block: int = BLOCK,
                 parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._sessions = sessions
        self._loader = loader
        self._block = block
        self._rows: list[RunRow] = []
        self._exhausted = False
        self._loading = False
        self._generation = Generation()

    def reload(self) -> None:
        self._generation.bump()
        self.beginResetModel()
        self._rows = []
        self._exhausted = False
        self._loading = False
        self.endResetModel()
        self.fetchMore(QtCore.QModelIndex())

    def refresh(self) -> None:
        """Newer runs go on top, changed ones are updated in place."""
        if self._loading:
            return
        gen = self._generation.value
        limit = max(len(self._rows), self._block)

        def query() -> list[RunRow]:
            with self._sessions() as s:
                return fetch_runs(s, None, limit)

        def done(rows: list[RunRow]) -> None:
            if not self._generation.current(gen):
                return
            old_ids = [r.id for r in self._rows]
            new_ids = [r.id for r in rows]
            k = len(new_ids) - len(old_ids)
            if not old_ids or k < 0 or new_ids[k:] != old_ids:
                self._generation.bump()
                self.beginResetModel()
                self._rows = rows
                self._exhausted = len(rows) < limit
                self.endResetModel()
                return
            if k:
                self.beginInsertRows(QtCore.QModelIndex(), 0, k - 1)
                self._rows[0:0] = rows[:k]
                self.endInsertRows()
            for i in range(k, len(rows)):
                if rows[i] != self._rows[i]:
                    self._rows[i] = rows[i]
                    self.dataChanged.emit(self.index(i, 0), self.index(i, len(self.HEADERS) - 1))

        self._loader(query, done)

    def canFetchMore(self, parent: QtCore.QModelIndex = QtCore.QModelIndex()) -> bool:  # noqa: B008,N802
        return not parent.isValid() and not self._exhausted and not self._loading

    def fetchMore(self, parent: QtCore.QModelIndex = QtCore.QModelIndex()) -> None:  # noqa: B008,N802
        if not self.canFetchMore(parent):
            return
        gen = self._generation.value
        before = self._rows[-1].id if self._rows else None
        block = self._block
        self._loading = True

        def query() -> list[RunRow]:
            with self._sessions() as s:
                return fetch_runs(s, before, block)

        def done(rows: list[RunRow]) -> None:
            if not self._generation.current(gen):
                return
            self._loading = False
            self._exhausted = len(rows) < block
            self._append_rows(rows)

        self._loader(query, done)

    def row_of(self, run_id: int) -> int:
        for i, r in enumerate(self._rows):
            if r.id == run_id:
                return i
        return -1

    def data(self, index: QtCore.QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        r = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(r, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            return r.message or None
        if role == Qt.ItemDataRole.ForegroundRole and col == 2:
            return outcome_brush(r.outcome)
        if role == Qt.ItemDataRole.TextAlignmentRole and 3 <= col <= 6:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == RunIdRole:
            return r.id
        return None

    @staticmethod
    def _display(r: RunRow, col: int) -> str:
        if col == 0:
            return local_time(r.started_at, seconds=False)
        if col == 1:
            text = TRIGGER_LABELS.get(r.trigger, r.trigger)
            return text + (" (dry run)" if r.dry_run else "")
        if col == 2:
            return OUTCOME_LABELS.get(r.outcome, r.outcome)
        if col == 3:
            return f"{r.synced:,}"
        if col == 4:
            return f"{r.failed:,}"
        if col == 5:
            return f"{r.retried:,}"
        if col == 6:
            return f"{r.skipped:,}"
        if col == 7:
            return duration_text(r.started_at, r.finished_at)
        if col == 8:
            return (r.message or "").replace("\n", " ")
        return ""
