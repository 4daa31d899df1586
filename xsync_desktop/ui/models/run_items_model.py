"""The items of one run, for a table that must open a 1,000,000-item run at once.

Rows are fetched in blocks as the view scrolls (canFetchMore/fetchMore), by
keyset (id > last id seen), never OFFSET, so the millionth row costs what the
first does. Filters (outcome, entity, text) are SQL WHERE clauses; the total is
counted separately, in the background, since counting a big filtered run is the
slow part.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ...store.item_search import item_text_condition, run_condition
from ...store.models import SyncItem
from ...store.states import ItemOutcome
from ..qt import Qt, QtCore, Signal
from .loader import Loader, immediate
from .paged import PagedTableModel
from .style import ENTITY_LABELS, OUTCOME_LABELS, local_time, outcome_brush

BLOCK = 500

ItemIdRole = Qt.ItemDataRole.UserRole + 1
XeroIdRole = Qt.ItemDataRole.UserRole + 2
EntityRole = Qt.ItemDataRole.UserRole + 3
OutcomeRole = Qt.ItemDataRole.UserRole + 4


@dataclass(frozen=True)
class ItemFilter:
    outcome: str | None = None
    entity: str | None = None
    text: str = ""


@dataclass(frozen=True)
class ItemRow:
    id: int
    started_at: datetime | None
    finished_at: datetime | None
    entity: str
    local_id: int | None
    xero_id: str | None
    label: str
    action: str
    outcome: str
    message: str | None
    xero_messages: list[str] | None
    attempts: int
    superseded_by_id: int | None
    skip_reason: str | None

    @property
    def xero_text(self) -> str:
        return "; ".join(self.xero_messages or [])


_COLUMNS = (
    SyncItem.id, SyncItem.started_at, SyncItem.finished_at, SyncItem.entity, SyncItem.local_id,
    SyncItem.xero_id, SyncItem.label, SyncItem.action, SyncItem.outcome, SyncItem.message,
    SyncItem.xero_messages, SyncItem.attempts, SyncItem.superseded_by_id, SyncItem.skip_reason,
)


def outcome_text(r: ItemRow) -> str:
    """'Failed', or 'Failed, retried' / 'Failed, skipped' once a later action dealt with it."""
    text = OUTCOME_LABELS.get(r.outcome, r.outcome)
    if r.outcome == ItemOutcome.FAILED and r.superseded_by_id is not None:
        text += ", skipped" if r.skip_reason else ", retried"
    return text


def item_conditions(run_id: int, f: ItemFilter, dialect: str | None = None) -> list[Any]:
    """The filter as WHERE clauses; `dialect` (the session's) lets a text search use the full-text index."""
    text = f.text.strip()
    conds: list[Any] = [run_condition(run_id, text, dialect)]
    if f.outcome:
        conds.append(SyncItem.outcome == f.outcome)
    if f.entity:
        conds.append(SyncItem.entity == f.entity)
    if text:
        conds.append(item_text_condition(text, dialect))
    return conds


def fetch_item_rows(session: Session, run_id: int, f: ItemFilter, after_id: int, limit: int,
                    up_to_id: int | None = None) -> list[ItemRow]:
    stmt = select(*_COLUMNS).where(*item_conditions(run_id, f, _dialect(session)), SyncItem.id > after_id)
    if up_to_id is not None:
        stmt = stmt.where(SyncItem.id <= up_to_id)
    stmt = stmt.order_by(SyncItem.id).limit(limit)
    return [ItemRow(*r) for r in session.execute(stmt)]


def count_items(session: Session, run_id: int, f: ItemFilter) -> int:
    stmt = select(func.count()).select_from(SyncItem).where(*item_conditions(run_id, f, _dialect(session)))
    return int(session.scalar(stmt) or 0)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


class RunItemsModel(PagedTableModel):
    HEADERS = ("Time", "Record", "Type", "Action", "Outcome", "Message", "Xero's messages")
    total_changed = Signal(int)  # -1 while counting
    loading_changed = Signal(bool)

    def __init__(self, sessions: sessionmaker[Session], loader: Loader = immediate, *, block: int = BLOCK,
                 parent: QtCore.QObject | None = None) -> None:
        super().__init__(sessions, loader, block, parent)
        self._rows: list[ItemRow] = []
        self._run_id: int | None = None
        self._filter = ItemFilter()
        self._exhausted = True
        self.total = 0

    # -- what is shown -----------------------------------------------------------------
    @property
    def run_id(self) -> int | None:
        return self._run_id

    @property
    def item_filter(self) -> ItemFilter:
        return self._filter

    def set_run(self, run_id: int | None, f: ItemFilter | None = None) -> None:
        self._run_id = run_id
        if f is not None:
            self._filter = f
        self._restart()

    def set_filter(self, f: ItemFilter) -> None:
        if f != self._filter:
            self._filter = f
            self._restart()

    def _restart(self) -> None:
        self._generation.bump()
        self.beginResetModel()
        self._rows = []
        self._exhausted = self._run_id is None
        self._set_loading(False)
        self.endResetModel()
        self.total = 0
        if self._run_id is not None:
            self._count()
            self.fetchMore(QtCore.QModelIndex())
        else:
            self.total_changed.emit(0)

    def refresh(self) -> None:
        """A running sync added or finished items: update loaded rows, let new ones be fetched.

        Cheap for what is on screen; a person who has scrolled far into a huge run
        gets only the new rows (re-reading a huge loaded range is not worth it).
        """
        if self._run_id is None or self._loading:
            return
        gen, run_id, f = self._generation.value, self._run_id, self._filter
        if self._rows and len(self._rows) <= 5 * self._block:
            first, last = self._rows[0].id, self._rows[-1].id

            def query() -> list[ItemRow]:
                with self._sessions() as s:
                    return fetch_item_rows(s, run_id, f, first - 1, len(self._rows) + self._block, up_to_id=last)

            def done(rows: list[ItemRow]) -> None:
                if not self._generation.current(gen):
                    return
                if [r.id for r in rows] != [r.id for r in self._rows]:
                    self._restart()
                    return
                self._rows = rows
                self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, len(self.HEADERS) - 1))
                self._exhausted = False
                self._count()
                self.fetchMore(QtCore.QModelIndex())

            self._loader(query, done)
            return
        self._exhausted = False
        self._count()
        self.fetchMore(QtCore.QModelIndex())

    def _count(self) -> None:
        gen, run_id, f = self._generation.value, self._run_id, self._filter
        assert run_id is not None
        self.total = -1
        self.total_changed.emit(-1)

        def query() -> int:
            with self._sessions() as s:
                return count_items(s, run_id, f)

        def done(n: int) -> None:
            if self._generation.current(gen):
                self.total = n
                self.total_changed.emit(n)

        self._loader(query, done)

    def _set_loading(self, value: bool) -> None:
        if value != self._loading:
            self._loading = value
            self.loading_changed.emit(value)

    # -- paging ---------------------------------------------------------------------------
    def canFetchMore(self, parent: QtCore.QModelIndex = QtCore.QModelIndex()) -> bool:  # noqa: B008,N802
        return not parent.isValid() and not self._exhausted and not self._loading

    def fetchMore(self, parent: QtCore.QModelIndex = QtCore.QModelIndex()) -> None:  # noqa: B008,N802
        if not self.canFetchMore(parent):
            return
        gen, run_id, f = self._generation.value, self._run_id, self._filter
        assert run_id is not None
        after = self._rows[-1].id if self._rows else 0
        block = self._block
        self._set_loading(True)

        def query() -> list[ItemRow]:
            with self._sessions() as s:
                return fetch_item_rows(s, run_id, f, after, block)

        def done(rows: list[ItemRow]) -> None:
            if not self._generation.current(gen):
                return
            self._set_loading(False)
            self._exhausted = len(rows) < block
            self._append_rows(rows)

        self._loader(query, done)

    # -- Qt model API ---------------------------------------------------------------------
    def rows(self) -> list[ItemRow]:
        return list(self._rows)

    def _role_data(self, r: ItemRow, col: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == 0:
                return local_time(r.finished_at or r.started_at) or None
            if col == 1:
                return r.label or None
            if col == 5:
                return r.message or None
            if col == 6:
                return "\n".join(r.xero_messages or []) or None
            return None
        if role == Qt.ItemDataRole.ForegroundRole and col == 4:
            return outcome_brush(r.outcome)
        if role == ItemIdRole:
            return r.id
        if role == XeroIdRole:
            return r.xero_id
        if role == EntityRole:
            return r.entity
        if role == OutcomeRole:
            return r.outcome
        return None

    @staticmethod
    def _display(r: ItemRow, col: int) -> str:
        if col == 0:  # the date is in the run's title and the tooltip; one run rarely spans midnight
            moment = r.finished_at or r.started_at
            return moment.astimezone().strftime("%H:%M:%S") if moment else ""
        if col == 1:
            return r.label or f"{ENTITY_LABELS.get(r.entity, r.entity)} {r.local_id or ''}".strip()
        if col == 2:
            return ENTITY_LABELS.get(r.entity, r.entity)
        if col == 3:
            return r.action
        if col == 4:
            return outcome_text(r)
        if col == 5:
            return (r.message or "").replace("\n", " ")
        if col == 6:
            return r.xero_text
        return ""


def all_rows(sessions: sessionmaker[Session], run_id: int, f: ItemFilter,
             each: Callable[[ItemRow], None], block: int = 5000) -> int:
    """Walk every matching row in id order, block by block (CSV export); returns how many."""
    after, n = 0, 0
    while True:
        with sessions() as s:
            rows = fetch_item_rows(s, run_id, f, after, block)
        for r in rows:
            each(r)
        n += len(rows)
        if len(rows) < block:
            return n
        after = rows[-1].id
