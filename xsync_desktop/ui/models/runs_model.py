"""Run history, newest first, fetched in pages as the view scrolls.

A refresh while a sync is running keeps the rows already loaded: new runs are
inserted at the top and changed ones updated in place, so the selection and the
scroll position survive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased, sessionmaker

from ...store.models import SyncItem, SyncRun
from ...store.states import ItemOutcome, RunOutcome
from ..qt import Qt, QtCore
from .loader import Loader, immediate
from .paged import PagedTableModel
from .style import OUTCOME_LABELS, SETTLED, duration_text, local_time, outcome_brush

BLOCK = 200
RunIdRole = Qt.ItemDataRole.UserRole + 1
#: how the engine starts a dry run's summary (the CLI's word for a preview)
DRY_RUN_PREFIX = "Dry run: "

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
    #: the run's failed items as they stand now: retried since with success, skipped by a person, still failing
    retried_ok: int = 0
    skipped_since: int = 0
    still_failed: int = 0

    @property
    def failed_now(self) -> int:
        """Items that failed in this run, however they stand now."""
        return self.retried_ok + self.skipped_since + self.still_failed

    @property
    def failed_text(self) -> str:
        """'4 failed: 3 retried OK, 1 skipped' - what became of the run's failures."""
        total = max(self.failed, self.failed_now)
        if total == 0:
            return "0"
        parts = [f"{n} {words}" for n, words in ((self.retried_ok, "retried OK"), (self.skipped_since, "skipped"),
                                                  (self.still_failed, "still failing")) if n]
        if parts == [f"{self.still_failed} still failing"] or not parts:
            return f"{total:,}"
        return f"{total:,} failed: " + ", ".join(parts)

    @property
    def failed_short(self) -> str:
        """The Failed column: how many failed, and how many of those still fail (the Retried and
        Skipped columns beside it say what became of the others)."""
        total = max(self.failed, self.failed_now)
        if self.still_failed and self.still_failed != total:
            return f"{total:,}, {self.still_failed:,} still failing"
        return f"{total:,}"

    @property
    def retried_now(self) -> int:
        """Retries this run sent for earlier failures, and its own failures retried OK since."""
        return self.retried + self.retried_ok

    @property
    def skipped_now(self) -> int:
        """Items this run left out, and its own failures a person skipped since."""
        return self.skipped + self.skipped_since

    @property
    def outcome_now(self) -> str:
        """A failed run whose failures were all retried or skipped is settled."""
        if self.outcome == RunOutcome.FAILED and self.failed_now and not self.still_failed:
            return SETTLED
        return self.outcome

    @property
    def synced(self) -> int:
        return (self.contacts_synced + self.invoices_pushed + self.credit_notes_pushed + self.payments_pushed
                + self.payments_pulled + self.invoices_reconciled)


def fetch_runs(session: Session, before_id: int | None, limit: int) -> list[RunRow]:
    stmt = select(SyncRun)
    if before_id is not None:
        stmt = stmt.where(SyncRun.id < before_id)
    stmt = stmt.order_by(SyncRun.id.desc()).limit(limit)
    runs = list(session.scalars(stmt))
    fates = failure_fates(session, [r.id for r in runs])
    return [run_row(r, fates.get(r.id, (0, 0, 0))) for r in runs]


def failure_fates(session: Session, run_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """run id -> (retried OK, skipped by a person, still failing) for its failed items, now.

    One grouped query over the failed and skipped items of a page of runs (indexed by run),
    so the counts follow every retry and skip without touching the run rows.
    """
    if not run_ids:
        return {}
    later = aliased(SyncItem)
    failed = SyncItem.outcome == ItemOutcome.FAILED
    retried_ok = and_(failed, later.outcome == ItemOutcome.SUCCEEDED)
    skipped = and_(SyncItem.outcome == ItemOutcome.SKIPPED, SyncItem.skip_reason.is_not(None))
    still = and_(failed, or_(later.id.is_(None), later.outcome != ItemOutcome.SUCCEEDED))
    stmt = (select(SyncItem.run_id, func.sum(case((retried_ok, 1), else_=0)),
                   func.sum(case((skipped, 1), else_=0)), func.sum(case((still, 1), else_=0)))
            .outerjoin(later, later.id == SyncItem.superseded_by_id)
            .where(SyncItem.run_id.in_(run_ids), SyncItem.outcome.in_((ItemOutcome.FAILED, ItemOutcome.SKIPPED)))
            .group_by(SyncItem.run_id))
    return {run_id: (int(a or 0), int(b or 0), int(c or 0)) for run_id, a, b, c in session.execute(stmt)}


def run_row(r: SyncRun, fates: tuple[int, int, int] = (0, 0, 0)) -> RunRow:
    return RunRow(
        r.id, r.started_at, r.finished_at, r.trigger, r.outcome, r.message, bool(r.dry_run),
        r.contacts_synced or 0, r.invoices_pushed or 0, r.credit_notes_pushed or 0, r.payments_pushed or 0,
        r.payments_pulled or 0, r.invoices_reconciled or 0, r.failed or 0, r.retried or 0, r.skipped or 0,
        r.needs_review or 0, *fates,
    )


def summary_text(r: RunRow) -> str:
    """The run's summary on one line; a dry run (a CLI preview) in the window's words."""
    text = (r.message or "").replace("\n", " ")
    if r.dry_run and text.startswith(DRY_RUN_PREFIX):
        text = "Preview, nothing sent: would send " + text[len(DRY_RUN_PREFIX):]
    return text


class RunsModel(PagedTableModel):
    HEADERS = ("Started", "Trigger", "Outcome", "Synced", "Failed", "Retried", "Skipped", "Duration", "Summary")

    def __init__(self, sessions: sessionmaker[Session], loader: Loader = immediate, *, block: int = BLOCK,
                 parent: QtCore.QObject | None = None) -> None:
        super().__init__(sessions, loader, block, parent)
        self._rows: list[RunRow] = []
        self._exhausted = False

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

    def _role_data(self, r: RunRow, col: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == 4 and r.failed_now:
                return r.failed_text
            return r.message or None
        if role == Qt.ItemDataRole.ForegroundRole and col == 2:
            return outcome_brush(RunOutcome.SUCCEEDED if r.outcome_now == SETTLED else r.outcome)
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
            return text + (" (preview)" if r.dry_run else "")
        if col == 2:
            return OUTCOME_LABELS.get(r.outcome_now, r.outcome_now)
        if col == 3:
            return f"{r.synced:,}"
        if col == 4:
            return r.failed_short
        if col == 5:
            return f"{r.retried_now:,}"
        if col == 6:
            return f"{r.skipped_now:,}"
        if col == 7:
            return duration_text(r.started_at, r.finished_at)
        if col == 8:
            return summary_text(r)
        return ""
