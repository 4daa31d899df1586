"""`--demo`: a working app with no account anywhere.

The Xero sandbox runs in a child process (127.0.0.1, a port the OS picks; see
ui/sandbox_process.py for why not a thread), its state kept in the demo profile.
A frozen build, which cannot start `python -m`, or a child that fails to start,
falls back to the sandbox in this process (its own thread). The app then signs in through
the *real* PKCE loopback flow, with the sandbox's `approve()` playing the
browser, chooses the first organisation and accepts the suggested mappings.
Nothing in the sync path knows it is a demo: only the endpoints differ.

Keyring: the demo keeps its tokens in an in-memory keyring (LimitedMemoryKeyring,
which still refuses what Windows would). Demo tokens are worthless, the real
keyring stays untouched, and each start simply signs in again.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import httpx
from sqlalchemy import func, select

from ..profile import Profile
from ..store.database import session_scope
from ..store.models import Invoice
from .services import AppServices, XeroSetup

log = logging.getLogger(__name__)

DEMO_INVOICES = 600


def start_sandbox(profile: Profile, *, in_process: bool = False, **config: Any) -> Any:
    """The demo's sandbox: a child process when possible, else a thread in this process."""
    from ..sandbox.config import SandboxConfig
    from ..sandbox.server import SandboxServer
    from .sandbox_process import SandboxProcess, can_spawn

    state_file = profile.root / "sandbox-state.json"
    if not in_process and not config and can_spawn():
        try:
            return SandboxProcess(state_file=state_file)
        except (OSError, RuntimeError) as exc:
            log.warning("sandbox process did not start (%s); running it in this process", exc)
    cfg = SandboxConfig(state_file=str(state_file), **config)
    return SandboxServer(cfg).start()


def browser_for(sandbox: Any) -> Any:
    """An `opener` for LoopbackLogin: approve in the sandbox, then follow the redirect like a browser."""

    def open_url(url: str) -> bool:
        def play() -> None:
            try:
                location = sandbox.approve(url)
                with httpx.Client(timeout=10) as client:
                    client.get(location)
            except Exception:  # noqa: BLE001 - the login then times out or is cancelled, and says so
                log.exception("demo browser failed")

        threading.Thread(target=play, name="demo-browser", daemon=True).start()
        return True

    return open_url


def demo_xero_setup(sandbox: Any) -> XeroSetup:
    from ..xero.endpoints import DEFAULT_SCOPES, XeroEndpoints
    from ..xero.testing_keyring import LimitedMemoryKeyring
    from ..xero.token_store import KeyringTokenStore

    return XeroSetup(
        endpoints=XeroEndpoints.for_sandbox(sandbox.base_url),
        client_id=sandbox.config.client_id,
        scopes=DEFAULT_SCOPES,
        token_store=KeyringTokenStore(LimitedMemoryKeyring()),
        opener=browser_for(sandbox),
        ports=tuple(int(u.rsplit(":", 1)[1].split("/")[0]) for u in sandbox.config.redirect_uris),
        sandbox_base=sandbox.base_url,
    )


def ensure_demo_ledger(services: AppServices, invoices: int = DEMO_INVOICES) -> bool:
    """Generate the demo ledger on first start; True if it was made now."""
    from ..ledger.demo import generate_demo_ledger

    with session_scope(services.store.sessions) as s:
        if s.scalar(select(func.count()).select_from(Invoice)):
            return False
        summary = generate_demo_ledger(s, invoices=invoices)
    log.info("%s", summary.text())
    return True


def sign_in(services: AppServices, timeout: float = 60) -> tuple[str, str]:
    """The real PKCE flow against the sandbox; chooses the first organisation. Returns (id, name)."""
    from ..xero.login import LoopbackLogin

    x = services.xero
    login = LoopbackLogin(x.endpoints, x.client_id, x.scopes, x.ports, opener=x.opener or browser_for(services.sandbox),
                          timeout=timeout)
    login.start()
    tokens = login.wait()
    session = services.xero_session
    session.adopt(tokens)
    connections = session.connections()
    if not connections:
        raise RuntimeError("the demo sandbox offered no organisation")
    first = connections[0]
    session.choose_tenant(first.tenant_id, first.tenant_name)
    with session_scope(services.store.sessions) as s:
        from ..store.settings import set_setting

        set_setting(s, "tenant_id", first.tenant_id)
        set_setting(s, "tenant_name", first.tenant_name)
    return first.tenant_id, first.tenant_name


def accept_suggested_mappings(services: AppServices, tenant_id: str) -> int:
    """Fetch Xero's settings and save the suggested mapping (a person would approve it; the demo does)."""
    from ..sync.mapping_check import suggest_mappings
    from ..sync.settings_refresh import refresh_settings

    client = services.make_client(tenant_id)
    try:
        with session_scope(services.store.sessions) as s:
            refresh_settings(s, client, tenant_id, force=True)
            s.flush()
            suggested = suggest_mappings(s, tenant_id)
            for m in suggested:
                s.add(m)
    finally:
        close = getattr(client, "close", None)
        if close is not None:
            close()
    return len(suggested)


def bootstrap(services: AppServices) -> str:
    """Everything the demo needs before the first sync; runs in a worker thread."""
    made = ensure_demo_ledger(services)
    tenant_id, name = sign_in(services)
    n = accept_suggested_mappings(services, tenant_id)
    return (f"Demo ready: connected to {name}"
            + (", demo ledger created" if made else "")
            + (f", {n} mappings suggested and saved" if n else "") + ".")
