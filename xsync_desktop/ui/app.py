"""`run_gui(args)`: start the desktop app (or the demo, or the smoke test).

Decisions worth knowing:
- One window per profile: a QLockFile in the profile refuses a second copy
  politely (exit code 6), so two processes never write beside each other.
- `--demo`: the demo profile, the sandbox in a child process (in this process
  when frozen), the real PKCE login with the sandbox playing the browser,
  tokens in an in-memory keyring.
- Qt's own messages go to the app log (ui/qt_messages.py), installed here and
  not in `build_app`, which tests use: pytest-qt must keep seeing Qt warnings.
- Once the window is up, the garbage collector is settled (ui/gc_tuning.py):
  full collections otherwise stall the window during a long sync.
- `--smoke-test`: opens the main window, builds and refreshes every view,
  processes events and exits 0 (1 if a view fell back to a placeholder). It
  needs no network and no keyring: it uses an in-memory keyring, never starts
  the sandbox or signs in, and without --profile uses a fresh temporary profile
  (with --demo too: the point is that the build starts, not the demo). With no
  display it switches Qt to the offscreen platform.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from ..cli import EXIT_ENVIRONMENT, EXIT_OK
from ..profile import Profile, resolve_profile

log = logging.getLogger(__name__)

DEFAULT_CLIENT_ID = ""  # the app's registered Xero client id; set XSYNC_XERO_CLIENT_ID until it is issued


def _profile_for(args: Any) -> tuple[Profile, tempfile.TemporaryDirectory[str] | None]:
    explicit = getattr(args, "profile", None)
    if getattr(args, "smoke_test", False) and not explicit and not os.environ.get("XSYNC_PROFILE"):
        tmp = tempfile.TemporaryDirectory(prefix="xsync-smoke-")
        return Profile(Path(tmp.name) / "smoke profile").ensure(), tmp
    return resolve_profile(explicit, demo=bool(getattr(args, "demo", False))).ensure(), None


def _real_xero_setup(in_memory_keyring: bool) -> Any:
    from ..xero.endpoints import XeroEndpoints, client_id_from_env, scopes_from_env
    from ..xero.token_store import KeyringTokenStore
    from .services import XeroSetup

    backend = None
    if in_memory_keyring:
        from ..xero.testing_keyring import LimitedMemoryKeyring

        backend = LimitedMemoryKeyring()
    return XeroSetup(
        endpoints=XeroEndpoints.from_env(),
        client_id=client_id_from_env(DEFAULT_CLIENT_ID) or "",
        scopes=scopes_from_env(),
        token_store=KeyringTokenStore(backend),
    )


def run_gui(args: Any) -> int:
    smoke = bool(getattr(args, "smoke_test", False))
    demo = bool(getattr(args, "demo", False))
    if smoke and sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from .errors import environment_message, setup_logging
    from .qt import QtCore, QtWidgets

    profile, tmp = _profile_for(args)
    try:
        app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
        app.setApplicationName("xsync desktop")
        app.setOrganizationName("xsync")
        app.setApplicationDisplayName("xsync desktop")
        handler = setup_logging(profile.logs_dir)
        from . import qt_messages
        from .icons import app_icon

        restore_qt_messages = qt_messages.install()
        app.setWindowIcon(app_icon())
        lock = QtCore.QLockFile(str(profile.root / "gui.lock"))
        lock.setStaleLockTime(0)  # a crashed copy's lock is taken over (its pid is gone)
        if not lock.tryLock(200):
            _refuse(smoke, f"xsync desktop is already open for this profile ({profile.root}).\n"
                           "Switch to the open window, or close it first.")
            return EXIT_ENVIRONMENT
        try:
            store = _open_store(profile, smoke)
            if store is None:
                return EXIT_ENVIRONMENT
            return _run(app, profile, demo, smoke, store)
        except Exception as exc:
            message = environment_message(exc)
            if message is None:
                raise
            _refuse(smoke, message)
            return EXIT_ENVIRONMENT
        finally:
            lock.unlock()
            restore_qt_messages()
            logging.getLogger().removeHandler(handler)
            handler.close()
    finally:
        if tmp is not None:
            tmp.cleanup()


def _open_store(profile: Profile, smoke: bool) -> Any:
    """The profile's store; a damaged database gets the backups dialog (None: the person quit)."""
    from ..store.integrity import DatabaseDamaged
    from ..store.store import open_store
    from .damaged_database_dialog import offer_backups

    while True:
        try:
            return open_store(profile.database_url, profile.backups_dir)
        except DatabaseDamaged as damage:
            log.warning("%s", damage.user_message)
            if smoke:
                print(damage.user_message, file=sys.stderr)
                return None
            if not offer_backups(damage):
                return None


def _refuse(smoke: bool, text: str) -> None:
    from .qt import QtWidgets

    log.warning("%s", text)
    if smoke:
        print(text, file=sys.stderr)
    else:
        QtWidgets.QMessageBox.information(None, "xsync desktop", text)


def build_app(profile: Profile, *, demo: bool, smoke: bool = False, sandbox: Any = None,
              show_dialogs: bool = True, store: Any = None) -> tuple[Any, Any]:
    """Store, services and main window for a profile (tests build the app through this too).

    Returns (services, window). With `demo` and a running `sandbox`, Xero is the sandbox.
    `store`: the profile's store when the caller opened it already (run_gui does, to offer
    backups when the database is damaged).
    """
    from ..store.store import open_store
    from . import demo as demo_mod
    from .errors import ErrorReporter
    from .main_window import MainWindow
    from .services import AppServices
    from .worker import set_default_reporter

    if store is None:
        store = open_store(profile.database_url, profile.backups_dir)
    if demo and sandbox is not None:
        xero = demo_mod.demo_xero_setup(sandbox)
    else:
        xero = _real_xero_setup(in_memory_keyring=smoke or demo)
    reporter = ErrorReporter(show_dialogs=show_dialogs)
    services = AppServices(profile, store, xero, demo=demo, reporter=reporter)
    reporter.setParent(services)
    services.sandbox = sandbox
    set_default_reporter(reporter)
    window = MainWindow(services)
    return services, window


def _run(app: Any, profile: Profile, demo: bool, smoke: bool, store: Any) -> int:
    from . import demo as demo_mod

    sandbox = demo_mod.start_sandbox(profile) if demo and not smoke else None
    services, window = build_app(profile, demo=demo, smoke=smoke, sandbox=sandbox, store=store)
    reporter = services.reporter
    try:
        if smoke:
            return _smoke(app, window)
        reporter.install()
        window.show()
        _settle_gc_when_idle()
        if sandbox is not None:
            _start_demo(services, window)
        return int(app.exec())
    finally:
        reporter.uninstall()
        services.close()
        services.store.close()
        if sandbox is not None:
            sandbox.stop()


def _settle_gc_when_idle() -> None:
    """Freeze start-up's objects out of the collector's way once the first frames are painted."""
    from .gc_tuning import settle_after_start
    from .qt import QTimer

    QTimer.singleShot(500, settle_after_start)


def _start_demo(services: Any, window: Any) -> None:
    from . import demo as demo_mod

    window.statusBar().showMessage("Preparing the demo: ledger, sign-in to the sandbox, mapping…")
    services.run_in_background(
        lambda: demo_mod.bootstrap(services),
        lambda text: (window.statusBar().showMessage(text, 20_000), services.notify("connection"),
                      services.notify("mappings"), services.notify("ledger")),
        name="demo-bootstrap",
    )


def _smoke(app: Any, window: Any) -> int:
    window.show()
    app.processEvents()
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
    return EXIT_OK
