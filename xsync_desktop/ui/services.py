"""What every view needs, in one object handed to each view's constructor.

`AppServices` holds the profile, the store (sessions for the GUI thread only: a
worker opens its own), the Xero connection pieces, the background runner and a
`changed(topic)` signal hub. Views listen to `changed` and refresh coalesced;
whoever writes something calls `notify(topic)`.

Topics: "runs" (a run started/progressed/ended), "connection", "mappings",
"exceptions", "ledger", "settings".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..profile import Profile
from ..store.database import session_scope
from ..store.settings import get_setting, set_setting
from ..store.store import Store
from ..sync.progress import Progress
from .qt import QObject, QtCore, QtGui, Signal
from .worker import BackgroundJob, BackgroundRunner
from .xero_links import xero_url

if TYPE_CHECKING:
    from ..sync.engine import SyncEngine
    from ..xero.client import XeroClient
    from ..xero.endpoints import XeroEndpoints
    from ..xero.session import XeroSession
    from ..xero.token_store import TokenStore
    from .errors import ErrorReporter

log = logging.getLogger(__name__)

TOPICS = ("runs", "connection", "mappings", "exceptions", "ledger", "settings")


@dataclass
class XeroSetup:
    """How this process reaches Xero: real endpoints, or the demo sandbox's."""

    endpoints: XeroEndpoints
    client_id: str
    scopes: tuple[str, ...]
    token_store: TokenStore
    #: opens the authorize URL; the demo's "browser" is the sandbox's approve()
    opener: Callable[[str], object] | None = None
    ports: tuple[int, ...] = (8765, 8766, 8767)
    sandbox_base: str | None = None
    sandbox_admin_secret: str | None = None  # the demo sandbox's admin secret (its listing links)
    #: keyword arguments for XeroClient (tests shorten the retry backoff)
    client_options: dict[str, Any] = field(default_factory=dict)


class SyncHandle(Protocol):
    """What views use of the SyncController: typed here so services.py needs nothing from
    sync_controller.py (which builds on AppServices: the dependency runs one way)."""

    busy_changed: QtCore.SignalInstance
    finished: QtCore.SignalInstance
    failed: QtCore.SignalInstance
    progress: QtCore.SignalInstance
    started: QtCore.SignalInstance
    cancelled: QtCore.SignalInstance
    reconnect_needed: QtCore.SignalInstance

    @property
    def running(self) -> bool: ...

    def sync_now(self, trigger: str = ...) -> bool: ...

    def retry_item(self, item_id: int) -> bool: ...

    def retry_failed(self, run_id: int) -> bool: ...

    def skip_item(self, item_id: int, reason: str) -> bool: ...

    def compare(self, month: str | None) -> bool: ...

    def cancel(self) -> None: ...


class AppServices(QObject):
    """Shared by the main window and all views; lives in the GUI thread."""

    changed = Signal(str)
    #: an environment message (disk full, offline...) for the status bar
    message = Signal(str)

    def __init__(
        self,
        profile: Profile,
        store: Store,
        xero: XeroSetup,
        *,
        demo: bool = False,
        reporter: ErrorReporter | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.profile = profile
        self.store = store
        self.xero = xero
        self.demo = demo
        self.reporter = reporter
        self.runner = BackgroundRunner(self)
        self.live_updates: Any = None  # ui.live_updates.LiveUpdates, started by build_app
        self._xero_session: XeroSession | None = None
        self.sync: SyncHandle | None = None  # the main window's SyncController

    # -- database --------------------------------------------------------------------
    def session(self) -> Session:
        """A new GUI-thread session; close it (use `with services.session() as s:`)."""
        return self.store.sessions()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A committing session for a small GUI-thread write."""
        with session_scope(self.store.sessions) as s:
            yield s

    def setting(self, key: str) -> str | None:
        with self.session() as s:
            return get_setting(s, key)

    def set_settings(self, **values: str | None) -> None:
        with self.write() as s:
            for key, value in values.items():
                set_setting(s, key, value)
        self.notify("settings")

    @property
    def shared_database(self) -> bool:
        """True on PostgreSQL, where other desks may be using the same database right now."""
        return self.store.engine.dialect.name == "postgresql"

    def tenant(self) -> tuple[str | None, str | None]:
        """(tenant_id, tenant_name) chosen for this profile, read from the database (works offline)."""
        with self.session() as s:
            return get_setting(s, "tenant_id"), get_setting(s, "tenant_name")

    # -- signals -------------------------------------------------------------------------
    def notify(self, topic: str) -> None:
        self.changed.emit(topic)

    # -- background work -----------------------------------------------------------------
    def run_in_background(
        self,
        fn: Callable[..., Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
        *,
        name: str = "background",
    ) -> BackgroundJob:
        """Run `fn` in a worker thread; callbacks run on the GUI thread.

        `fn()` or `fn(progress, cancel)`. Without `on_error`, errors go to the
        app's error reporter (environment message or bug dialog).
        """
        return self.runner.run(fn, on_done, on_error, on_progress, on_cancelled, name=name)

    def report_error(self, exc: BaseException) -> None:
        """Tell the person about a failure: a message for the environment, a dialog for a bug."""
        from .errors import environment_message

        env = environment_message(exc)
        if env is not None:
            self.message.emit(env)
        if self.reporter is not None:
            self.reporter.report(exc)
        else:
            log.error("error: %r", exc, exc_info=exc)

    # -- Xero ----------------------------------------------------------------------------
    @property
    def xero_session(self) -> XeroSession:
        """The profile's XeroSession (thread-safe, shared by the GUI and the sync worker)."""
        if self._xero_session is None:
            from ..xero.session import XeroSession

            self._xero_session = XeroSession(
                self.xero.endpoints, self.xero.client_id, self.xero.token_store, self.profile.profile_id,
                lock_dir=self.profile.root,
            )
        return self._xero_session

    def credential_store_problem(self) -> str | None:
        """Why this computer cannot keep the Xero connection (no usable keyring), or None.

        Worded for the person and for IT (what to install): reconnecting cannot help, so the
        window must not blame an expired connection."""
        from ..xero.errors import KeyringUnavailable

        try:
            self.xero_session.is_connected()
        except KeyringUnavailable as exc:
            return exc.user_message
        except Exception:  # noqa: BLE001 - other trouble is reported where it is met
            return None
        return None

    def make_client(self, tenant_id: str) -> XeroClient:
        from ..xero.client import XeroClient

        return XeroClient(self.xero_session, tenant_id, self.xero.endpoints, **self.xero.client_options)

    def make_engine(self) -> SyncEngine:
        """A SyncEngine for the chosen organisation; raises NotConnected without one."""
        from ..sync.engine import SyncEngine

        tenant_id, _ = self.tenant()
        if not tenant_id:
            raise NotConnected()
        return SyncEngine(self.store, lambda: self.make_client(tenant_id), tenant_id,
                          lock_path=self.profile.lock_path)

    def org_shortcode(self) -> str | None:
        """The organisation's ShortCode from the cached Organisation settings (for deep links)."""
        from ..store.models import XeroReference

        tenant_id, _ = self.tenant()
        if not tenant_id:
            return None
        with self.session() as s:
            row = s.scalars(select(XeroReference).where(
                XeroReference.tenant_id == tenant_id, XeroReference.kind == "organisation")).first()
            data = row.data if row is not None else None
        if isinstance(data, dict):
            return data.get("ShortCode") or None
        return None

    def xero_url(self, entity: str, xero_id: str | None) -> str | None:
        sandbox = None
        if self.xero.sandbox_base:
            tenant_id, _ = self.tenant()
            sandbox = f"{self.xero.sandbox_base.rstrip('/')}/__admin/{tenant_id}"
        return xero_url(entity, xero_id, None if sandbox else self.org_shortcode(), sandbox,
                        self.xero.sandbox_admin_secret)

    def open_in_xero(self, entity: str, xero_id: str | None) -> bool:
        """Open the record in Xero (or the demo sandbox) in the browser."""
        url = self.xero_url(entity, xero_id)
        if url is None:
            return False
        return bool(QtGui.QDesktopServices.openUrl(QtCore.QUrl(url)))

    def close(self) -> None:
        """Stop background work and close connections; called once at shutdown."""
        if self.live_updates is not None:
            self.live_updates.stop()
        self.runner.shutdown()
        if self._xero_session is not None:
            self._xero_session.close()


class NotConnected(Exception):
    """No organisation chosen yet: the person must connect to Xero first."""

    user_message = "Not connected to Xero. Open Connection and connect to Xero first."
