"""Everything that talks to Xero: login, tokens, the Accounting API client.

Knows nothing of the ledger or of Qt.  Typical use::

    endpoints = XeroEndpoints.from_env()
    store = KeyringTokenStore()            # raises KeyringUnavailable on a plaintext/absent keyring
    session = XeroSession(endpoints, client_id, store, profile_id)
    login = LoopbackLogin(endpoints, client_id, DEFAULT_SCOPES)
    url = login.start(); session.adopt(login.wait())
    org = session.connections()[0]; session.choose_tenant(org.tenant_id, org.tenant_name)
    client = XeroClient(session, org.tenant_id, endpoints)
"""

import importlib
from typing import Any

#: each public name and the submodule holding it, imported on first use (PEP 562): importing
#: one submodule, e.g. the log redaction at start-up, must not import httpx and the whole client
_WHERE = {
    "Connection": "session",
    "DEFAULT_PORTS": "login",
    "DEFAULT_SCOPES": "endpoints",
    "ElementResult": "batch",
    "Forbidden": "errors",
    "KeyringTokenStore": "token_store",
    "KeyringUnavailable": "errors",
    "LEGACY_SCOPES": "endpoints",
    "LoginCancelled": "errors",
    "LoginError": "errors",
    "LoopbackLogin": "login",
    "NetworkError": "errors",
    "NotFound": "errors",
    "Pacer": "pacing",
    "RateLimited": "errors",
    "ReconnectNeeded": "errors",
    "RedactingFilter": "redaction",
    "RepeatedPage": "paging",
    "RequestEvent": "client",
    "StoredGrant": "token_store",
    "TenantChoice": "session",
    "TokenSet": "tokens",
    "TokenStore": "token_store",
    "ValidationFailed": "errors",
    "XeroClient": "client",
    "XeroEndpoints": "endpoints",
    "XeroError": "errors",
    "XeroSession": "session",
    "XeroUnavailable": "errors",
    "client_id_from_env": "endpoints",
    "keyring_check": "token_store",
    "redact": "redaction",
    "redirect_uris": "login",
    "scopes_from_env": "endpoints",
}

__all__ = [
    "DEFAULT_PORTS",
    "DEFAULT_SCOPES",
    "LEGACY_SCOPES",
    "Connection",
    "ElementResult",
    "Forbidden",
    "KeyringTokenStore",
    "KeyringUnavailable",
    "LoginCancelled",
    "LoginError",
    "LoopbackLogin",
    "NetworkError",
    "NotFound",
    "Pacer",
    "RateLimited",
    "ReconnectNeeded",
    "RedactingFilter",
    "RepeatedPage",
    "RequestEvent",
    "StoredGrant",
    "TenantChoice",
    "TokenSet",
    "TokenStore",
    "ValidationFailed",
    "XeroClient",
    "XeroEndpoints",
    "XeroError",
    "XeroSession",
    "XeroUnavailable",
    "client_id_from_env",
    "keyring_check",
    "redact",
    "redirect_uris",
    "scopes_from_env",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value
