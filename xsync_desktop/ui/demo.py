"""`--demo`: a working app with no account anywhere, as the GUI drives it.

The composition root (xsync_desktop/composition) starts the sandbox and hands the GUI a
`XeroSetup` whose endpoints are the sandbox's and whose `opener` plays the browser on its
consent page, plus a ledger seeder. From here on the demo is the real app: it signs in
through the *real* PKCE loopback flow, chooses the first organisation and accepts the
suggested mappings. Nothing here knows the sandbox or how demo data is made.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..store.database import session_scope
from ..store.models import Invoice
from .services import AppServices

log = logging.getLogger(__name__)

DEMO_INVOICES = 600

#: fills an empty ledger with about N invoices in the session; returns a summary line
LedgerSeeder = Callable[[Session, int], str]


def ensure_demo_ledger(services: AppServices, seed: LedgerSeeder, invoices: int = DEMO_INVOICES) -> bool:
    """Generate the demo ledger on first start; True if it was made now."""
    with session_scope(services.store.sessions) as s:
        if s.scalar(select(func.count()).select_from(Invoice)):
            return False
        summary = seed(s, invoices)
    log.info("%s", summary)
    return True


def sign_in(services: AppServices, timeout: float = 60) -> tuple[str, str]:
    """The real PKCE flow against the sandbox; chooses the first organisation. Returns (id, name)."""
    from ..xero.login import LoopbackLogin

    x = services.xero
    if x.opener is None:
        raise RuntimeError("the demo's Xero setup has no browser to approve the sign-in")
    login = LoopbackLogin(x.endpoints, x.client_id, x.scopes, x.ports, opener=x.opener, timeout=timeout)
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


def bootstrap(services: AppServices, seed: LedgerSeeder) -> str:
    """Everything the demo needs before the first sync; runs in a worker thread."""
    made = ensure_demo_ledger(services, seed)
    tenant_id, name = sign_in(services)
    n = accept_suggested_mappings(services, tenant_id)
    return (f"Demo ready: connected to {name}"
            + (", demo ledger created" if made else "")
            + (f", {n} mappings suggested and saved" if n else "") + ".")
