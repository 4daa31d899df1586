"""Exceptions: conflicts a person decides, open ones first, with the ledger's and Xero's
values side by side and only the actions that fit each one.

Resolving runs in the background runner: "keep the ledger's value" and "link" end with a
sync run that re-pushes to Xero, which must never block the window. Loading runs there
too: naming each row's record is a query, and a long history would freeze the window;
the list holds the newest LIST_LIMIT rows (open ones first) and says when there are more. Destructive actions
ask first. Who resolved is the OS user name by default, editable; the history keeps who,
when, how and the note.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...store.states import ExceptionStatus
from ...sync.exceptions import resolve_exception
from ..latest import BackgroundLoad
from ..qt import Qt, QtWidgets, Signal
from ..refresh import RefreshCoalescer
from ..services import AppServices
from .exceptions_link_dialog import LinkDialog
from .exceptions_rows import (
    ACTION_TITLES,
    STATUS_TITLES,
    ExceptionRow,
    age_text,
    default_user,
    field_title,
    load_exceptions,
)
from .records_models import Column, RowFilterProxy, RowTableModel, contains_text, fit_columns, format_value

# What each action will do, said before it is done (the confirmation text).
_CONFIRM = {
    "accept_xero": "Write Xero's value into the ledger for {record}?\n\nLedger: {ledger}\nXero: {xero}\n\n"
                   "The change is logged in the change log.",
    "keep_ledger": "Send the ledger's value to Xero again for {record}?\n\nLedger: {ledger}\nXero: {xero}\n\n"
                   "A sync runs now and overwrites Xero's value.",
    "link": "Link {record} to the Xero object {xero_id}?\n\nA sync runs now and updates it from the ledger.",
}
_PUSHES = {"keep_ledger", "link", "renumber"}
_HISTORY_COLUMNS = ("Resolution", "By", "When", "Note")
_FIRST_HISTORY_COLUMN = 7
#: rows listed at most (open ones first, then the newest history)
LIST_LIMIT = 5000


def exception_columns() -> list[Column[ExceptionRow]]:
    return [
        Column("Status", lambda r: r.status, text=lambda r: STATUS_TITLES.get(r.status, r.status),
               alert=lambda r: r.is_open, good=lambda r: r.status == ExceptionStatus.RESOLVED),
        Column("Kind", lambda r: r.kind_title, tooltip=lambda r: f"{r.kind_title}\n{r.detail}" if r.detail
               else r.kind_title),
        Column("Record", lambda r: r.record),
        Column("Field", lambda r: r.field, text=lambda r: field_title(r.field)),
        Column("Ledger value", lambda r: r.ledger_value, tooltip=lambda r: r.ledger_value),
        Column("Xero value", lambda r: r.xero_value, tooltip=lambda r: r.xero_value),
        Column("Age", lambda r: r.first_seen, text=lambda r: age_text(r.age),
               tooltip=lambda r: f"first seen {format_value(r.first_seen)}, last seen {format_value(r.last_seen)}"),
        Column("Resolution", lambda r: r.resolution, text=lambda r: ACTION_TITLES.get(r.resolution or "", "")
               .rstrip("\u2026").replace(" with a note", "")),
        Column("By", lambda r: r.resolved_by),
        Column("When", lambda r: r.resolved_at),
        Column("Note", lambda r: r.resolution_note, tooltip=lambda r: r.resolution_note),
    ]


def _value_box(title: str) -> tuple[QtWidgets.QGroupBox, QtWidgets.QLabel]:
    box = QtWidgets.QGroupBox(title)
    label = QtWidgets.QLabel()
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setMinimumHeight(36)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 1.15)
    label.setFont(font)
    QtWidgets.QVBoxLayout(box).addWidget(label)
    return box, label


# What dismissing does (issue 13): it is not "keep the ledger's value".
DISMISS_MEANS = ("Dismiss leaves both sides as they are: the ledger keeps its value and Xero keeps its own. "
                 "Nothing is sent to Xero for this field until someone decides (accept Xero's value or keep the "
                 "ledger's in a later exception, or change it in the ledger again).")


class ExceptionsView(QtWidgets.QWidget):
    """Open exceptions and their history; resolve with the actions that fit."""

    loaded = Signal()
    #: (exception id, action) after a resolution finished; ("", "failed") style errors go to message
    resolved = Signal(int, str)
    failed = Signal(int, str)

    def __init__(self, services: AppServices, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("exceptionsView")
        self.services = services
        self.busy = False
        self.link_dialog: LinkDialog | None = None
        self._load = BackgroundLoad(services, "exceptions-load")
        #: more exceptions exist than the list holds
        self.truncated = False
        self._after_load: list[Callable[[], None]] = []

        self.kind_box = QtWidgets.QComboBox()
        self.kind_box.setObjectName("exceptionKind")
        self.kind_box.addItem("All kinds", None)
        self.status_box = QtWidgets.QComboBox()
        self.status_box.setObjectName("exceptionStatus")
        for title, value in (("Open", ExceptionStatus.OPEN), ("History (resolved and dismissed)", "closed"), ("All", None)):
            self.status_box.addItem(title, value)
        self.search = QtWidgets.QLineEdit()
        self.search.setPlaceholderText("Search record, value, note\u2026")
        self.search.setClearButtonEnabled(True)
        self.who_edit = QtWidgets.QLineEdit(default_user())
        self.who_edit.setObjectName("resolvedBy")
        self.who_edit.setMaximumWidth(180)
        self.who_edit.setToolTip("Recorded as the person who resolved the exception")
        self.count_label = QtWidgets.QLabel()

        self.model: RowTableModel[ExceptionRow] = RowTableModel(exception_columns(), self)
        self.proxy = RowFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = QtWidgets.QTableView()
        self.table.setObjectName("exceptionsTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(False)  # the query's order (open first, oldest first) is the point
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)

        # detail panel
        self.title_label = QtWidgets.QLabel()
        self.title_label.setObjectName("exceptionTitle")
        self.title_label.setWordWrap(True)
        ledger_box, self.ledger_label = _value_box("Ledger")
        xero_box, self.xero_label = _value_box("Xero")
        self.detail_label = QtWidgets.QLabel()
        self.detail_label.setWordWrap(True)
        self.history_label = QtWidgets.QLabel()
        self.history_label.setObjectName("exceptionHistory")
        self.history_label.setWordWrap(True)
        self.message_label = QtWidgets.QLabel()
        self.message_label.setObjectName("exceptionsMessage")
        self.message_label.setWordWrap(True)
        self.action_buttons: dict[str, QtWidgets.QPushButton] = {}
        actions_row = QtWidgets.QHBoxLayout()
        for action, title in ACTION_TITLES.items():
            button = QtWidgets.QPushButton(title)
            button.setObjectName(f"action_{action}")
            button.clicked.connect(lambda _c=False, a=action: self.act(a))
            self.action_buttons[action] = button
            actions_row.addWidget(button)
        actions_row.addStretch(1)

        bar = QtWidgets.QHBoxLayout()
        bar.addWidget(self.kind_box)
        bar.addWidget(self.status_box)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.count_label)
        bar.addWidget(QtWidgets.QLabel("Resolving as:"))
        bar.addWidget(self.who_edit)

        values = QtWidgets.QHBoxLayout()
        values.addWidget(ledger_box, 1)
        values.addWidget(xero_box, 1)
        detail = QtWidgets.QWidget()
        dl = QtWidgets.QVBoxLayout(detail)
        dl.setContentsMargins(0, 0, 0, 0)
        dl.addWidget(self.title_label)
        dl.addLayout(values)
        dl.addWidget(self.detail_label)
        dl.addWidget(self.history_label)
        dl.addLayout(actions_row)
        dl.addWidget(self.message_label)

        splitter = QtWidgets.QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)

        self.kind_box.currentIndexChanged.connect(lambda _i: self._apply_filter())
        self.status_box.currentIndexChanged.connect(lambda _i: self._apply_filter())
        self.search.textChanged.connect(lambda _t: self._apply_filter())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._show_selected())
        self._coalescer = RefreshCoalescer(self, self.refresh, services.changed, ("runs", "exceptions"))
        self._show_selected()

    # -- loading -------------------------------------------------------------------------
    def refresh(self, then: Callable[[], None] | None = None) -> None:
        """Reload in a worker thread; `then` runs on the GUI thread once the list shows the result.

        Refreshes that overlap are fine: only the latest one's rows are shown, and every
        `then` waiting runs after them.
        """
        tenant_id, _ = self.services.tenant()
        if then is not None:
            self._after_load.append(then)
        self.count_label.setText("Loading\u2026")
        sessions = self.services.store.sessions

        def work() -> list[ExceptionRow]:
            with sessions() as session:
                return load_exceptions(session, tenant_id, limit=LIST_LIMIT + 1)

        def failed(exc: BaseException) -> None:
            from ..errors import describe

            self.message_label.setText(f"The exceptions could not be read: {describe(exc)}")
            self._loaded(None)

        self._load.start(work, self._loaded, failed)

    @property
    def loading(self) -> bool:
        """A load is running in a worker thread."""
        return self._load.loading

    def _loaded(self, rows: list[ExceptionRow] | None) -> None:
        if rows is not None:
            self.truncated = len(rows) > LIST_LIMIT
            self._show_rows(rows[:LIST_LIMIT])
        else:
            self._apply_filter()
        waiting, self._after_load = self._after_load, []
        for callback in waiting:
            callback()
        self.loaded.emit()

    def _show_rows(self, rows: list[ExceptionRow]) -> None:
        keep = self.selected()
        self.model.set_rows(rows)
        kinds = sorted({(r.kind_title, r.kind) for r in rows})
        current = self.kind_box.currentData()
        self.kind_box.blockSignals(True)
        self.kind_box.clear()
        self.kind_box.addItem("All kinds", None)
        for title, kind in kinds:
            self.kind_box.addItem(title, kind)
        self.kind_box.setCurrentIndex(max(0, self.kind_box.findData(current)))
        self.kind_box.blockSignals(False)
        self._apply_filter()
        fit_columns(self.table, 300)  # the kind's words fit; longer ones elide with a tooltip
        self.table.setColumnWidth(1, min(340, max(self.table.columnWidth(1), self.table.sizeHintForColumn(1))))
        if keep is not None:
            self.select_exception(keep.id)
        self._show_selected()

    def _apply_filter(self) -> None:
        kind = self.kind_box.currentData()
        status = self.status_box.currentData()
        text = self.search.text().strip()

        def accept(r: ExceptionRow) -> bool:
            if kind and r.kind != kind:
                return False
            if status == ExceptionStatus.OPEN and not r.is_open:
                return False
            if status == "closed" and r.is_open:
                return False
            return contains_text(text, r.record, r.kind_title, r.ledger_value, r.xero_value, r.resolution_note,
                                 r.resolved_by, r.field)

        self.proxy.set_predicate(accept)
        for col in range(len(_HISTORY_COLUMNS)):  # who/when/how only mean something for closed ones
            self.table.setColumnHidden(_FIRST_HISTORY_COLUMN + col, status == ExceptionStatus.OPEN)
        open_count = sum(1 for r in self.model.rows() if r.is_open)
        more = f" (the newest {LIST_LIMIT:,}; older history is in the database)" if self.truncated else ""
        self.count_label.setText(f"{self.proxy.rowCount()} shown, {open_count} open{more}")
        if self.selected() is None and self.proxy.rowCount():
            self.table.selectRow(0)
        self._show_selected()

    # -- selection -------------------------------------------------------------------------
    def selected(self) -> ExceptionRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.proxy.row_at(rows[0].row()) if rows else None

    def select_exception(self, exception_id: int) -> bool:
        for r in range(self.proxy.rowCount()):
            if self.proxy.row_at(r).id == exception_id:
                self.table.selectRow(r)
                return True
        return False

    def _show_selected(self) -> None:
        row = self.selected()
        if row is None:
            self.title_label.setText("No exception selected." if self.model.rowCount() else
                                     "No exceptions: Xero and the ledger agree.")
            self.ledger_label.setText("")
            self.xero_label.setText("")
            self.detail_label.setText("")
            self.history_label.setText("")
            for button in self.action_buttons.values():
                button.setVisible(False)
            return
        field = f" \u2014 {field_title(row.field)}" if row.field else ""
        self.title_label.setText(f"<b>{row.kind_title}</b>: {row.record}{field} "
                                 f"(open {age_text(row.age)})" if row.is_open else
                                 f"<b>{row.kind_title}</b>: {row.record}{field}")
        self.ledger_label.setText(row.ledger_value if row.ledger_value is not None else "(none)")
        self.xero_label.setText(row.xero_value if row.xero_value is not None else "(none)")
        self.detail_label.setText(row.detail or "")
        if row.is_open:  # a decision that did not take (a failed re-push) says why
            self.history_label.setText(row.resolution_note or "")
        else:
            how = ACTION_TITLES.get(row.resolution or "", row.resolution or "").rstrip("\u2026")
            note = f" Note: {row.resolution_note}" if row.resolution_note else ""
            self.history_label.setText(
                f"{STATUS_TITLES.get(row.status, row.status)} by {row.resolved_by or '?'} on "
                f"{format_value(row.resolved_at)}: {how}.{note}")
        for action, button in self.action_buttons.items():
            button.setVisible(action in row.actions)
            button.setEnabled(not self.busy)

    # -- actions ---------------------------------------------------------------------------
    def act(self, action: str) -> None:
        """Carry out `action` on the selected exception, asking first where it changes data."""
        row = self.selected()
        if row is None or action not in row.actions or self.busy:
            return
        who = self.who_edit.text().strip()
        if not who:
            self.message_label.setText("Enter who is resolving (\u201cResolving as\u201d).")
            self.who_edit.setFocus()
            return
        if action == "dismiss":
            note, ok = QtWidgets.QInputDialog.getMultiLineText(
                self, "Dismiss exception", f"Why is \u201c{row.kind_title}\u201d on {row.record} dismissed?\n\n"
                f"{DISMISS_MEANS}")
            if not ok:
                return
            if not note.strip():
                self.message_label.setText("Dismissing needs a note saying why. Nothing was changed.")
                return
            self._resolve(row, action, who, note=note.strip())
            return
        if action == "link":
            self._open_link_dialog(row, who)
            return
        if row.item_id is not None:
            self._act_on_held(row, action)
            return
        if action == "renumber":
            number, ok = QtWidgets.QInputDialog.getText(
                self, "Renumber in the ledger",
                f"Xero already uses this number for another document. New number for {row.record}\n"
                "(it is sent to Xero under this number; the change is logged):")
            if not ok or not number.strip():
                return
            self._resolve(row, action, who, new_number=number.strip())
            return
        if not self._confirm(row, action):
            return
        self._resolve(row, action, who)

    def _act_on_held(self, row: ExceptionRow, action: str) -> None:
        """A held ledger change: retry it (after fixing it in Xero) or skip it with a reason.

        The same run-item actions as the Runs view, through the app's one sync controller;
        the list reloads when that run ends (its "runs"/"exceptions" notices).
        """
        assert row.item_id is not None
        sync = self.services.sync
        if sync is None:
            return
        if action == "skip":
            reason, ok = QtWidgets.QInputDialog.getText(
                self, "Skip", f"Why skip the held change to {row.record}? (kept in the run log)")
            if not ok or not reason.strip():
                self.message_label.setText("Skipping needs a reason. Nothing was changed.")
                return
            started = sync.skip_item(row.item_id, reason.strip())
        else:
            started = sync.retry_item(row.item_id)
        if not started:
            self.message_label.setText("A sync is running: try again when it has finished.")
            return
        self.message_label.setText(f"{ACTION_TITLES[action].rstrip(chr(0x2026))}: {row.record}\u2026")
        sync.busy_changed.connect(self._held_done(row, action))

    def _held_done(self, row: ExceptionRow, action: str) -> Callable[[bool], None]:
        sync = self.services.sync

        def done(busy: bool) -> None:
            if busy:
                return
            sync.busy_changed.disconnect(done)
            self.message_label.setText(f"{row.record}: {ACTION_TITLES[action].rstrip(chr(0x2026)).lower()} "
                                       "\u2014 done. The Runs view has the details.")
            self.refresh(then=lambda: self.resolved.emit(row.id, action))

        return done

    def _confirm(self, row: ExceptionRow, action: str, xero_id: str | None = None) -> bool:
        text = _CONFIRM[action].format(record=row.record, ledger=row.ledger_value or "(none)",
                                       xero=row.xero_value or "(none)", xero_id=xero_id or "")
        answer = QtWidgets.QMessageBox.question(
            self, ACTION_TITLES[action].rstrip("\u2026"), text,
            QtWidgets.QMessageBox.StandardButton.Yes | QtWidgets.QMessageBox.StandardButton.Cancel,
            QtWidgets.QMessageBox.StandardButton.Cancel)
        return answer == QtWidgets.QMessageBox.StandardButton.Yes

    def _open_link_dialog(self, row: ExceptionRow, who: str) -> None:
        tenant_id, _ = self.services.tenant()
        if not tenant_id:
            self.message_label.setText("Not connected to Xero: connect first.")
            return
        initial = row.record.split(" ", 1)[1] if " " in row.record else row.record
        dialog = LinkDialog(self.services, tenant_id, row.entity, initial, self)
        self.link_dialog = dialog

        def finished(result: int) -> None:
            self.link_dialog = None
            dialog.deleteLater()
            if result != QtWidgets.QDialog.DialogCode.Accepted or not dialog.chosen_id:
                return
            if self._confirm(row, "link", dialog.chosen_id):
                self._resolve(row, "link", who, xero_id=dialog.chosen_id)

        dialog.finished.connect(finished)
        dialog.open()  # not exec(): the window keeps painting while the person searches
        if initial:
            dialog.search()

    def _resolve(self, row: ExceptionRow, action: str, who: str, note: str | None = None,
                 xero_id: str | None = None, new_number: str | None = None) -> None:
        engine = None
        if action in _PUSHES:
            try:
                engine = self.services.make_engine()
            except Exception as exc:  # noqa: BLE001 - e.g. not connected: say so
                self._failed(row.id, exc)
                return
        store = self.services.store
        self.busy = True
        self.message_label.setText("Sending to Xero\u2026" if engine is not None else "Saving\u2026")
        self._show_selected()

        def work() -> None:
            resolve_exception(store, engine, row.id, action, who, note, xero_id, new_number=new_number,
                              seen_version=row.version)

        def done(_result: Any) -> None:
            self.busy = False
            self.message_label.setText(f"{row.kind_title} on {row.record}: "
                                       f"{ACTION_TITLES[action].rstrip(chr(0x2026)).lower()} \u2014 done.")
            self.refresh(then=lambda: self.resolved.emit(row.id, action))  # said once the list shows it
            for topic in ("exceptions", "ledger") + (("runs",) if engine is not None else ()):
                self.services.notify(topic)

        self.services.run_in_background(work, done, lambda exc: self._failed(row.id, exc), name="resolve")

    def _failed(self, exception_id: int, exc: BaseException) -> None:
        from ...sync.exceptions import ResolveError
        from ..errors import environment_message

        self.busy = False
        text = getattr(exc, "user_message", None) or environment_message(exc)
        if text is None and isinstance(exc, ResolveError):
            text = str(exc)
        if text is None:  # a bug: the app's reporter logs it with its traceback
            self.services.report_error(exc)
            text = f"unexpected error ({type(exc).__name__}); details are in the log"
        self.message_label.setText(f"Not resolved: {text}")
        self.refresh(then=lambda: self.failed.emit(exception_id, text))
