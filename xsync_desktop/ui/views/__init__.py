"""The sidebar's views, in order, and how to build each one.

A view is `View(services, parent=None)` with `.refresh()`. If a view's module
is missing or its constructor fails, a placeholder takes its place so the app
still starts (and the failure is logged): one broken screen must not take the
others - the run history above all - down with it.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..qt import Qt, QtWidgets

if TYPE_CHECKING:  # the services (SQLAlchemy, the engine) are imported once the profile opens
    from ..services import AppServices

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ViewSpec:
    key: str
    title: str
    module: str
    class_name: str
    tip: str


VIEW_SPECS: tuple[ViewSpec, ...] = (
    ViewSpec("dashboard", "Dashboard", "dashboard_view", "DashboardView", "The last run, Sync now, recent runs"),
    ViewSpec("runs", "Runs", "runs_view", "RunsView", "Every run and its items: retry, skip, export"),
    ViewSpec("exceptions", "Exceptions", "exceptions_view", "ExceptionsView", "Conflicts a person must decide"),
    ViewSpec("mapping", "Mapping", "mapping_view", "MappingView", "Charge types and payment methods to Xero"),
    ViewSpec("checklist", "Checklist", "checklist_view", "ChecklistView", "Month-end checklist and sign-off"),
    ViewSpec("records", "Records", "records_view", "RecordsView", "Ledger records and their sync status"),
    ViewSpec("connection", "Connection", "connection_view", "ConnectionView", "Connect to Xero, choose the organisation"),
    ViewSpec("settings", "Settings", "settings_view", "SettingsView",
             "Invoices approved or draft, line amounts and tax, the start date, the schedule"),
)


class PlaceholderView(QtWidgets.QWidget):
    """Stands in for a view that could not be loaded."""

    def __init__(self, title: str, reason: str, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.reason = reason
        layout = QtWidgets.QVBoxLayout(self)
        label = QtWidgets.QLabel(f"{title} is not available in this build.\n\n{reason}")
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(label)

    def refresh(self) -> None:
        return None


def create_view(spec: ViewSpec, services: AppServices, parent: QtWidgets.QWidget | None = None) -> QtWidgets.QWidget:
    try:
        module = importlib.import_module(f"{__name__}.{spec.module}")
    except ImportError as exc:
        log.warning("view %s unavailable: %s", spec.key, exc)
        return PlaceholderView(spec.title, f"({exc})", parent)
    cls = getattr(module, spec.class_name, None)
    if cls is None:
        log.warning("view %s: no class %s in %s", spec.key, spec.class_name, spec.module)
        return PlaceholderView(spec.title, f"(no {spec.class_name} in {spec.module})", parent)
    try:
        return cls(services, parent)
    except Exception as exc:  # noqa: BLE001 - one broken view must not stop the app
        log.exception("view %s failed to load", spec.key)
        return PlaceholderView(spec.title, f"It failed to load: {type(exc).__name__}: {exc}", parent)
