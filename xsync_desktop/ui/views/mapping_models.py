"""The mapping table (one per mapping kind) and its searchable drop-down editor.

The model edits `MappingDraft`s in memory; nothing reaches the database until the view's
Save validates every draft. After each edit the view re-validates and the model repaints,
so an invalid or archived choice turns red with its reason at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..qt import Qt, QtCore, QtGui, QtWidgets
from .mapping_rows import EM_DASH, MappingChoices, MappingDraft

_RED = QtGui.QColor("#b3261e")
_BLUE = QtGui.QColor("#1d5fa6")
KeyRole = int(Qt.ItemDataRole.UserRole) + 2  # the raw value a cell holds (code, tax type, "cat\x1fopt")
TRACK_SEP = "\x1f"

# Column layouts per kind: (title, field). Fields: title, used, account, tax, tracking, blocked, status.
_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "charge_type": [("Charge type", "title"), ("Lines", "used"), ("Xero account", "account"),
                    ("Tax type", "tax"), ("Items held back", "blocked"), ("Status", "status")],
    "payment_method": [("Payment method", "title"), ("Payments", "used"), ("Bank account", "account"),
                       ("Items held back", "blocked"), ("Status", "status")],
    "facility": [("Facility", "title"), ("Tracking option", "tracking"), ("Items held back", "blocked"),
                 ("Status", "status")],
}
EDITABLE = {"account", "tax", "tracking"}
NONE_TEXT = {"account": "(not mapped)", "tax": "(account's default)", "tracking": "(no tracking)"}


class MappingTableModel(QtCore.QAbstractTableModel):
    """Drafts of one kind; account/tax/tracking cells are editable through ChoiceDelegate."""

    def __init__(self, kind: str, on_edit: Callable[[], None], parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self._columns = _COLUMNS[kind]
        self._drafts: list[MappingDraft] = []
        self._choices: MappingChoices | None = None
        self._on_edit = on_edit

    def set_drafts(self, drafts: list[MappingDraft], choices: MappingChoices) -> None:
        self.beginResetModel()
        self._drafts = [d for d in drafts if d.kind == self.kind]
        self._choices = choices
        self.endResetModel()

    def revalidated(self) -> None:
        """Repaint every cell after the view re-ran validation (problems may move anywhere)."""
        if self._drafts:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._drafts) - 1, len(self._columns) - 1))

    def drafts(self) -> list[MappingDraft]:
        return list(self._drafts)

    def draft(self, row: int) -> MappingDraft:
        return self._drafts[row]

    def field(self, column: int) -> str:
        return self._columns[column][1]

    def column_of(self, field: str) -> int:
        return next(i for i, (_t, f) in enumerate(self._columns) if f == field)

    def row_of(self, key: str) -> int:
        return next(i for i, d in enumerate(self._drafts) if d.key == key)

    # -- choices the editor offers -------------------------------------------------------
    def choices_for(self, index: QtCore.QModelIndex) -> list[tuple[str, str]]:
        """(text, key) pairs for an editable cell, "(not mapped)" first."""
        c = self._choices
        f = self.field(index.column())
        out = [(NONE_TEXT[f], "")]
        if c is None:
            return out
        d = self._drafts[index.row()]
        if f == "account":
            accounts = c.revenue_accounts if self.kind == "charge_type" else c.payment_accounts
            out += [(a.text, a.code) for a in accounts]
        elif f == "tax":
            acc = c.accounts.get(d.account_code or "", {})
            default = acc.get("TaxType")
            if default:
                out[0] = (f"{NONE_TEXT['tax']}: {c.tax_text(default)}", "")
            out += [(t.text, t.tax_type) for t in c.tax_choices(d.account_code)]
        elif f == "tracking":
            out += [(t.text, f"{t.category}{TRACK_SEP}{t.option}") for t in c.tracking]
        return out

    # -- Qt model interface --------------------------------------------------------------
    def rowCount(self, parent: QtCore.QModelIndex = QtCore.QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._drafts)

    def columnCount(self, parent: QtCore.QModelIndex = QtCore.QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            if 0 <= section < len(self._columns):
                return self._columns[section][0]
        return None

    def flags(self, index: QtCore.QModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if self.field(index.column()) in EDITABLE:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def _key(self, d: MappingDraft, f: str) -> str:
        if f == "account":
            return d.account_code or ""
        if f == "tax":
            return d.tax_type or ""
        if f == "tracking":
            return f"{d.tracking_category}{TRACK_SEP}{d.tracking_option}" if d.is_set else ""
        return ""

    def _text(self, d: MappingDraft, f: str) -> str:
        c = self._choices
        if f == "title":
            if d.kind != "facility":  # a charge type or method: its words; the code is in the tooltip
                return d.title
            return d.title if d.title == d.key else f"{d.title} ({d.key})"
        if f == "used":
            return str(d.used)
        if f == "blocked":
            return str(d.blocked) if d.blocked else ""
        if f == "account":
            return (c.account_text(d.account_code) if c else d.account_code) or NONE_TEXT["account"]
        if f == "tax":
            if d.tax_type:
                return c.tax_text(d.tax_type) if c else d.tax_type
            return NONE_TEXT["tax"] if d.account_code else ""
        if f == "tracking":
            return f"{d.tracking_category}: {d.tracking_option}" if d.is_set else NONE_TEXT["tracking"]
        if f == "status":
            if d.problem == "unmapped" and not d.used and not d.blocked:
                return "Not mapped (not used in the ledger yet)"
            if d.message:
                return d.message if d.problem != "unmapped" else "Not mapped"
            if d.suggested and d.dirty:
                return "Suggested from account names: review, then Save"
            if d.dirty:
                return "Changed (not saved)"
            if d.kind == "facility" and not d.is_set:
                return "Sent without tracking"
            return "OK"
        return ""

    def data(self, index: QtCore.QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._drafts)):
            return None
        d = self._drafts[index.row()]
        f = self.field(index.column())
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self._text(d, f)
        if role == KeyRole:
            return self._key(d, f)
        if role == Qt.ItemDataRole.ToolTipRole:
            if f == "title" and d.kind != "facility":
                return f"In the ledger's files: {d.key}"
            if f in ("status", "account", "tax", "tracking") and d.message:
                return d.message
            if f == "blocked" and d.blocked:
                return (f"{d.blocked} record{'s' if d.blocked != 1 else ''} cannot be sent until this mapping is "
                        "fixed.")
            if f in EDITABLE:
                return "Double-click to choose; type to search."
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if f == "blocked" and d.blocked:
                return QtGui.QBrush(_RED)
            if d.problem and f in ("status", "account", "tax", "tracking"):
                if d.problem == "unmapped" and not d.blocked and (f != "status" or not d.used):
                    return None  # nothing waits on it (yet): not an error to shout about
                return QtGui.QBrush(_RED)
            if f == "status" and d.dirty:
                return QtGui.QBrush(_BLUE)
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and f in ("used", "blocked"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and f in EDITABLE and d.dirty:
            font = QtGui.QFont()
            font.setBold(True)
            return font
        return None

    def setData(self, index: QtCore.QModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or role not in (Qt.ItemDataRole.EditRole, KeyRole):
            return False
        f = self.field(index.column())
        if f not in EDITABLE:
            return False
        d = self._drafts[index.row()]
        key = str(value or "").strip()
        if f == "account":
            if key == (d.account_code or ""):
                return False
            d.account_code = key or None
            if not key:
                d.tax_type = None
            elif d.kind == "charge_type" and self._choices is not None:
                valid = {t.tax_type for t in self._choices.tax_choices(key)}
                if d.tax_type and d.tax_type not in valid:
                    d.tax_type = None  # the old tax type does not fit the new account
        elif f == "tax":
            d.tax_type = key or None
        elif f == "tracking":
            cat, _, opt = key.partition(TRACK_SEP)
            d.tracking_category, d.tracking_option = (cat or None, opt or None) if key else (None, None)
        d.suggested = False
        self.dataChanged.emit(self.index(index.row(), 0), self.index(index.row(), len(self._columns) - 1))
        self._on_edit()
        return True


class ChoiceDelegate(QtWidgets.QStyledItemDelegate):
    """An editable QComboBox with a contains-matching QCompleter: type "rent" or "210" to find.

    Text that matches no choice is kept as typed (an account code Xero may not have); the
    view's validation then marks it red with the reason, rather than silently dropping it.
    """

    def createEditor(self, parent: QtWidgets.QWidget, option: Any, index: QtCore.QModelIndex) -> QtWidgets.QWidget:
        combo = QtWidgets.QComboBox(parent)
        combo.setObjectName("mappingChoice")
        combo.setEditable(True)
        combo.setInsertPolicy(QtWidgets.QComboBox.InsertPolicy.NoInsert)
        model = index.model()
        choices = model.choices_for(index) if isinstance(model, MappingTableModel) else []
        for text, key in choices:
            combo.addItem(text, key)
        completer = QtWidgets.QCompleter(combo.model(), combo)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QtWidgets.QCompleter.CompletionMode.PopupCompletion)
        combo.setCompleter(completer)
        combo.activated.connect(lambda _i, c=combo: self._commit(c))
        return combo

    def _commit(self, combo: QtWidgets.QComboBox) -> None:
        self.commitData.emit(combo)
        self.closeEditor.emit(combo, QtWidgets.QAbstractItemDelegate.EndEditHint.NoHint)

    def setEditorData(self, editor: QtWidgets.QWidget, index: QtCore.QModelIndex) -> None:
        assert isinstance(editor, QtWidgets.QComboBox)
        key = index.data(KeyRole) or ""
        pos = editor.findData(key)
        if pos >= 0:
            editor.setCurrentIndex(pos)
        else:
            editor.setEditText(str(key))

    def setModelData(self, editor: QtWidgets.QWidget, model: QtCore.QAbstractItemModel,
                     index: QtCore.QModelIndex) -> None:
        assert isinstance(editor, QtWidgets.QComboBox)
        model.setData(index, key_for_text(editor), KeyRole)


def key_for_text(combo: QtWidgets.QComboBox) -> str:
    """The key for what the combo shows: an exact item, an item whose code/text matches, or the text."""
    text = combo.currentText().strip()
    if combo.currentIndex() >= 0 and combo.itemText(combo.currentIndex()) == text:
        return str(combo.currentData() or "")
    folded = text.casefold()
    for i in range(combo.count()):
        item_text, key = combo.itemText(i), str(combo.itemData(i) or "")
        if folded in (item_text.casefold(), key.casefold()):
            return key
    head = text.split(f" {EM_DASH} ")[0].strip()
    return "" if head.startswith("(") else head
