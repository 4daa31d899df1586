"""The headless sync's wiring: `xsync-desktop sync` reaching real Xero or the demo sandbox.

Real Xero: endpoints and client id from XSYNC_XERO_BASE / XSYNC_XERO_CLIENT_ID, tokens
from the OS keyring (signed in from the app). The demo: `--demo` starts a sandbox in this
process (state kept in the profile), and XSYNC_DEMO_SANDBOX=<base url> uses one already
running. A demo signs in through the real PKCE loopback flow each time, with this process
playing the browser; demo tokens live only in memory. A demo's first run fills an empty
ledger and accepts the suggested mappings, as the GUI demo does.

sync/cli.py receives the result as a `Connector` and never learns which Xero it is.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import Any, Protocol

from ..exit_codes import ExitCode
from ..machine_config import load_machine_config
from ..profile import Profile
from ..store.settings import get_setting, set_setting
from ..store.store import Store
from ..sync.cli import Connection, Connector, run_sync, run_verify, say
from ..xero.client import XeroClient
from ..xero.endpoints import DEFAULT_SCOPES, XeroEndpoints, client_id_from_env
from ..xero.errors import XeroError
from ..xero.login import LoopbackLogin, redirect_uris
from ..xero.session import XeroSession
from ..xero.token_store import KeyringTokenStore
from . import demo as demo_kit

log = logging.getLogger(__name__)

DEMO_ENV = "XSYNC_DEMO_SANDBOX"
DEMO_CLIENT_ID = "xsync-desktop-demo"
DEMO_PORTS = (8765, 8766, 8767)


class _Command(Protocol):
    def __call__(self, args: Any, connect: Connector, *, demo: bool = False) -> int: ...


def run_sync_command(args: Any) -> int:
    """`xsync-desktop sync`: one sync against the Xero chosen here."""
    return _connected(args, run_sync)


def run_verify_command(args: Any) -> int:
    """`xsync-desktop verify`: compare the ledger with the Xero chosen here."""
    return _connected(args, run_verify)


def _connected(args: Any, command: _Command) -> int:
    """Choose the Xero, run the command, stop whatever was started for it."""
    demo_base = os.environ.get(DEMO_ENV, "").strip() or None
    if bool(getattr(args, "demo", False)) or demo_base is not None:
        connector = DemoConnector(demo_base)
        try:
            return command(args, connector, demo=True)
        finally:
            connector.stop()
    return command(args, real_connection, demo=False)


# -- the real Xero ------------------------------------------------------------------------------
def real_connection(store: Store, profile: Profile) -> Connection | ExitCode:
    """The profile's organisation on real Xero, with the tokens the app saved in the OS keyring."""
    client_id = client_id_from_env(load_machine_config().client_id)
    if not client_id:
        say("No Xero Client ID is configured (set XSYNC_XERO_CLIENT_ID, or ask IT to preset client_id "
            "in the machine configuration).")
        return ExitCode.ENVIRONMENT
    endpoints = XeroEndpoints.from_env()
    try:
        session = XeroSession(endpoints, client_id, KeyringTokenStore(), profile.profile_id)
        connected = session.is_connected()
        choice = session.tenant() if connected else None
    except XeroError as exc:
        say(exc.user_message)
        return ExitCode.ENVIRONMENT
    if not connected:
        say("Not connected to Xero. Open xsync desktop and connect to Xero, then run sync again.")
        return ExitCode.RECONNECT
    with store.sessions() as s:
        tenant_id = (choice.tenant_id if choice else None) or get_setting(s, "tenant_id")
    if not tenant_id:
        say("No Xero organisation is chosen. Open xsync desktop and choose one, then run sync again.")
        return ExitCode.RECONNECT
    return Connection(lambda: XeroClient(session, tenant_id, endpoints), tenant_id,
                      (choice.tenant_name or None) if choice else None)


# -- the demo sandbox ---------------------------------------------------------------------------
class DemoConnector:
    """Signs in to the demo sandbox (its own, started on first use, or one at `base_url`)."""

    def __init__(self, base_url: str | None) -> None:
        self.base_url = base_url
        self.sandbox: demo_kit.DemoSandbox | None = None

    def __call__(self, store: Store, profile: Profile) -> Connection | ExitCode:
        ports = DEMO_PORTS
        base_url = self.base_url
        if base_url is None:
            # Our own sandbox: register sign-in ports the OS says are free, so two demo syncs
            # at once do not fight over 8765-8767 (still registered, as the fallback).
            ports = free_loopback_ports() + DEMO_PORTS
            self.sandbox = start_sandbox(profile, ports)
            base_url = self.sandbox.base_url
        return demo_connection(store, base_url, ports)

    def stop(self) -> None:
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None


def free_loopback_ports(count: int = 2) -> tuple[int, ...]:
    """Ports on 127.0.0.1 that are free right now (the OS picks them); () if it will not say.

    Another program could take one before the sign-in listener binds it: the login then tries
    the next one, and finally the fixed demo ports.
    """
    socks: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(sock)
            sock.bind(("127.0.0.1", 0))
        return tuple(int(sock.getsockname()[1]) for sock in socks)
    except OSError:
        return ()
    finally:
        for sock in socks:
            sock.close()


def start_sandbox(profile: Profile, ports: tuple[int, ...] = DEMO_PORTS) -> demo_kit.DemoSandbox:
    """A sandbox in this process, accepting sign-ins on `ports` and the fixed demo ports."""
    return demo_kit.start_sandbox(profile, in_process=True,
                                  redirect_uris=redirect_uris(tuple(dict.fromkeys(ports + DEMO_PORTS))))


def demo_connection(store: Store, base_url: str, ports: tuple[int, ...] = DEMO_PORTS) -> Connection | ExitCode:
    """Sign in to the sandbox at `base_url` (this process plays the browser) and choose an organisation."""
    from ..sandbox.browser import approve_over_http
    from .memory_keyring import LimitedMemoryKeyring

    endpoints = XeroEndpoints.for_sandbox(base_url)
    session = XeroSession(endpoints, DEMO_CLIENT_ID, KeyringTokenStore(LimitedMemoryKeyring()), "demo-cli")
    try:
        login = LoopbackLogin(endpoints, DEMO_CLIENT_ID, DEFAULT_SCOPES, ports,
                              opener=demo_kit.browser_for(approve_over_http), timeout=60)
        login.start()
        session.adopt(login.wait())
        connections = session.connections()
    except XeroError as exc:
        say(f"Could not sign in to the demo sandbox: {exc.user_message}")
        return ExitCode.ENVIRONMENT
    if not connections:
        say("The demo sandbox offered no organisation.")
        return ExitCode.ENVIRONMENT
    with store.sessions() as s:
        wanted = get_setting(s, "tenant_id")
        chosen = next((c for c in connections if c.tenant_id == wanted), connections[0])
        set_setting(s, "tenant_id", chosen.tenant_id)
        set_setting(s, "tenant_name", chosen.tenant_name)
        s.commit()
    session.choose_tenant(chosen.tenant_id, chosen.tenant_name)
    connection = Connection(lambda: XeroClient(session, chosen.tenant_id, endpoints), chosen.tenant_id,
                            chosen.tenant_name)
    _demo_first_time(store, connection)
    return connection


def _demo_first_time(store: Store, connection: Connection) -> None:
    """A demo with an empty ledger or no mappings gets them, as the GUI demo does."""
    from sqlalchemy import func, select

    from ..store.models import Invoice, Mapping
    from ..sync.mapping_check import suggest_mappings
    from ..sync.settings_refresh import refresh_settings

    with store.sessions() as s:
        if not s.scalar(select(func.count()).select_from(Invoice)):
            say(demo_kit.seed_demo_ledger(s, 600))
            s.commit()
        if not s.scalar(select(func.count()).select_from(Mapping)):
            client = connection.factory()
            try:
                refresh_settings(s, client, connection.tenant_id, force=True)
                s.flush()
                for m in suggest_mappings(s, connection.tenant_id):
                    s.add(m)
                s.commit()
            except XeroError as exc:
                # Xero refusing now (503, offline, limits) is the run's to report, in the same words
                # and exit code as for a configured profile; the mapping is suggested on a later run.
                s.rollback()
                log.info("demo mapping suggestion postponed: %s", exc.user_message)
            finally:
                client.close()
