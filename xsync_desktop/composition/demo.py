"""The demo's Xero: the built-in sandbox, a "browser" that clicks Allow, an in-memory keyring.

Only the composition root uses this. The GUI and the engine receive the result as plain
objects (a `XeroSetup`, a client factory, a ledger seeder) and never learn that Xero is
a sandbox: only the endpoints differ.

The sandbox runs in a child process (127.0.0.1, a port the OS picks; see
sandbox_process.py for why not a thread), its state kept in the demo profile. A frozen
build, which cannot start `python -m`, or a child that fails to start, falls back to the
sandbox in this process (its own thread).

Keyring: demo tokens live in an in-memory keyring (LimitedMemoryKeyring, which still
refuses what Windows would). They are worthless, the real keyring stays untouched, and
each start simply signs in again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import httpx
from sqlalchemy.orm import Session

from ..profile import Profile
from ..xero.endpoints import DEFAULT_SCOPES, XeroEndpoints
from ..xero.token_store import KeyringTokenStore
from .memory_keyring import LimitedMemoryKeyring

if TYPE_CHECKING:
    from ..ui.services import XeroSetup  # Qt: imported where the GUI is built, never by the headless sync

log = logging.getLogger(__name__)


class DemoSandbox(Protocol):
    """What the demo needs of a running sandbox, in this process or a child one."""

    base_url: str
    admin_secret: str  # what the sandbox's admin surface requires (the demo's "Open in Xero" link)

    @property
    def config(self) -> Any: ...  # SandboxConfig: client_id, redirect_uris

    def approve(self, authorize_url: str, tenant_ids: list[str] | None = None) -> str: ...

    def stop(self) -> None: ...


def start_sandbox(profile: Profile, *, in_process: bool = False, **config: Any) -> DemoSandbox:
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


def browser_for(approve: Callable[[str], str]) -> Callable[[str], bool]:
    """An `opener` for LoopbackLogin: `approve` the consent, then follow the redirect like a browser.

    Runs in its own thread, as a browser would: the login's listener is waiting for the redirect.
    """

    def open_url(url: str) -> bool:
        def play() -> None:
            try:
                location = approve(url)
                with httpx.Client(timeout=10) as client:
                    client.get(location)
            except Exception:  # noqa: BLE001 - the login then times out or is cancelled, and says so
                log.exception("demo browser failed")

        threading.Thread(target=play, name="demo-browser", daemon=True).start()
        return True

    return open_url


def redirect_ports(sandbox: DemoSandbox) -> tuple[int, ...]:
    """The loopback ports the sandbox accepts as redirect URIs (the login listens on one of them)."""
    return tuple(int(u.rsplit(":", 1)[1].split("/")[0]) for u in sandbox.config.redirect_uris)


def demo_xero_setup(sandbox: DemoSandbox) -> XeroSetup:
    """Xero as the GUI sees it in the demo: the sandbox's endpoints, its consent page as the browser."""
    from ..ui.services import XeroSetup

    return XeroSetup(
        endpoints=XeroEndpoints.for_sandbox(sandbox.base_url),
        client_id=sandbox.config.client_id,
        scopes=DEFAULT_SCOPES,
        token_store=KeyringTokenStore(LimitedMemoryKeyring()),
        opener=browser_for(sandbox.approve),
        ports=redirect_ports(sandbox),
        sandbox_base=sandbox.base_url,
        sandbox_admin_secret=sandbox.admin_secret,
    )


def seed_demo_ledger(session: Session, invoices: int) -> str:
    """Fill an empty ledger with the demo operator; returns the summary to show or log."""
    from ..ledger.demo import generate_demo_ledger

    return generate_demo_ledger(session, invoices=invoices).text()
