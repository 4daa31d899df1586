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

from .batch import ElementResult
from .client import RequestEvent, XeroClient
from .endpoints import DEFAULT_SCOPES, LEGACY_SCOPES, XeroEndpoints, client_id_from_env, scopes_from_env
from .errors import (
    Forbidden,
    KeyringUnavailable,
    LoginCancelled,
    LoginError,
    NetworkError,
    NotFound,
    RateLimited,
    ReconnectNeeded,
    ValidationFailed,
    XeroError,
    XeroUnavailable,
)
from .login import DEFAULT_PORTS, LoopbackLogin, redirect_uris
from .pacing import Pacer
from .paging import RepeatedPage
from .redaction import RedactingFilter, redact
from .session import Connection, TenantChoice, XeroSession
from .token_store import KeyringTokenStore, StoredGrant, TokenStore, keyring_check
from .tokens import TokenSet

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
