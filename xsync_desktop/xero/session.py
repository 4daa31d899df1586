"""One profile's live connection to Xero: access tokens on demand, tenants, sign-out.

Refresh rules (Xero rotates refresh tokens; a lost or doubled refresh kills the
connection):
- refresh a minute before the access token expires, one refresh at a time:
  a ``threading.Lock`` for this process plus an OS file lock for other processes;
- after taking the locks, re-read the keyring: another process may have rotated;
- save the new refresh token *before* the new access token is used;
- ``invalid_grant`` forgets the refresh token and raises ``ReconnectNeeded``; later
  calls raise it at once, with no network call and no loop.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import httpx

from . import codec
from .endpoints import XeroEndpoints
from .errors import Forbidden, NetworkError, NotFound, ReconnectNeeded, XeroError, XeroUnavailable
from .interprocess_lock import InterProcessLock, lock_path_for
from .tls import shared_ssl_context
from .token_store import StoredGrant, TokenStore
from .tokens import TokenSet, refresh_tokens, revoke_token

#: Refresh this many seconds before the access token's stated expiry.
REFRESH_MARGIN = 60.0
API_TIMEOUT = httpx.Timeout(60.0, connect=10.0)


@dataclass(frozen=True)
class Connection:
    """One organisation the user connected (an entry of ``GET /connections``)."""

    id: str
    tenant_id: str
    tenant_type: str
    tenant_name: str
    auth_event_id: str | None = None
    created: datetime | str | None = None
    updated: datetime | str | None = None


@dataclass(frozen=True)
class TenantChoice:
    tenant_id: str
    name: str


class XeroSession:
    """Owns the tokens of one profile.  Thread-safe; share one per profile."""

    def __init__(
        self,
        endpoints: XeroEndpoints,
        client_id: str,
        token_store: TokenStore,
        profile_id: str,
        http: httpx.Client | None = None,
        *,
        lock_dir: Path | None = None,
        clock: Callable[[], float] = time.time,
        refresh_margin: float = REFRESH_MARGIN,
    ) -> None:
        self.endpoints = endpoints
        self.client_id = client_id
        self.profile_id = profile_id
        self._store = token_store
        self._own_http = http is None
        self._http = http if http is not None else httpx.Client(timeout=API_TIMEOUT, verify=shared_ssl_context())
        self._lock = threading.RLock()
        self._file_lock_path = lock_path_for(profile_id, lock_dir)
        self._clock = clock
        self._margin = refresh_margin
        self._access: str | None = None
        self._expires_at = 0.0
        self.refresh_count = 0  # refreshes this process performed (diagnostics, tests)

    # -- tokens ---------------------------------------------------------------------------

    def adopt(self, tokens: TokenSet) -> None:
        """Take over tokens from a fresh login; the refresh token is saved before anything else."""
        with self._lock, self._profile_lock():
            previous = self._store.load(self.profile_id) or StoredGrant(refresh_token=None)
            grant = replace(
                previous,
                refresh_token=tokens.refresh_token,
                scopes=tokens.scopes or previous.scopes,
                refreshed_at=self._clock(),
            )
            self._store.save(self.profile_id, grant)
            self._access, self._expires_at = tokens.access_token, tokens.expires_at

    def is_connected(self) -> bool:
        grant = self._store.load(self.profile_id)
        return bool(grant and grant.refresh_token)

    def access_token(self) -> str:
        """A valid access token, refreshing first when it expires within a minute."""
        with self._lock:
            if self._access is not None and self._clock() < self._expires_at - self._margin:
                return self._access
            return self._refresh()

    def refresh_after_rejection(self, rejected: str) -> str:
        """Xero said ``rejected`` has expired (401): refresh once, unless another thread already did."""
        with self._lock:
            if self._access is not None and self._access != rejected and self._clock() < self._expires_at - self._margin:
                return self._access
            return self._refresh()

    def _refresh(self) -> str:
        with self._profile_lock():
            grant = self._store.load(self.profile_id)  # re-read: another process may have rotated
            if grant is None or not grant.refresh_token:
                self._access = None
                raise ReconnectNeeded(detail="no saved refresh token")
            try:
                tokens = refresh_tokens(
                    self._http, self.endpoints, self.client_id, grant.refresh_token, clock=self._clock
                )
            except ReconnectNeeded:
                self._access = None
                self._store.save(self.profile_id, grant.without_refresh_token())
                raise
            # Persist the rotated refresh token before the new access token is used anywhere.
            self._store.save(
                self.profile_id,
                replace(
                    grant,
                    refresh_token=tokens.refresh_token,
                    scopes=tokens.scopes or grant.scopes,
                    refreshed_at=self._clock(),
                ),
            )
            self._access, self._expires_at = tokens.access_token, tokens.expires_at
            self.refresh_count += 1
            return tokens.access_token

    def _profile_lock(self) -> InterProcessLock:
        return InterProcessLock(self._file_lock_path)

    # -- tenants --------------------------------------------------------------------------

    @property
    def tenant(self) -> TenantChoice | None:
        grant = self._store.load(self.profile_id)
        if grant is None or not grant.tenant_id:
            return None
        return TenantChoice(grant.tenant_id, grant.tenant_name or "")

    @property
    def scopes(self) -> tuple[str, ...]:
        grant = self._store.load(self.profile_id)
        return grant.scopes if grant else ()

    def choose_tenant(self, tenant_id: str, name: str) -> None:
        """Remember which organisation this profile syncs with."""
        with self._lock, self._profile_lock():
            grant = self._store.load(self.profile_id)
            if grant is None:
                raise ReconnectNeeded(detail="not connected")
            self._store.save(self.profile_id, replace(grant, tenant_id=tenant_id, tenant_name=name))

    def connections(self) -> list[Connection]:
        """The organisations this login may use (``GET /connections``)."""
        resp = self._identity_request("GET", self.endpoints.connections_url)
        rows = codec.loads(resp.content) if resp.content else []
        return [
            Connection(
                id=str(r.get("id")),
                tenant_id=str(r.get("tenantId")),
                tenant_type=str(r.get("tenantType") or ""),
                tenant_name=str(r.get("tenantName") or ""),
                auth_event_id=r.get("authEventId"),
                created=r.get("createdDateUtc"),
                updated=r.get("updatedDateUtc"),
            )
            for r in rows
            if isinstance(r, dict)
        ]

    def disconnect(self, connection_id: str) -> None:
        """Remove one organisation's connection; forget the choice if it was that one."""
        conns = {c.id: c for c in self.connections()}
        self._identity_request("DELETE", f"{self.endpoints.connections_url}/{connection_id}")
        gone = conns.get(connection_id)
        choice = self.tenant
        if gone is not None and choice is not None and choice.tenant_id == gone.tenant_id:
            with self._lock, self._profile_lock():
                grant = self._store.load(self.profile_id)
                if grant is not None:
                    self._store.save(self.profile_id, replace(grant, tenant_id=None, tenant_name=None))

    def sign_out(self) -> bool:
        """Revoke the refresh token at Xero and delete local secrets.

        Local secrets are deleted even when Xero cannot be reached; returns whether
        Xero confirmed the revocation.
        """
        with self._lock, self._profile_lock():
            grant = self._store.load(self.profile_id)
            revoked = False
            try:
                if grant is not None and grant.refresh_token:
                    revoke_token(self._http, self.endpoints, self.client_id, grant.refresh_token)
                    revoked = True
            except XeroError:
                revoked = False
            finally:
                self._access = None
                self._expires_at = 0.0
                self._store.delete(self.profile_id)
            return revoked

    def close(self) -> None:
        if self._own_http:
            self._http.close()

    # -- helpers --------------------------------------------------------------------------

    def _identity_request(self, method: str, url: str) -> httpx.Response:
        token = self.access_token()
        for attempt in (1, 2):
            try:
                resp = self._http.request(
                    method, url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}
                )
            except httpx.TransportError as exc:
                raise NetworkError(detail=type(exc).__name__) from None
            if resp.status_code == 401 and attempt == 1:
                token = self.refresh_after_rejection(token)
                continue
            break
        if resp.status_code == 401:
            raise ReconnectNeeded(detail="connections: 401 after refresh")
        if resp.status_code == 403:
            raise Forbidden(None, detail="connections")
        if resp.status_code == 404:
            raise NotFound(url.rsplit("/", 1)[-1])
        if resp.status_code >= 500:
            raise XeroUnavailable(resp.status_code)
        if resp.status_code >= 400:
            raise XeroError("Xero refused the request about connected organisations.", detail=f"HTTP {resp.status_code}")
        return resp
