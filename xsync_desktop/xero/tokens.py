"""Xero's token endpoint: code exchange, refresh and revocation.

authlib supplies the PKCE and random-token primitives; the POSTs are plain httpx
so that we decide how refresh tokens rotate, when to lock, and what may be
logged (nothing secret).  A public PKCE client sends ``client_id`` and never a
secret.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from .endpoints import XeroEndpoints
from .errors import LoginError, NetworkError, ReconnectNeeded, XeroUnavailable

log = logging.getLogger(__name__)

#: Xero's default request timeout for the identity server (seconds).
TOKEN_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


@dataclass(frozen=True)
class TokenSet:
    """One token response.  Secrets are excluded from repr so they never reach a log by accident."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: float  # wall-clock epoch seconds when the access token expires
    scopes: tuple[str, ...] = ()
    token_type: str = "Bearer"
    id_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class PkcePair:
    """A PKCE verifier (43-128 unreserved chars) and its S256 challenge."""

    verifier: str = field(repr=False)
    challenge: str

    @classmethod
    def new(cls) -> PkcePair:
        verifier = generate_token(64)  # letters and digits only: a subset of RFC 7636's alphabet
        return cls(verifier=verifier, challenge=create_s256_code_challenge(verifier))


def new_state() -> str:
    return generate_token(32)


def exchange_code(
    http: httpx.Client,
    endpoints: XeroEndpoints,
    client_id: str,
    *,
    code: str,
    redirect_uri: str,
    code_verifier: str,
    clock: Callable[[], float] = time.time,
) -> TokenSet:
    """Trade the authorization code for tokens.  Any refusal here is a ``LoginError``."""
    data = {
        "grant_type": "authorization_code",
        "client_id": client_id,
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": code_verifier,
    }
    try:
        body = _post_token(http, endpoints.token_url, data)
    except ReconnectNeeded as exc:
        raise LoginError(
            "Xero did not accept the sign-in (the code was refused). Please try connecting again.",
            detail=exc.detail,
        ) from None
    return _token_set(body, clock(), previous_refresh=None)


def refresh_tokens(
    http: httpx.Client,
    endpoints: XeroEndpoints,
    client_id: str,
    refresh_token: str,
    *,
    clock: Callable[[], float] = time.time,
) -> TokenSet:
    """Rotate: the answer holds a new refresh token that replaces the old one."""
    data = {"grant_type": "refresh_token", "client_id": client_id, "refresh_token": refresh_token}
    body = _post_token(http, endpoints.token_url, data)
    return _token_set(body, clock(), previous_refresh=refresh_token)


def revoke_token(http: httpx.Client, endpoints: XeroEndpoints, client_id: str, token: str) -> None:
    """Revoke a refresh token: Xero then drops every connection made with it."""
    _, error = _post_form(http, endpoints.revocation_url, {"token": token, "client_id": client_id})
    if error is not None:
        if error == "invalid_grant":  # already revoked or expired: the goal is reached
            return
        raise LoginError("Xero did not accept the sign-out request.", detail=error)


def _post_form(http: httpx.Client, url: str, data: dict[str, str],
               headers: dict[str, str] | None = None) -> tuple[httpx.Response, str | None]:
    """POST a form to Xero's identity service: its answer, and the OAuth error when it refused
    (4xx). No answer is a NetworkError, a 5xx XeroUnavailable: neither is the person's doing."""
    try:
        resp = http.post(url, data=data, headers=headers, timeout=TOKEN_TIMEOUT)
    except httpx.TransportError as exc:
        raise NetworkError(detail=type(exc).__name__) from None
    if resp.status_code >= 500:
        raise XeroUnavailable(resp.status_code)
    return resp, (_oauth_error(resp) if resp.status_code >= 400 else None)


def _post_token(http: httpx.Client, url: str, data: dict[str, str]) -> dict:
    resp, error = _post_form(http, url, data, {"Accept": "application/json"})
    if error is not None:
        log.info("Xero token endpoint refused a %s request: HTTP %s %s", data["grant_type"], resp.status_code, error)
        if error == "invalid_grant":
            raise ReconnectNeeded(detail=error)
        raise LoginError("Xero refused the sign-in request. Please try connecting again.", detail=error)
    try:
        body = resp.json()
    except ValueError:
        raise XeroUnavailable(resp.status_code, detail="token endpoint answered with no JSON") from None
    if not isinstance(body, dict) or not body.get("access_token"):
        raise XeroUnavailable(resp.status_code, detail="token endpoint answered without a token")
    return body


def _oauth_error(resp: httpx.Response) -> str:
    """The OAuth ``error`` code only: a fixed vocabulary, safe to show and log."""
    try:
        body = resp.json()
    except ValueError:
        return f"HTTP {resp.status_code}"
    error = body.get("error") if isinstance(body, dict) else None
    return str(error)[:64] if error else f"HTTP {resp.status_code}"


def _token_set(body: dict, now: float, previous_refresh: str | None) -> TokenSet:
    refresh = body.get("refresh_token") or previous_refresh
    if not refresh:
        raise LoginError(
            "Xero did not grant offline access, so the connection could not be kept. "
            "Connect again and allow offline access."
        )
    try:
        expires_in = float(body.get("expires_in", 1800))
    except (TypeError, ValueError):
        expires_in = 1800.0
    scope = body.get("scope") or ""
    return TokenSet(
        access_token=str(body["access_token"]),
        refresh_token=str(refresh),
        expires_at=now + expires_in,
        scopes=tuple(str(scope).split()),
        token_type=str(body.get("token_type") or "Bearer"),
        id_token=body.get("id_token"),
    )
