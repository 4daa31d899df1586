"""Where Xero lives: production addresses, the sandbox layout, and env overrides.

Kept as one frozen value so tests, the demo and the real app differ only in the
object they pass in, never in code paths.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace

#: Scopes the sync needs (granular scopes, required for apps created after 2 March 2026).
DEFAULT_SCOPES: tuple[str, ...] = (
    "offline_access",
    "accounting.contacts",
    "accounting.settings",
    "accounting.invoices",
    "accounting.payments",
)
#: The pre-2026 broad scopes, for apps that have not migrated yet.
LEGACY_SCOPES: tuple[str, ...] = (
    "offline_access",
    "accounting.contacts",
    "accounting.settings",
    "accounting.transactions",
)

ENV_BASE = "XSYNC_XERO_BASE"
ENV_CLIENT_ID = "XSYNC_XERO_CLIENT_ID"
ENV_SCOPES = "XSYNC_XERO_SCOPES"
_ENV_FIELDS = {
    "authorize_url": "XSYNC_XERO_AUTHORIZE_URL",
    "token_url": "XSYNC_XERO_TOKEN_URL",
    "revocation_url": "XSYNC_XERO_REVOCATION_URL",
    "connections_url": "XSYNC_XERO_CONNECTIONS_URL",
    "api_base": "XSYNC_XERO_API_BASE",
}


@dataclass(frozen=True)
class XeroEndpoints:
    """The five addresses the app talks to."""

    authorize_url: str
    token_url: str
    revocation_url: str
    connections_url: str
    api_base: str

    @classmethod
    def production(cls) -> XeroEndpoints:
        return cls(
            authorize_url="https://login.xero.com/identity/connect/authorize",
            token_url="https://identity.xero.com/connect/token",
            revocation_url="https://identity.xero.com/connect/revocation",
            connections_url="https://api.xero.com/connections",
            api_base="https://api.xero.com/api.xro/2.0",
        )

    @classmethod
    def for_sandbox(cls, base_url: str) -> XeroEndpoints:
        """The sandbox serves everything under one origin."""
        base = base_url.rstrip("/")
        return cls(
            authorize_url=f"{base}/identity/connect/authorize",
            token_url=f"{base}/identity/connect/token",
            revocation_url=f"{base}/identity/connect/revocation",
            connections_url=f"{base}/connections",
            api_base=f"{base}/api.xro/2.0",
        )

    @classmethod
    def from_env(
        cls, default: XeroEndpoints | None = None, env: Mapping[str, str] | None = None
    ) -> XeroEndpoints:
        """``XSYNC_XERO_BASE`` selects a sandbox-layout server; per-URL variables override single fields."""
        env = os.environ if env is None else env
        base = env.get(ENV_BASE, "").strip()
        if base:
            result = cls.for_sandbox(base)
        else:
            result = default if default is not None else cls.production()
        overrides = {field: env[var].strip() for field, var in _ENV_FIELDS.items() if env.get(var, "").strip()}
        return replace(result, **overrides) if overrides else result


def client_id_from_env(default: str | None = None, env: Mapping[str, str] | None = None) -> str | None:
    """The app's public Client ID (no secret exists for a PKCE app)."""
    env = os.environ if env is None else env
    return env.get(ENV_CLIENT_ID, "").strip() or default


def scopes_from_env(default: tuple[str, ...] = DEFAULT_SCOPES, env: Mapping[str, str] | None = None) -> tuple[str, ...]:
    env = os.environ if env is None else env
    raw = env.get(ENV_SCOPES, "").split()
    return tuple(raw) if raw else default
