"""Scheduled sync while the app is open (setting `schedule_minutes`, 0 = off).

A tick that finds a sync already running, or no organisation chosen, does
nothing. A scheduled run that fails is announced in the system tray (when the
desktop has one; offscreen and some Linux desktops do not), since nobody may be
looking at the window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..store.states import RunOutcome
from .qt import QObject, QtGui, QTimer, QtWidgets, Signal
from .services import AppServices
from .sync_controller import SyncController

if TYPE_CHECKING:
    from ..sync.engine import RunResult


class SyncScheduler(QObject):
    scheduled_failed = Signal(str)

    def __init__(self, services: AppServices, sync: SyncController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.sync = sync
        self.minutes = 0
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.tick)
        self.tray: QtWidgets.QSystemTrayIcon | None = None
        self.last_tray_message: str | None = None
        services.changed.connect(self._on_changed)
        sync.finished.connect(self._finished)
        sync.failed.connect(self._failed)
        self.apply()

    def attach_tray(self, icon: QtGui.QIcon, parent: QObject | None = None) -> None:
        if QtWidgets.QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QtWidgets.QSystemTrayIcon(icon, parent or self)
            self.tray.setToolTip("xsync desktop")
            self.tray.show()

    def _on_changed(self, topic: str) -> None:
        if topic == "settings":
            self.apply()

    def apply(self) -> None:
        try:
            minutes = int(self.services.setting("schedule_minutes") or 0)
        except ValueError:
            minutes = 0
        if minutes == self.minutes:
            return
        self.minutes = minutes
        if minutes > 0:
            self.timer.start(minutes * 60_000)
        else:
            self.timer.stop()

    def tick(self) -> bool:
        if self.sync.running:
            return False
        tenant_id, _ = self.services.tenant()
        if not tenant_id:
            return False
        return self.sync.sync_now("scheduled")

    def _finished(self, result: RunResult | None) -> None:
        if (self.sync.trigger == "scheduled" and result is not None
                and result.outcome in (RunOutcome.FAILED, RunOutcome.PAUSED)):
            self._announce(result.message or "The scheduled sync did not finish.")

    def _failed(self, message: str) -> None:
        if self.sync.trigger == "scheduled":
            self._announce(message)

    def _announce(self, message: str) -> None:
        self.last_tray_message = message
        self.scheduled_failed.emit(message)
        if self.tray is not None:
            self.tray.showMessage("Scheduled sync failed", message, QtWidgets.QSystemTrayIcon.MessageIcon.Warning)
