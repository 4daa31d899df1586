"""Settings: how records are sent to Xero (approved or draft, how line amounts treat tax, the
first date to send) and when (the schedule).

Each setting shows the line that says what changing it does (sync/sync_settings.py, the
same text `xsync-desktop config` prints). Changes stay on the page until Save, which checks
every value with the rules the command line uses and writes all of them or none: a refused
value is named in red and the database keeps what it had. The engine reads the settings at
the start of each sync, so the next sync uses what was saved.
"""

from __future__ import annotations

from datetime import date

from ...sync.sync_settings import (
    BY_KEY,
    SCHEDULE_MAX_MINUTES,
    SettingError,
    current_settings,
    parse_changes,
    save_changes,
)
from ..qt import Qt, QtCore, QtWidgets, Signal
from ..refresh import RefreshCoalescer
from ..services import AppServices

_INVOICE_STATUS = (("AUTHORISED", "Approved (AUTHORISED)"), ("DRAFT", "Draft, approved later in Xero (DRAFT)"))
_LINE_AMOUNTS = (("Exclusive", "Exclusive of tax"), ("Inclusive", "Inclusive of tax"), ("NoTax", "No tax"))
_RED = "color: #b3261e;"


class SettingsView(QtWidgets.QWidget):
    """The sync settings form; `saved` carries the keys a Save changed (tests wait on it)."""

    saved = Signal(object)

    def __init__(self, services: AppServices, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsView")
        self.services = services
        self._shown: dict[str, str | None] = {}  # the values as loaded: what Revert goes back to

        self.invoice_status = _combo("invoiceStatus", _INVOICE_STATUS)
        self.line_amounts = _combo("lineAmountTypes", _LINE_AMOUNTS)
        self.use_start = QtWidgets.QCheckBox("Only records dated from")
        self.use_start.setObjectName("useSyncStart")
        self.start_date = QtWidgets.QDateEdit()
        self.start_date.setObjectName("syncStartDate")
        self.start_date.setCalendarPopup(True)
        self.start_date.setDisplayFormat("yyyy-MM-dd")
        self.schedule = QtWidgets.QSpinBox()
        self.schedule.setObjectName("scheduleMinutes")
        self.schedule.setRange(0, SCHEDULE_MAX_MINUTES)
        self.schedule.setSingleStep(15)
        self.schedule.setSpecialValueText("Off")
        self.schedule.setSuffix(" min")

        start_row = QtWidgets.QHBoxLayout()
        start_row.addWidget(self.use_start)
        start_row.addWidget(self.start_date)
        start_row.addStretch(1)
        form = QtWidgets.QFormLayout()
        form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        for key, field in (("invoice_status", self.invoice_status), ("line_amount_types", self.line_amounts),
                           ("sync_start_date", start_row), ("schedule_minutes", self.schedule)):
            spec = BY_KEY[key]
            box = QtWidgets.QVBoxLayout()
            box.setSpacing(2)
            if isinstance(field, QtWidgets.QLayout):
                box.addLayout(field)
            else:
                box.addWidget(field, 0, Qt.AlignmentFlag.AlignLeft)
            explains = QtWidgets.QLabel(spec.explains)
            explains.setObjectName(f"explains_{key}")
            explains.setWordWrap(True)
            explains.setEnabled(False)  # the platform's quieter text colour
            box.addWidget(explains)
            form.addRow(spec.title + ":", box)

        self.message_label = QtWidgets.QLabel()
        self.message_label.setObjectName("settingsMessage")
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.revert_button = QtWidgets.QPushButton("Revert")
        self.save_button = QtWidgets.QPushButton("Save")
        self.save_button.setObjectName("saveSettings")
        self.save_button.setDefault(True)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.message_label, 1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)

        title = QtWidgets.QLabel("<b>Settings</b>: how records are sent to Xero, and when. "
                                 "The next sync uses what is saved here.")
        title.setWordWrap(True)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 14)
        layout.setSpacing(12)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addLayout(buttons)

        for combo in (self.invoice_status, self.line_amounts):
            combo.currentIndexChanged.connect(lambda _i: self._edited())
        self.use_start.toggled.connect(lambda _on: self._edited())
        self.start_date.dateChanged.connect(lambda _d: self._edited())
        self.schedule.valueChanged.connect(lambda _v: self._edited())
        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(self.refresh)
        self.refresh()  # four values: read at once, so the page is never shown empty
        self._coalescer = RefreshCoalescer(self, self._refresh_if_clean, services.changed, ("settings",),
                                           loaded=True)

    # -- loading -------------------------------------------------------------------------
    def _refresh_if_clean(self) -> None:
        if not self.dirty:
            self.refresh()

    def refresh(self) -> None:
        """Show the saved values (unsaved edits are dropped)."""
        with self.services.session() as session:
            self._shown = current_settings(session)
        widgets = (self.invoice_status, self.line_amounts, self.use_start, self.start_date, self.schedule)
        for w in widgets:
            w.blockSignals(True)
        _select(self.invoice_status, self._shown["invoice_status"])
        _select(self.line_amounts, self._shown["line_amount_types"])
        start = self._shown["sync_start_date"]
        self.use_start.setChecked(bool(start))
        self.start_date.setDate(QtCore.QDate.fromString(start or date.today().isoformat(), "yyyy-MM-dd"))
        self.schedule.setValue(int(self._shown["schedule_minutes"] or 0))
        for w in widgets:
            w.blockSignals(False)
        self.message_label.setText("")
        self._edited()

    # -- editing -------------------------------------------------------------------------
    def values(self) -> dict[str, str]:
        """What the page shows now, as text the shared rules check."""
        return {
            "invoice_status": str(self.invoice_status.currentData() or ""),
            "line_amount_types": str(self.line_amounts.currentData() or ""),
            "sync_start_date": self.start_date.date().toString("yyyy-MM-dd") if self.use_start.isChecked() else "",
            "schedule_minutes": str(self.schedule.value()),
        }

    @property
    def dirty(self) -> bool:
        return any((self._shown.get(k) or "") != v for k, v in self.values().items())

    def _edited(self) -> None:
        self.start_date.setEnabled(self.use_start.isChecked())
        self.save_button.setEnabled(self.dirty)
        self.revert_button.setEnabled(self.dirty)
        if self.dirty:
            self.message_label.setStyleSheet("")
            self.message_label.setText("Unsaved changes.")

    def save(self) -> bool:
        """Check every value, then write them all (or nothing, saying why). True if saved."""
        wanted = {k: v for k, v in self.values().items() if (self._shown.get(k) or "") != v}
        try:
            changes = parse_changes(wanted)
        except SettingError as exc:
            self.message_label.setStyleSheet(_RED)
            self.message_label.setText(f"Not saved: {exc} Nothing was changed.")
            return False
        with self.services.write() as session:
            changed = save_changes(session, changes, who="the Settings page")
        self.services.notify("settings")
        self.refresh()
        said = ", ".join(f"{BY_KEY[k].title.lower()} now {v or 'none'}" for k, v in changed.items())
        self.message_label.setText(f"Saved: {said}. The next sync uses them." if changed else "Nothing to save.")
        self.saved.emit(sorted(changed))
        return True


def _combo(name: str, items: tuple[tuple[str, str], ...]) -> QtWidgets.QComboBox:
    combo = QtWidgets.QComboBox()
    combo.setObjectName(name)
    for value, text in items:
        combo.addItem(text, value)
    return combo


def _select(combo: QtWidgets.QComboBox, value: str | None) -> None:
    """Show `value`; one the page does not offer (set by hand in the database) is shown as it is."""
    pos = combo.findData(value)
    if pos < 0 and value:
        combo.addItem(value, value)
        pos = combo.count() - 1
    combo.setCurrentIndex(max(pos, 0))
