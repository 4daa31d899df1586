"""Refresh rules at the edges, with a scripted token endpoint (httpx.MockTransport)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest

from xsync_desktop.composition.memory_keyring import LimitedMemoryKeyring
from xsync_desktop.xero.endpoints import XeroEndpoints
from xsync_desktop.xero.errors import KeyringUnavailable, NetworkError, ReconnectNeeded
from xsync_desktop.xero.session import XeroSession
from xsync_desktop.xero.token_store import KeyringTokenStore, StoredGrant
from xsync_desktop.xero.tokens import TokenSet

ENDPOINTS = XeroEndpoints.for_sandbox("http://xero.test")
ACCESS = "eyJ" + "a" * 1200 + ".b.c"


class TokenEndpoint:
    def __init__(self) -> None:
        self.calls: list[dict[str, str]] = []
        self.mode = "ok"
        self.n = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        self.calls.append(form)
        if self.mode == "invalid_grant":
            return httpx.Response(400, json={"error": "invalid_grant"})
        if self.mode == "down":
            raise httpx.ConnectError("refused")
        self.n += 1
        return httpx.Response(
            200, json={"access_token": f"{ACCESS}{self.n}", "refresh_token": f"rt-{self.n}", "expires_in": 1800,
                       "token_type": "Bearer", "scope": "offline_access accounting.contacts"},
        )


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def setup(tmp_path: Path):
    endpoint = TokenEndpoint()
    http = httpx.Client(transport=httpx.MockTransport(endpoint))
    kr = LimitedMemoryKeyring()
    store = KeyringTokenStore(kr)
    clock = Clock()
    session = XeroSession(ENDPOINTS, "cid", store, "p", http, lock_dir=tmp_path, clock=clock)
    session.adopt(TokenSet(access_token=ACCESS, refresh_token="rt-0", expires_at=clock.now + 1800))
    return session, endpoint, store, clock, kr


def test_refreshes_one_minute_before_expiry(setup) -> None:
    session, endpoint, store, clock, _ = setup
    clock.now += 1739
    assert session.access_token() == ACCESS and endpoint.calls == []
    clock.now += 2
    assert session.access_token() == f"{ACCESS}1"
    assert endpoint.calls[0] == {"grant_type": "refresh_token", "client_id": "cid", "refresh_token": "rt-0"}
    assert store.load("p").refresh_token == "rt-1"


def test_new_refresh_token_is_saved_before_the_access_token_is_used(setup) -> None:
    session, endpoint, store, clock, kr = setup

    def refuse(*a: object) -> None:
        raise __import__("keyring").errors.PasswordSetError("locked")

    kr.set_password = refuse  # type: ignore[method-assign]
    clock.now += 1800
    with pytest.raises(KeyringUnavailable):
        session.access_token()
    assert session._access != f"{ACCESS}1"  # the token whose refresh token is unsaved was never handed out
    assert len(endpoint.calls) == 1


def test_invalid_grant_means_reconnect_without_looping(setup) -> None:
    session, endpoint, store, clock, _ = setup
    endpoint.mode = "invalid_grant"
    clock.now += 1800
    with pytest.raises(ReconnectNeeded):
        session.access_token()
    with pytest.raises(ReconnectNeeded):
        session.access_token()
    assert len(endpoint.calls) == 1  # the dead token is forgotten, not retried
    assert store.load("p").refresh_token is None


def test_lost_refresh_answer_keeps_the_old_token(setup) -> None:
    session, endpoint, store, clock, _ = setup
    endpoint.mode = "down"
    clock.now += 1800
    with pytest.raises(NetworkError) as info:
        session.access_token()
    assert "rt-0" not in str(info.value) and ACCESS not in str(info.value)
    assert store.load("p").refresh_token == "rt-0"  # usable again within Xero's grace period
    endpoint.mode = "ok"
    assert session.access_token() == f"{ACCESS}1"


def test_a_token_rotated_by_another_process_is_used(setup) -> None:
    session, endpoint, store, clock, _ = setup
    store.save("p", StoredGrant(refresh_token="rt-from-other-process", scopes=("offline_access",)))
    clock.now += 1800
    session.access_token()
    assert endpoint.calls[-1]["refresh_token"] == "rt-from-other-process"


def test_refresh_after_rejection_skips_when_already_replaced(setup) -> None:
    session, endpoint, _, clock, _ = setup
    fresh = session.refresh_after_rejection(ACCESS)
    assert fresh == f"{ACCESS}1"
    assert session.refresh_after_rejection(ACCESS) == fresh  # a second thread with the old token
    assert len(endpoint.calls) == 1
    assert json.dumps(repr(session.__dict__)).count("rt-1") == 0  # refresh token never held in memory
