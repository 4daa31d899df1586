"""The loopback listener: 127.0.0.1 only, the callback path only, state checked once."""

from __future__ import annotations

import threading
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.fixtures.xero import free_loopback_ports
from xsync_desktop.xero.endpoints import XeroEndpoints
from xsync_desktop.xero.errors import LoginCancelled, LoginError
from xsync_desktop.xero.login import LoopbackLogin

ENDPOINTS = XeroEndpoints.for_sandbox("http://127.0.0.1:9")  # never contacted in these tests


def _login(**kw) -> LoopbackLogin:
    kw.setdefault("ports", free_loopback_ports(1))
    kw.setdefault("opener", lambda url: True)
    return LoopbackLogin(ENDPOINTS, "client", ("offline_access",), **kw)


def test_authorize_url_has_pkce_and_state() -> None:
    opened: list[str] = []
    login = _login(opener=opened.append)
    url = login.start()
    try:
        q = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        assert opened == [url]
        assert q["response_type"] == "code" and q["code_challenge_method"] == "S256"
        assert q["redirect_uri"] == login.redirect_uri == f"http://127.0.0.1:{login.ports[0]}/callback"
        assert len(q["state"]) >= 32 and len(q["code_challenge"]) == 43
        assert q["scope"] == "offline_access"
        assert "code_verifier" not in q
    finally:
        login.cancel()
        with pytest.raises(LoginCancelled):
            login.wait()


@pytest.mark.parametrize(
    "template",
    ["http://example.com:{port}/callback", "https://127.0.0.1:{port}/callback", "http://0.0.0.0:{port}/callback",
     "http://127.0.0.1/callback", "http://127.0.0.1:{port}/callback?x=1"],
)
def test_redirect_not_to_our_listener_is_refused_at_construction(template: str) -> None:
    with pytest.raises(LoginError):
        _login(redirect_template=template)


def test_port_zero_refused() -> None:
    with pytest.raises(LoginError):
        _login(ports=(0,))


def test_listener_binds_loopback_only_and_falls_back_to_next_port() -> None:
    import socket

    busy_port, free_port = free_loopback_ports(2)
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", busy_port))
    blocker.listen()
    try:
        login = _login(ports=(busy_port, free_port))
        login.start()
        try:
            assert login.redirect_uri == f"http://127.0.0.1:{free_port}/callback"
            server = login._listener._server
            assert server is not None and server.server_address[0] == "127.0.0.1"
        finally:
            login.cancel()
            with pytest.raises(LoginCancelled):
                login.wait()
    finally:
        blocker.close()


def test_wrong_state_is_ignored_and_the_login_keeps_waiting_until_it_times_out() -> None:
    """A callback that is not this sign-in's settles nothing: the login only ends by its timeout."""
    login = _login(timeout=1.0)
    login.start()
    with httpx.Client() as browser:
        other = browser.get(f"http://127.0.0.1:{login.ports[0]}/favicon.ico")
        assert other.status_code == 404  # not the callback: changes nothing
        resp = browser.get(f"{login.redirect_uri}?code=abc&state=not-the-state")
        denied = browser.get(f"{login.redirect_uri}?error=access_denied&state=")
    assert resp.status_code == 400 and "does not belong to the sign-in" in resp.text
    assert denied.status_code == 400 and "does not belong to the sign-in" in denied.text
    assert not login._listener.done.is_set()
    with pytest.raises(LoginError) as info:
        login.wait()
    assert "timed out" in info.value.user_message and "2 answer(s)" in info.value.user_message
    assert login.ignored_callbacks == 2


def test_access_denied_is_a_plain_login_error() -> None:
    login = _login()
    url = login.start()
    state = parse_qs(urlsplit(url).query)["state"][0]
    httpx.get(f"{login.redirect_uri}?error=access_denied&state={state}")
    with pytest.raises(LoginError) as info:
        login.wait()
    assert "not granted" in info.value.user_message


def test_cancel_event_and_timeout() -> None:
    login = _login()
    login.start()
    ev = threading.Event()
    threading.Timer(0.1, ev.set).start()
    with pytest.raises(LoginCancelled):
        login.wait(cancel=ev)
    login2 = _login(timeout=0.2)
    login2.start()
    with pytest.raises(LoginError) as info:
        login2.wait()
    assert "timed out" in info.value.user_message
    # the listener is gone after wait()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{login2.redirect_uri}?code=x&state=y")


def test_browser_that_fails_to_open_still_gives_the_url() -> None:
    def broken(url: str) -> bool:
        raise RuntimeError("no browser")

    login = _login(opener=broken)
    url = login.start()
    assert url.startswith(ENDPOINTS.authorize_url) and login.browser_opened is False
    login.cancel()
    with pytest.raises(LoginCancelled):
        login.wait()
