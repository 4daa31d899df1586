"""What survives a restart: the refresh token and a few small facts, in the OS keyring only.

The access token (a JWT of well over 1,000 characters) is never stored: Windows
Credential Manager refuses secrets over 2,560 bytes, and a 30-minute token is
cheap to get again.  One keyring entry per profile holds a small JSON object,
written in one call so the refresh token and its facts never disagree.

There is never a silent plaintext fallback: ``keyring_check`` refuses the
"fail"/"null" backends and the keyrings.alt file backends (which become the
default if that package is installed by accident).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from typing import Protocol

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

from .errors import KeyringBackendMisconfigured, KeyringUnavailable

SERVICE_PREFIX = "xsync-desktop"
ENTRY_NAME = "xero-connection"
#: Keep each entry far below Windows' 1,280-character ceiling.
MAX_ENTRY_CHARS = 1000
#: keyring's own environment variable naming the backend class to use
BACKEND_ENV = "PYTHON_KEYRING_BACKEND"


@dataclass(frozen=True)
class StoredGrant:
    """The persistent part of a Xero connection."""

    refresh_token: str | None = field(repr=False)
    scopes: tuple[str, ...] = ()
    refreshed_at: float = 0.0  # wall-clock epoch seconds the refresh token was issued
    tenant_id: str | None = None
    tenant_name: str | None = None

    def without_refresh_token(self) -> StoredGrant:
        return replace(self, refresh_token=None)

    def to_json(self) -> str:
        return json.dumps(
            {
                "v": 1,
                "refresh_token": self.refresh_token,
                "scopes": " ".join(self.scopes),
                "refreshed_at": round(self.refreshed_at, 3),
                "tenant_id": self.tenant_id,
                "tenant_name": self.tenant_name,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> StoredGrant | None:
        try:
            data = json.loads(text)
        except ValueError:
            return None  # unreadable entry: treat as "not connected", never crash
        if not isinstance(data, dict):
            return None
        return cls(
            refresh_token=data.get("refresh_token") or None,
            scopes=tuple(str(data.get("scopes") or "").split()),
            refreshed_at=float(data.get("refreshed_at") or 0.0),
            tenant_id=data.get("tenant_id") or None,
            tenant_name=data.get("tenant_name") or None,
        )


class TokenStore(Protocol):
    """Where a session keeps its ``StoredGrant``, keyed by profile id."""

    def load(self, profile_id: str) -> StoredGrant | None: ...

    def save(self, profile_id: str, grant: StoredGrant) -> None: ...

    def delete(self, profile_id: str) -> None: ...


def insecure_reason(backend: KeyringBackend) -> str | None:
    """Why ``backend`` must not hold Xero secrets, or None if it is a real credential store."""
    cls = type(backend)
    module, name = cls.__module__, cls.__name__
    if module == "keyring.backends.fail":
        return "no credential store backend is available"
    if module == "keyring.backends.null":
        return "the keyring is disabled (null backend)"
    if module.startswith("keyrings.alt") or "plaintext" in name.lower():
        return f"the active keyring ({module}.{name}) keeps secrets in a plain file"
    if module == "keyring.backends.chainer":
        chained = list(getattr(backend, "backends", []))
        if not chained:
            return "no credential store backend is available"
        return insecure_reason(chained[0])  # the chainer writes to its first backend
    return None


def _configured_backend() -> KeyringBackend:
    """keyring's own choice, or ``KeyringUnavailable`` when its configuration cannot be loaded.

    PYTHON_KEYRING_BACKEND (or keyringrc.cfg) naming a backend that does not exist makes
    keyring raise whatever the import raised (ModuleNotFoundError, AttributeError...); that is
    the machine's setup, not a bug, so it gets a message that names the setting to fix.
    """
    try:
        return keyring.get_keyring()
    except Exception as exc:  # noqa: BLE001 - any failure to load the configured backend
        name = os.environ.get(BACKEND_ENV, "").strip()
        raise KeyringBackendMisconfigured(name[:120], detail=type(exc).__name__) from None


def keyring_check(backend: KeyringBackend | None = None) -> KeyringBackend:
    """Return the backend to use, or raise ``KeyringUnavailable`` with a plain message."""
    backend = backend if backend is not None else _configured_backend()
    reason = insecure_reason(backend)
    if reason:
        raise KeyringUnavailable(detail=reason)
    return backend


class KeyringTokenStore:
    """``TokenStore`` on the OS keyring: service ``xsync-desktop/<profile-id>``."""

    def __init__(self, backend: KeyringBackend | None = None, service_prefix: str = SERVICE_PREFIX) -> None:
        self._explicit = backend
        self._prefix = service_prefix

    def service(self, profile_id: str) -> str:
        return f"{self._prefix}/{profile_id}"

    def _backend(self) -> KeyringBackend:
        return keyring_check(self._explicit)

    def load(self, profile_id: str) -> StoredGrant | None:
        backend = self._backend()
        try:
            text = backend.get_password(self.service(profile_id), ENTRY_NAME)
        except keyring.errors.KeyringError as exc:
            raise KeyringUnavailable(detail=type(exc).__name__) from None
        return StoredGrant.from_json(text) if text else None

    def save(self, profile_id: str, grant: StoredGrant) -> None:
        text = grant.to_json()
        if len(text) > MAX_ENTRY_CHARS:
            # Only a huge tenant name can get here; shorten the name, never the token.
            grant = replace(grant, tenant_name=(grant.tenant_name or "")[:100] or None)
            text = grant.to_json()
        backend = self._backend()
        try:
            backend.set_password(self.service(profile_id), ENTRY_NAME, text)
        except keyring.errors.KeyringError as exc:
            raise KeyringUnavailable(detail=type(exc).__name__) from None

    def delete(self, profile_id: str) -> None:
        backend = self._backend()
        try:
            backend.delete_password(self.service(profile_id), ENTRY_NAME)
        except keyring.errors.PasswordDeleteError:
            pass  # already gone
        except keyring.errors.KeyringError as exc:
            raise KeyringUnavailable(detail=type(exc).__name__) from None
