"""Connection: connect to Xero (PKCE in the browser), pick the organisation, disconnect, sign out.

The login waits for the browser in a worker thread, so the window never
freezes; the authorize URL is shown for copying (no browser, or the wrong
one), and Cancel stops the wait. A banner says plainly when Xero needs a
reconnect. The sync schedule is on the Settings page with the other sync settings.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ...store.states import RunOutcome
from ...sync.progress import Progress
from ..errors import describe
from ..models.style import OUTCOME_COLOURS
from ..qt import QtWidgets, Signal
from ..refresh import RefreshCoalescer
from ..services import AppServices
from ..worker import BackgroundJob

if TYPE_CHECKING:
    from ...xero.login import LoopbackLogin

log = logging.getLogger(__name__)


class ConnectionView(QtWidgets.QWidget):
    connected = Signal(str)  # tenant name, once an organisation is chosen

    def __init__(self, services: AppServices, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connectionView")
        self.services = services
        self._login: LoopbackLogin | None = None
        self._job: BackgroundJob | None = None
        self._connections: list[Any] = []
        self.reconnect_needed = False
        self.last_error: str | None = None
        #: no usable credential store on this computer (keyring's 'fail' backend, no Secret Service):
        #: a connect could not be saved either, so the window says what IT must install instead
        self.keyring_problem: str | None = None
        #: what the last sign-out left to say; kept across refreshes until the next login
        self.notice: str | None = None
        self._build()
        self._coalescer = RefreshCoalescer(self, self.refresh, services.changed, ("connection", "settings"))
        if services.sync is not None:
            services.sync.reconnect_needed.connect(self._sync_needs_reconnect)
        #: the organisation list was asked of Xero once on its own (first show)
        self._asked_connections = False

    def _build(self) -> None:
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(18, 14, 18, 14)
        outer.setSpacing(12)
        self.banner = QtWidgets.QLabel("")
        self.banner.setObjectName("reconnectBanner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(
            f"QLabel {{ border: 1px solid {OUTCOME_COLOURS[RunOutcome.FAILED]}; border-radius: 4px; padding: 8px; }}")
        self.banner.hide()
        outer.addWidget(self.banner)

        status_box = QtWidgets.QGroupBox("Xero")
        sl = QtWidgets.QVBoxLayout(status_box)
        self.status = QtWidgets.QLabel("Not connected")
        f = self.status.font()
        f.setPointSizeF(f.pointSizeF() * 1.2)
        f.setBold(True)
        self.status.setFont(f)
        self.status.setObjectName("connectionStatus")
        sl.addWidget(self.status)
        self.detail = QtWidgets.QLabel("")
        self.detail.setWordWrap(True)
        sl.addWidget(self.detail)
        row = QtWidgets.QHBoxLayout()
        self.connect_button = QtWidgets.QPushButton("Connect to Xero…")
        self.connect_button.setObjectName("connectXero")
        self.connect_button.clicked.connect(self.start_login)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelLogin")
        self.cancel_button.clicked.connect(self.cancel_login)
        self.cancel_button.hide()
        self.disconnect_button = QtWidgets.QPushButton("Disconnect organisation")
        self.disconnect_button.setToolTip("Remove this organisation's connection in Xero; other organisations stay")
        self.disconnect_button.clicked.connect(self.disconnect_org)
        self.sign_out_button = QtWidgets.QPushButton("Sign out")
        self.sign_out_button.setToolTip("Revoke access at Xero and delete the saved connection from this computer")
        self.sign_out_button.clicked.connect(self.sign_out)
        for b in (self.connect_button, self.cancel_button, self.disconnect_button, self.sign_out_button):
            row.addWidget(b)
        row.addStretch(1)
        sl.addLayout(row)

        self.url_row = QtWidgets.QWidget()
        ul = QtWidgets.QHBoxLayout(self.url_row)
        ul.setContentsMargins(0, 0, 0, 0)
        ul.addWidget(QtWidgets.QLabel("If no browser opened, open this address:"))
        self.url = QtWidgets.QLineEdit()
        self.url.setObjectName("loginUrl")
        self.url.setReadOnly(True)
        ul.addWidget(self.url, 1)
        copy = QtWidgets.QPushButton("Copy")
        copy.clicked.connect(lambda: QtWidgets.QApplication.clipboard().setText(self.url.text()))
        ul.addWidget(copy)
        self.url_row.hide()
        sl.addWidget(self.url_row)
        outer.addWidget(status_box)

        org_box = QtWidgets.QGroupBox("Organisation")
        ol = QtWidgets.QHBoxLayout(org_box)
        self.orgs = QtWidgets.QComboBox()
        self.orgs.setObjectName("orgPicker")
        self.orgs.setMinimumWidth(260)
        self.use_org_button = QtWidgets.QPushButton("Use this organisation")
        self.use_org_button.clicked.connect(self.use_selected_org)
        self.reload_orgs_button = QtWidgets.QPushButton("Reload list")
        self.reload_orgs_button.clicked.connect(self.load_connections)
        ol.addWidget(self.orgs, 1)
        ol.addWidget(self.use_org_button)
        ol.addWidget(self.reload_orgs_button)
        outer.addWidget(org_box)

        outer.addStretch(1)

    # -- state ---------------------------------------------------------------------------
    def refresh(self) -> None:
        tenant_id, tenant_name = self.services.tenant()
        connected = self._is_connected()
        if self.keyring_problem:
            self.status.setText("The connection to Xero cannot be read on this computer"
                                + (f" (organisation: {tenant_name or tenant_id})" if tenant_id else ""))
            self.detail.setText("History, exceptions and logs stay readable; syncing waits for a credential store.")
        elif tenant_id and connected:
            self.status.setText(f"Connected to {tenant_name or tenant_id}")
            self.detail.setText("Syncs send this profile's ledger to this organisation.")
        elif connected:
            self.status.setText("Signed in — choose an organisation")
            self.detail.setText("Pick the organisation this ledger belongs to.")
        elif tenant_id:
            self.status.setText(f"Not connected (was {tenant_name or tenant_id})")
            self.detail.setText("History and logs stay readable. Connect to Xero to sync again.")
        else:
            self.status.setText("Not connected")
            self.detail.setText(self.notice or "Connect to Xero to send this ledger's invoices and payments. "
                                "Your browser opens Xero's sign-in page; no password is stored here.")
        self._set_banner()
        busy = self._login is not None
        self.connect_button.setVisible(not busy)
        # connected and working: nothing to connect (Reconnect stays available when it is needed)
        self.connect_button.setEnabled((not (tenant_id and connected) or self.reconnect_needed)
                                       and not self.keyring_problem)
        self.connect_button.setToolTip("Needs a secure credential store on this computer (see above)"
                                       if self.keyring_problem else "")
        self.connect_button.setText("Reconnect to Xero…" if (tenant_id and not connected) or self.reconnect_needed
                                     else "Connect to Xero…")
        self.cancel_button.setVisible(busy)
        self.disconnect_button.setEnabled(connected and bool(tenant_id) and not busy)
        self.sign_out_button.setEnabled(connected and not busy)
        self.use_org_button.setEnabled(self.orgs.count() > 0 and not busy)
        self.reload_orgs_button.setEnabled(connected and not busy)
        if not self._connections:
            self._offer_known_organisations(tenant_id, tenant_name, connected and not busy)

    def _offer_known_organisations(self, tenant_id: str | None, tenant_name: str | None, ask_xero: bool) -> None:
        """The organisation list on first show: the saved one at once (works offline), then
        Xero's list in the background, once; an unanswered ask leaves the saved one quietly."""
        if self.orgs.count() == 0 and tenant_id:
            self.orgs.addItem(tenant_name or tenant_id, tenant_id)
            self.use_org_button.setEnabled(self._login is None)
        if ask_xero and not self._asked_connections:
            self._asked_connections = True
            self.services.run_in_background(
                self.services.xero_session.connections, self._connections_loaded,
                lambda exc: log.info("organisation list not loaded: %s", describe(exc)), name="xero-connections")

    def _is_connected(self) -> bool:
        from ...xero.errors import KeyringUnavailable

        try:
            connected = self.services.xero_session.is_connected()
        except KeyringUnavailable as exc:  # the machine's setup, not an expired connection
            self.keyring_problem = describe(exc)
            return False
        except Exception as exc:  # noqa: BLE001 - other trouble is shown, not raised
            self.last_error = describe(exc)
            return False
        self.keyring_problem = None
        return connected

    def _set_banner(self) -> None:
        tenant_id, _ = self.services.tenant()
        text = None
        connected = self._is_connected()
        if self.keyring_problem:  # reconnecting cannot help: say what is missing, and only that
            self.banner.setText(self.keyring_problem)
            self.banner.setVisible(True)
            return
        if self.reconnect_needed or (tenant_id and not connected and self._login is None):
            text = ("Xero needs you to connect again: the saved connection expired or was removed. "
                    "Nothing is lost; click Reconnect to Xero.")
        if self.last_error:
            text = self.last_error if text is None else f"{text}\n{self.last_error}"
        self.banner.setText(text or "")
        self.banner.setVisible(bool(text))

    def _sync_needs_reconnect(self, _message: str) -> None:
        self.reconnect_needed = True
        self.refresh()

    # -- login ---------------------------------------------------------------------------
    def start_login(self) -> None:
        from ...xero.login import LoopbackLogin

        if self._login is not None:
            return
        x = self.services.xero
        try:
            login = LoopbackLogin(x.endpoints, x.client_id, x.scopes, x.ports,
                                  **({"opener": x.opener} if x.opener is not None else {}))
        except Exception as exc:  # noqa: BLE001 - a misconfiguration is a message
            self._fail(exc)
            return
        self._login = login
        self.last_error = None
        self.notice = None
        self.status.setText("Waiting for Xero in your browser…")
        self.detail.setText("Sign in to Xero and allow access. This window keeps working meanwhile.")
        session = self.services.xero_session

        def work(progress: Any, _cancel: Any) -> list[Any]:
            url = login.start()
            progress(Progress("login", 0, 0, message=url))
            tokens = login.wait()
            session.adopt(tokens)
            return session.connections()

        self._job = self.services.run_in_background(
            work, self._login_done, self._login_failed, self._login_progress, name="xero-login")
        self.refresh()
        self.status.setText("Waiting for Xero in your browser…")

    def cancel_login(self) -> None:
        if self._login is not None:
            self._login.cancel()

    def _login_progress(self, p: Progress) -> None:
        if p.phase == "login" and p.message:
            self.url.setText(p.message)
            self.url.setCursorPosition(0)
            self.url_row.show()

    def _login_done(self, connections: list[Any]) -> None:
        self._login = None
        self.url_row.hide()
        self.reconnect_needed = False
        self._set_connections(connections)
        tenant_id, _ = self.services.tenant()
        known = [c for c in connections if c.tenant_id == tenant_id]
        if known:
            self.choose(known[0].tenant_id, known[0].tenant_name)
        elif len(connections) == 1:
            self.choose(connections[0].tenant_id, connections[0].tenant_name)
        self.services.notify("connection")
        self.refresh()

    def _login_failed(self, exc: BaseException) -> None:
        from ...xero.errors import LoginCancelled

        self._login = None
        self.url_row.hide()
        if isinstance(exc, LoginCancelled):
            self.last_error = None
            self.refresh()
            self.detail.setText("Connecting was cancelled.")
            return
        self._fail(exc)

    def _fail(self, exc: BaseException) -> None:
        self.last_error = describe(exc)
        log.info("connection: %s", self.last_error)
        from ...xero.errors import ReconnectNeeded

        if isinstance(exc, ReconnectNeeded):
            self.reconnect_needed = True
        self.refresh()

    # -- organisations ---------------------------------------------------------------------
    def _set_connections(self, connections: list[Any]) -> None:
        self._connections = list(connections)
        self.orgs.clear()
        for c in self._connections:
            self.orgs.addItem(c.tenant_name or c.tenant_id, c.tenant_id)
        tenant_id, _ = self.services.tenant()
        i = self.orgs.findData(tenant_id)
        if i >= 0:
            self.orgs.setCurrentIndex(i)

    def load_connections(self) -> None:
        session = self.services.xero_session
        self.services.run_in_background(session.connections, self._connections_loaded, self._fail,
                                        name="xero-connections")

    def _connections_loaded(self, connections: list[Any]) -> None:
        self.last_error = None
        self._set_connections(connections)
        self.refresh()

    def use_selected_org(self) -> None:
        i = self.orgs.currentIndex()
        if 0 <= i < len(self._connections):
            c = self._connections[i]
            self.choose(c.tenant_id, c.tenant_name)

    def choose(self, tenant_id: str, name: str) -> None:
        """Remember the organisation (keyring for the session, database for the app and the CLI).

        Refused when the (shared) database already keeps another organisation's books.
        """
        from ...sync.organisation import check_organisation

        try:
            with self.services.session() as s:
                check_organisation(s, tenant_id, name)
            self.services.xero_session.choose_tenant(tenant_id, name)
        except Exception as exc:  # noqa: BLE001
            self._fail(exc)
            return
        self.services.set_settings(tenant_id=tenant_id, tenant_name=name)
        self.services.notify("connection")
        self.connected.emit(name)
        self.refresh()

    def disconnect_org(self) -> None:
        tenant_id, _ = self.services.tenant()
        conn = next((c for c in self._connections if c.tenant_id == tenant_id), None)
        session = self.services.xero_session

        def work() -> None:
            target = conn
            if target is None:
                target = next((c for c in session.connections() if c.tenant_id == tenant_id), None)
            if target is not None:
                session.disconnect(target.id)

        self.services.run_in_background(work, lambda _r: self._forget_tenant(), self._fail, name="xero-disconnect")

    def sign_out(self) -> None:
        session = self.services.xero_session

        def done(revoked: bool) -> None:
            # Said in refresh() (the coalesced refresh after "connection" changed must not wipe it).
            self.notice = None if revoked else (
                "Signed out on this computer. Xero could not be told (offline?); "
                "the access will expire by itself.")
            self._set_connections([])
            self._forget_tenant()

        self.services.run_in_background(session.sign_out, done, self._fail, name="xero-sign-out")

    def _forget_tenant(self) -> None:
        if not self.services.shared_database:  # on a shared database the other desks still use it
            self.services.set_settings(tenant_id=None, tenant_name=None)
        self.reconnect_needed = False
        self.services.notify("connection")
        self.refresh()

    @property
    def login_in_progress(self) -> bool:
        return self._login is not None
