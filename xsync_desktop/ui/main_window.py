"""The main window: a sidebar of views, menus and shortcuts, a status bar, and a safe close.

Views are built the first time they are shown (a cold start builds only the
dashboard); `load_all_views()` builds the rest (smoke test, screenshots).
Size, position and the last view are kept in a QSettings INI file in the
profile, so two profiles keep their own layout.

The window can open before its profile does (`MainWindow(None, profile=...)`, what
`run_gui` does for a fast start): sidebar, menus and the remembered size appear at once,
each view's place says "Opening the profile…", and the actions that need the database
wait. `attach(services)` then builds the view on screen with its data. Nothing here
imports SQLAlchemy, the engine or a view module until then: importing them is most
of a cold start.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from .elided_tips import add_elided_tips
from .icons import app_icon
from .qt import Qt, QtCore, QtGui, QTimer, QtWidgets, Signal
from .views import VIEW_SPECS, PlaceholderView, create_view

if TYPE_CHECKING:
    from ..profile import Profile
    from .scheduler import SyncScheduler
    from .services import AppServices
    from .sync_controller import SyncController

log = logging.getLogger(__name__)

#: what each view's place shows until the profile is open
OPENING_TEXT = "Opening the profile…"

#: the application's display name; Qt appends it to every window title unless the title ends with it
APP_NAME = "xsync desktop"


def window_title(demo: bool) -> str:
    """'Demo — xsync desktop': ends with the display name, so Qt does not add it a second time."""
    return f"Demo — {APP_NAME}" if demo else APP_NAME


class MainWindow(QtWidgets.QMainWindow):
    #: the profile's services are attached and the view on screen is built with its data
    profile_opened = Signal()

    def __init__(self, services: AppServices | None, settings: QtCore.QSettings | None = None, *,
                 profile: Profile | None = None, demo: bool = False) -> None:
        """With `services`: the whole window. With None: the window of `profile`, opening (see `attach`)."""
        super().__init__()
        if services is not None:
            profile, demo = services.profile, services.demo
        if profile is None:
            raise ValueError("MainWindow needs the services, or the profile it is opening")
        self.profile = profile
        self.demo = demo
        self.services: AppServices
        self.sync: SyncController
        self.scheduler: SyncScheduler
        self.settings = settings or QtCore.QSettings(
            str(profile.root / "window.ini"), QtCore.QSettings.Format.IniFormat)
        #: asked before closing during a sync; tests replace it
        self.confirm_close: Callable[[], bool] = self._ask_close
        self._closing = False
        self._open = False
        self._due: set[str] = set()  # "status", "badges": updates asked for and not yet made
        self.views: dict[str, QtWidgets.QWidget] = {}
        self.setWindowTitle(window_title(demo))
        self.setWindowIcon(app_icon())
        self._build()
        self._menus()
        self._status()
        self._restore()
        if services is not None:
            self.attach(services)

    @property
    def is_open(self) -> bool:
        """True once the profile's services are attached (views, sync and menus work)."""
        return self._open

    def attach(self, services: AppServices) -> None:
        """The profile is open: wire sync, schedule and status, and build the view on screen."""
        from .scheduler import SyncScheduler
        from .sync_controller import SyncController

        self.services = services
        self.sync = SyncController(services, self)
        services.sync = self.sync
        self.scheduler = SyncScheduler(services, self.sync, self)
        self.scheduler.attach_tray(app_icon(), self)
        self._open = True
        for action in self._needs_profile:
            action.setEnabled(True)
        self.cancel_action.setEnabled(False)
        services.changed.connect(self._on_changed)
        services.message.connect(lambda m: self.statusBar().showMessage(m, 15_000))
        self.sync.busy_changed.connect(self._busy)
        self.sync.failed.connect(lambda m: self.statusBar().showMessage(m, 15_000))
        self._due_timer = QTimer(self)
        self._due_timer.setSingleShot(True)
        self._due_timer.setInterval(0)
        self._due_timer.timeout.connect(self._run_due)
        self._clock = QTimer(self)  # keeps "2 min ago" true
        self._clock.timeout.connect(self.update_status)
        self._clock.start(30_000)
        self.update_status()
        self.update_badges()
        self._show_row(self.stack.currentIndex())
        self.profile_opened.emit()

    # -- layout --------------------------------------------------------------------------
    def _build(self) -> None:
        central = QtWidgets.QWidget()
        layout = QtWidgets.QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.sidebar = QtWidgets.QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.sidebar.setBackgroundRole(QtGui.QPalette.ColorRole.Window)
        self.sidebar.setAutoFillBackground(True)
        self.sidebar.setSpacing(2)
        self.sidebar.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        f = self.sidebar.font()
        f.setPointSizeF(f.pointSizeF() * 1.08)
        self.sidebar.setFont(f)
        width = 0
        for i, spec in enumerate(VIEW_SPECS):
            item = QtWidgets.QListWidgetItem(spec.title)
            item.setToolTip(f"{spec.tip} (Ctrl+{i + 1})")
            item.setSizeHint(QtCore.QSize(0, self.sidebar.fontMetrics().height() + 16))
            self.sidebar.addItem(item)
            width = max(width, self.sidebar.fontMetrics().horizontalAdvance(self._badged(spec.title, 999)))
        self.sidebar.setFixedWidth(width + 48)
        self.stack = QtWidgets.QStackedWidget()
        for spec in VIEW_SPECS:
            holder = QtWidgets.QWidget()
            holder.setObjectName(f"holder_{spec.key}")
            holder_layout = QtWidgets.QVBoxLayout(holder)
            holder_layout.setContentsMargins(0, 0, 0, 0)
            opening = QtWidgets.QLabel(OPENING_TEXT)  # until the view is built (see view())
            opening.setObjectName("openingPlaceholder")
            opening.setAlignment(Qt.AlignmentFlag.AlignCenter)
            opening.setEnabled(False)
            holder_layout.addWidget(opening)
            self.stack.addWidget(holder)
        line = QtWidgets.QFrame()
        line.setFrameShape(QtWidgets.QFrame.Shape.VLine)
        line.setFrameShadow(QtWidgets.QFrame.Shadow.Sunken)
        layout.addWidget(self.sidebar)
        layout.addWidget(line)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.sidebar.currentRowChanged.connect(self._show_row)

    def _menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.import_action = file_menu.addAction("&Import billing files…", self.open_import)
        self.import_action.setShortcut(QtGui.QKeySequence("Ctrl+I"))
        file_menu.addAction("Open &log folder", lambda: self._open_folder(self.profile.logs_dir))
        file_menu.addAction("Open &exports folder", lambda: self._open_folder(self.profile.exports_dir))
        file_menu.addSeparator()
        quit_action = file_menu.addAction("&Quit", self.close)
        quit_action.setShortcut(QtGui.QKeySequence("Ctrl+Q"))
        quit_action.setMenuRole(QtGui.QAction.MenuRole.QuitRole)

        sync_menu = bar.addMenu("&Sync")
        self.sync_action = sync_menu.addAction("Sync &now", self.sync_now)
        self.sync_action.setShortcut(QtGui.QKeySequence("Ctrl+R"))
        self.cancel_action = sync_menu.addAction("&Cancel sync", lambda: self.sync.cancel())
        self.cancel_action.setEnabled(False)

        view_menu = bar.addMenu("&View")
        self.view_actions: list[QtGui.QAction] = []
        for i, spec in enumerate(VIEW_SPECS):
            act = view_menu.addAction(spec.title, lambda key=spec.key: self.show_view(key))
            act.setShortcut(QtGui.QKeySequence(f"Ctrl+{i + 1}"))
            self.view_actions.append(act)

        help_menu = bar.addMenu("&Help")
        help_menu.addAction("&User guide", self._user_guide)
        help_menu.addAction("Open &log folder", lambda: self._open_folder(self.profile.logs_dir))
        diagnostics = help_menu.addAction("&Copy diagnostics", self.copy_diagnostics)
        help_menu.addSeparator()
        help_menu.addAction("&About xsync desktop", self._about)
        #: actions that need the open profile's database: enabled by attach()
        self._needs_profile = [self.import_action, self.sync_action, self.cancel_action, diagnostics]
        for action in self._needs_profile:
            action.setEnabled(False)

    def _status(self) -> None:
        sb = self.statusBar()
        self.connection_label = QtWidgets.QLabel()
        self.connection_label.setObjectName("statusConnection")
        self.last_sync_label = QtWidgets.QLabel()
        self.last_sync_label.setObjectName("statusLastSync")
        sb.addPermanentWidget(self.connection_label)
        sb.addPermanentWidget(self.last_sync_label)
        self.connection_label.setText(OPENING_TEXT)  # attach() puts the organisation and last sync here

    @staticmethod
    def _badged(title: str, n: int) -> str:
        return f"{title}  {n:,}" if n else title

    def update_badges(self) -> None:
        """The sidebar's Exceptions entry carries the open count (after a sync, after a decision)."""
        from .views.exceptions_rows import open_count

        row = next(i for i, spec in enumerate(VIEW_SPECS) if spec.key == "exceptions")
        try:
            tenant_id, _ = self.services.tenant()
            with self.services.session() as s:
                n = open_count(s, tenant_id)
        except Exception as exc:  # noqa: BLE001 - a locked database must not break the sidebar
            log.info("exceptions badge not updated: %s", exc)
            return
        item = self.sidebar.item(row)
        item.setText(self._badged(VIEW_SPECS[row].title, n))
        item.setToolTip(f"{VIEW_SPECS[row].tip}: {n:,} open (Ctrl+{row + 1})" if n
                        else f"{VIEW_SPECS[row].tip} (Ctrl+{row + 1})")
        item.setData(Qt.ItemDataRole.AccessibleTextRole, f"Exceptions, {n} open" if n else "Exceptions")

    # -- views ---------------------------------------------------------------------------
    def view(self, key: str) -> QtWidgets.QWidget:
        """The view for `key`, built on first use."""
        if key not in self.views:
            index = next(i for i, s in enumerate(VIEW_SPECS) if s.key == key)
            holder = self.stack.widget(index)
            view = create_view(VIEW_SPECS[index], self.services, holder)
            for opening in holder.findChildren(QtWidgets.QLabel, "openingPlaceholder"):
                opening.hide()
                opening.deleteLater()
            holder.layout().addWidget(view)
            add_elided_tips(view)  # a cut-off cell shows its whole text on hover
            self.views[key] = view
            if key == "dashboard":
                view.run_requested.connect(self.open_run)  # type: ignore[attr-defined]
        return self.views[key]

    def show_view(self, key: str) -> None:
        index = next(i for i, s in enumerate(VIEW_SPECS) if s.key == key)
        self.sidebar.setCurrentRow(index)

    def _show_row(self, row: int) -> None:
        if 0 <= row < len(VIEW_SPECS):
            if self._open:  # while opening, the view's place says so; attach() builds it
                self.view(VIEW_SPECS[row].key)
            self.stack.setCurrentIndex(row)

    def current_view_key(self) -> str:
        return VIEW_SPECS[max(0, self.stack.currentIndex())].key

    def load_all_views(self) -> list[str]:
        """Build every view and refresh it; returns the keys that fell back to a placeholder."""
        broken = []
        for spec in VIEW_SPECS:
            v = self.view(spec.key)
            if isinstance(v, PlaceholderView):
                broken.append(spec.key)
            refresh = getattr(v, "refresh", None)
            if callable(refresh):
                refresh()
        return broken

    def open_run(self, run_id: int) -> None:
        self.show_view("runs")
        from .views.runs_view import RunsView

        runs = self.view("runs")
        if isinstance(runs, RunsView):  # not when the view failed to build (a placeholder says so)
            runs.show_run(run_id)

    # -- actions -------------------------------------------------------------------------
    def sync_now(self) -> None:
        self.sync.sync_now("manual")

    def open_import(self) -> None:
        try:
            from .views.import_dialog import ImportDialog
        except ImportError:
            self.statusBar().showMessage("Importing is not available in this build.", 10_000)
            return
        dialog = ImportDialog(self.services, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def _open_folder(self, path: object) -> None:
        QtGui.QDesktopServices.openUrl(QtCore.QUrl.fromLocalFile(str(path)))

    def _user_guide(self) -> None:
        from .help import USER_GUIDE

        if not QtGui.QDesktopServices.openUrl(QtCore.QUrl.fromLocalFile(str(USER_GUIDE))):
            self.statusBar().showMessage(f"The user guide is at {USER_GUIDE}", 15_000)

    def copy_diagnostics(self) -> str:
        """Version, profile, database revision and the last runs, on the clipboard for a support call."""
        from .help import diagnostics

        text = diagnostics(self.services.profile.root, self.services.profile.logs_dir, self.services.store)
        QtWidgets.QApplication.clipboard().setText(text)
        self.statusBar().showMessage("Diagnostics copied: paste them into your support message.", 10_000)
        return text

    def _about(self) -> None:
        from .. import __version__

        QtWidgets.QMessageBox.about(
            self, "About xsync desktop",
            f"xsync desktop {__version__}\nKeeps a self-storage billing ledger aligned with Xero.\n\n"
            f"Profile: {self.profile.root}")

    def _busy(self, busy: bool) -> None:
        self.sync_action.setEnabled(not busy)
        self.cancel_action.setEnabled(busy)
        if busy:
            self.last_sync_label.setText("Syncing…")
        else:
            self._due_later("status")

    def _on_changed(self, topic: str) -> None:
        if topic in ("connection", "settings", "runs") and not self.sync.running:
            self._due_later("status")
        if topic in ("exceptions", "ledger", "connection") and not self.sync.running:
            self._due_later("badges")

    def _due_later(self, what: str) -> None:
        """Update the status bar or the sidebar's badge once, in a turn of its own.

        A sync's end sends four notices at once; updating on each, in the turn that ends the
        sync, counted the open exceptions three times and read the runs three times while the
        window could not answer (about 60 ms after a 10,000-invoice sync, bench_gui_stall.py)."""
        self._due.add(what)
        if not self._due_timer.isActive():
            self._due_timer.start()

    def _run_due(self) -> None:
        """One update per turn (the status first): each is a few database reads."""
        for what, update in (("status", self.update_status), ("badges", self.update_badges)):
            if what in self._due:
                self._due.discard(what)
                update()
                break
        if self._due:
            self._due_timer.start()

    @property
    def updates_pending(self) -> bool:
        """The status bar or the badge has an update due (tests wait for it, as a person's eye
        waits the few milliseconds it takes)."""
        return bool(self._due)

    def update_status(self) -> None:
        from sqlalchemy import select

        from ..store.models import SyncRun
        from ..store.states import RunOutcome
        from ..sync.reachability import unreachable_since
        from .models.style import local_time, relative_time

        try:
            tenant_id, name = self.services.tenant()
            with self.services.session() as s:
                last = s.scalars(select(SyncRun).where(SyncRun.outcome != RunOutcome.RUNNING)
                                 .order_by(SyncRun.id.desc()).limit(1)).first()
                when = last.finished_at or last.started_at if last is not None else None
                good = s.scalars(select(SyncRun).where(SyncRun.outcome == RunOutcome.SUCCEEDED, SyncRun.dry_run.is_(False))
                                 .order_by(SyncRun.id.desc()).limit(1)).first()
                good_when = good.finished_at or good.started_at if good is not None else None
                since = unreachable_since(s)  # kept in the database: a restarted app offline still says it
        except Exception as exc:  # noqa: BLE001 - a locked database must not break the status bar
            self.statusBar().showMessage(str(exc), 10_000)
            return
        keyring = self.services.credential_store_problem() if tenant_id else None
        if tenant_id and (since is not None or keyring):  # the runs failed because nobody answered, or cannot sign in
            self.connection_label.setText(f"Xero: {name or tenant_id} · " + (
                "no credential store on this computer" if keyring else f"Xero unreachable since {local_time(since)}"))
            self.connection_label.setToolTip(keyring or "")
            self.last_sync_label.setText("Last successful sync: "
                                         + (relative_time(good_when) if good_when is not None else "never"))
            self.last_sync_label.setToolTip(local_time(good_when) if good_when is not None else "")
            return
        self.connection_label.setText(f"Xero: {name or tenant_id}" if tenant_id else "Not connected")
        if when is None:
            self.last_sync_label.setText("Last sync: never")
        else:
            self.last_sync_label.setText(f"Last sync: {relative_time(when)}")
            self.last_sync_label.setToolTip(local_time(when))

    # -- state ---------------------------------------------------------------------------
    def _restore(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QtCore.QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1100, 720)
        last = str(self.settings.value("window/view", "dashboard"))
        keys = [s.key for s in VIEW_SPECS]
        self.show_view(last if last in keys else "dashboard")

    def save_state(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/view", self.current_view_key())
        self.settings.sync()

    def _ask_close(self) -> bool:
        answer = QtWidgets.QMessageBox.question(
            self, "Sync in progress",
            "A sync is running. Stop it and quit?\n\nIt stops after the current request; "
            "nothing is left half-sent, and the next sync carries on.",
            QtWidgets.QMessageBox.StandardButton.Yes | QtWidgets.QMessageBox.StandardButton.No,
            QtWidgets.QMessageBox.StandardButton.No)
        return answer == QtWidgets.QMessageBox.StandardButton.Yes

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802
        if not self._open:  # closed while opening: nothing runs yet; run_gui waits for the opening
            self._closing = True
            self.save_state()
            event.accept()
            return
        if self.sync.running and not self._closing:
            if not self.confirm_close():
                event.ignore()
                return
            self.statusBar().showMessage("Stopping the sync…")
            self.sync.cancel()
        self._closing = True
        self.save_state()
        self.sync.wait(60_000)
        self.services.runner.shutdown(30_000)
        if self.scheduler.tray is not None:
            self.scheduler.tray.hide()
        event.accept()
