"""`run_gui(args)`: start the desktop app (or the demo, or the smoke test).

Decisions worth knowing:
- One window per profile: a QLockFile in the profile refuses a second copy
  politely (exit code 6), so two processes never write beside each other.
- The window is shown first, then the profile opens behind it (`_Start`,
  ui/profile_opening.py): importing SQLAlchemy, Alembic, httpx and the engine,
  checking and migrating the database, the keyring and the demo's sandbox take
  seconds on an office PC, and nothing up to the window's first paint imports them.
  A damaged database gets the backups dialog over the window; a database or
  environment problem its message, then exit code 6, as before the window.
- Which Xero (real, or the demo's sandbox), which keyring and which ledger
  seeder are chosen by the composition root (xsync_desktop/composition) and
  handed in as a `GuiEnvironment`: nothing under ui/ knows the sandbox.
- `--demo`: the demo profile; once the window is up, the demo bootstrap signs
  in through the real PKCE login and fills the ledger with the root's seeder.
- Qt's own messages go to the app log (ui/qt_messages.py), installed here and
  not in `build_app`, which tests use: pytest-qt must keep seeing Qt warnings.
- Once the window is up, the garbage collector is settled (ui/gc_tuning.py):
  full collections otherwise stall the window during a long sync.
- `--smoke-test`: opens the main window, builds and refreshes every view,
  processes events and exits 0 (1 if a view fell back to a placeholder). It
  prints "window shown at <epoch seconds>" once the window is painted and "first
  view with its data at <epoch seconds>" once the profile is open and the view on
  screen built, for the start benchmark. It
  needs no network and no keyring: the root gives it an in-memory keyring and
  no sandbox, it never signs in, and without --profile uses a fresh temporary profile
  (with --demo too: the point is that the build starts, not the demo). With no
  display it switches Qt to the offscreen platform.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..exit_codes import ExitCode
from ..profile import Profile, resolve_profile
from .environment import EnvironmentFor, GuiEnvironment

if TYPE_CHECKING:
    from ..store.store import Store
    from .demo import LedgerSeeder
    from .errors import ErrorReporter
    from .main_window import MainWindow
    from .qt import QtWidgets
    from .services import AppServices, XeroSetup

log = logging.getLogger(__name__)


def _profile_for(args: Any) -> tuple[Profile, tempfile.TemporaryDirectory[str] | None]:
    explicit = getattr(args, "profile", None)
    if getattr(args, "smoke_test", False) and not explicit and not os.environ.get("XSYNC_PROFILE"):
        tmp = tempfile.TemporaryDirectory(prefix="xsync-smoke-")
        return Profile(Path(tmp.name) / "smoke profile").ensure(), tmp
    return resolve_profile(explicit, demo=bool(getattr(args, "demo", False)),
                           database_url=getattr(args, "database_url", None)).ensure(), None


def run_gui(args: Any, environment_for: EnvironmentFor) -> int:
    smoke = bool(getattr(args, "smoke_test", False))
    demo = bool(getattr(args, "demo", False))
    if smoke and sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from ..machine_config import MachineConfigError
    from .errors import environment_message, setup_logging
    from .qt import QtCore, QtWidgets

    try:
        profile, tmp = _profile_for(args)
    except MachineConfigError as exc:  # IT's preset is unusable: say so before any window
        QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
        _refuse(smoke, exc.user_message)
        return ExitCode.ENVIRONMENT
    try:
        app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
        from .main_window import APP_NAME

        app.setApplicationName(APP_NAME)
        app.setOrganizationName("xsync")
        app.setApplicationDisplayName(APP_NAME)
        handler = setup_logging(profile.logs_dir)
        from ..activity import close_activity_log, open_activity_log

        activity_handler = open_activity_log(profile.logs_dir)
        from . import qt_messages
        from .icons import app_icon

        restore_qt_messages = qt_messages.install()
        app.setWindowIcon(app_icon())
        lock = QtCore.QLockFile(str(profile.root / "gui.lock"))
        lock.setStaleLockTime(0)  # a crashed copy's lock is taken over (its pid is gone)
        if not lock.tryLock(200):
            _refuse(smoke, f"xsync desktop is already open for this profile ({profile.root}).\n"
                           "Switch to the open window, or close it first.")
            return ExitCode.ENVIRONMENT
        try:
            return _run(app, profile, demo, smoke, environment_for)
        except Exception as exc:
            message = environment_message(exc)
            if message is None:
                raise
            _refuse(smoke, message)
            return ExitCode.ENVIRONMENT
        finally:
            lock.unlock()
            restore_qt_messages()
            logging.getLogger().removeHandler(handler)
            handler.close()
            close_activity_log(activity_handler)
    finally:
        if tmp is not None:
            tmp.cleanup()


def _refuse(smoke: bool, text: str) -> None:
    from .qt import QtWidgets

    log.warning("%s", text)
    if smoke:
        print(text, file=sys.stderr)
    else:
        QtWidgets.QMessageBox.information(None, "xsync desktop", text)


def build_app(profile: Profile, xero: XeroSetup, *, demo: bool, show_dialogs: bool = True,
              store: Store | None = None) -> tuple[AppServices, MainWindow]:
    """Store, services and main window for a profile, reaching Xero as `xero` says.

    Returns (services, window), the window whole at once. Tests build the app through the
    composition root's `build_app`, which chooses `xero` as the app does. `store`: the profile's
    store when the caller opened it already. (`run_gui` instead shows the window first and
    opens the profile behind it: see `_run`.)
    """
    from ..store.store import open_store
    from .errors import ErrorReporter
    from .main_window import MainWindow

    if store is None:
        store = open_store(profile.database_url, profile.backups_dir)
    reporter = ErrorReporter(show_dialogs=show_dialogs)
    services = _services(profile, store, xero, demo, reporter)
    window = MainWindow(services)
    return services, window


def _services(profile: Profile, store: Store, xero: XeroSetup, demo: bool, reporter: ErrorReporter) -> AppServices:
    from .services import AppServices
    from .worker import set_default_reporter

    services = AppServices(profile, store, xero, demo=demo, reporter=reporter)
    reporter.setParent(services)
    set_default_reporter(reporter)
    if services.shared_database:
        from .live_updates import LiveUpdates

        services.live_updates = LiveUpdates(services).start()  # other desks' changes, in seconds
    return services


class _Start:
    """One start of the window: it is shown first, then the profile opens behind it.

    The steps, in order: the window (sidebar, menus, remembered size, "Opening the profile…")
    is shown; a background job opens the store (integrity check, migrations) and builds the
    environment (keyring, the demo's sandbox); back on the GUI thread the services are made
    and attached, which builds the view on screen with its data. A damaged database gets the
    backups dialog over the window; an environment problem its message, then exit code 6.
    """

    def __init__(self, app: QtWidgets.QApplication, profile: Profile, demo: bool, smoke: bool,
                 environment_for: EnvironmentFor) -> None:
        from .errors import ErrorReporter
        from .main_window import MainWindow
        from .profile_opening import ProfileOpening
        from .views import VIEW_SPECS

        self.app, self.profile, self.demo, self.smoke = app, profile, demo, smoke
        self.reporter = ErrorReporter(show_dialogs=True)
        self.window = MainWindow(None, profile=profile, demo=demo)
        first = next(s for s in VIEW_SPECS if s.key == self.window.current_view_key())
        self.opening = ProfileOpening(profile, environment_for, first_view_module=f"{__package__}.views.{first.module}")
        self.services: AppServices | None = None
        self.environment: GuiEnvironment | None = None
        self.exit_code: int | None = None  # set when the opening failed: the app ends with it
        self.error: BaseException | None = None  # a bug while opening: raised after the loop ends

    def open_profile(self) -> None:
        self.opening.start(self._opened, self._failed)

    def _opened(self, store: Store, environment: GuiEnvironment) -> None:
        self.environment = environment
        try:
            self.services = _services(self.profile, store, environment.xero, self.demo, self.reporter)
        except BaseException as exc:
            store.close()
            self._failed(exc)
            return
        try:
            self.window.attach(self.services)
        except BaseException as exc:  # noqa: BLE001 - raised by _run once the loop has ended
            self._failed(exc)
            return
        if self.smoke:
            return
        _settle_gc_when_idle()
        if environment.seed_demo_ledger is not None:
            _start_demo(self.services, self.window, environment.seed_demo_ledger)

    def _failed(self, exc: BaseException) -> None:
        from ..store.integrity import DatabaseDamaged
        from .errors import environment_message

        if isinstance(exc, DatabaseDamaged):
            log.warning("%s", exc.user_message)
            if self.smoke:
                print(exc.user_message, file=sys.stderr)
            else:
                from .damaged_database_dialog import offer_backups

                if offer_backups(exc):  # a copy was restored: open it
                    self.open_profile()
                    return
            self._end(ExitCode.ENVIRONMENT)
            return
        message = environment_message(exc)
        if message is None:
            self.error = exc
            self._end(1)
            return
        _refuse(self.smoke, message)
        self._end(ExitCode.ENVIRONMENT)

    def _end(self, code: int) -> None:
        self.exit_code = code
        self.window.hide()
        self.app.exit(code)

    def close(self) -> None:
        """At exit: wait for an opening still under way, then close what it opened."""
        self.reporter.uninstall()
        self.opening.wait()
        self.opening.close()
        if self.services is not None:
            self.services.close()
            self.services.store.close()
        if self.environment is not None:
            self.environment.stop()


def _run(app: QtWidgets.QApplication, profile: Profile, demo: bool, smoke: bool,
         environment_for: EnvironmentFor) -> int:
    start = _Start(app, profile, demo, smoke, environment_for)
    try:
        if smoke:
            return _smoke(app, start)
        start.reporter.install()
        start.window.show()
        start.open_profile()
        code = int(app.exec())
        if start.error is not None:
            raise start.error
        return start.exit_code if start.exit_code is not None else code
    finally:
        start.close()


def _settle_gc_when_idle() -> None:
    """Freeze start-up's objects out of the collector's way once the first frames are painted,
    and let the GUI thread take the GIL back from a sync worker within a millisecond."""
    from .gc_tuning import settle_after_start
    from .qt import QTimer
    from .switch_interval import shorten_for_gui

    shorten_for_gui()
    QTimer.singleShot(500, settle_after_start)


def _start_demo(services: AppServices, window: MainWindow, seed: LedgerSeeder) -> None:
    from . import demo as demo_mod

    window.statusBar().showMessage("Preparing the demo: ledger, sign-in to the sandbox, mapping…")
    services.run_in_background(
        lambda: demo_mod.bootstrap(services, seed),
        lambda text: (window.statusBar().showMessage(text, 20_000), services.notify("connection"),
                      services.notify("mappings"), services.notify("ledger")),
        name="demo-bootstrap",
    )


def _smoke(app: QtWidgets.QApplication, start: _Start) -> int:
    from .qt import QtCore

    window = start.window
    window.show()
    app.processEvents()
    # The wall clock (not a monotonic one) so that tests/perf/bench_frozen_start.py, another
    # process, can subtract the moment it started this one: start to a usable window.
    print(f"window shown at {time.time():.3f}", flush=True)
    # The process's CPU time so far: on a machine shared with other work the wall clock above
    # measures the others too; this measures only what this start costs.
    cpu = os.times()
    print(f"cpu to window {cpu.user + cpu.system:.3f}", flush=True)
    loop = QtCore.QEventLoop()
    start.open_profile()
    assert start.opening.job is not None
    start.opening.job.finished.connect(loop.quit)  # after its result (queued before it) was handled
    loop.exec()
    if start.error is not None:
        raise start.error
    if start.exit_code is not None:
        return start.exit_code
    app.processEvents()
    print(f"first view with its data at {time.time():.3f}", flush=True)
    broken = window.load_all_views()
    for spec_key in list(window.views):
        window.show_view(spec_key)
        app.processEvents()
    window.close()
    app.processEvents()
    if broken:
        print(f"smoke test: views not available: {', '.join(broken)}", file=sys.stderr)
        return 1
    print("smoke test ok")
    return ExitCode.OK
