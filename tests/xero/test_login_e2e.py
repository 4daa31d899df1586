"""End to end over real sockets: loopback login, tenant choice, calls, expiry, rotation, reconnect."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest

from tests.fixtures.xero import CLIENT_ID, XeroRig, browser_login, start_sandbox
from xsync_desktop.composition.memory_keyring import LimitedMemoryKeyring
from xsync_desktop.xero.endpoints import DEFAULT_SCOPES, XeroEndpoints
from xsync_desktop.xero.errors import LoginError, ReconnectNeeded
from xsync_desktop.xero.login import LoopbackLogin
from xsync_desktop.xero.session import XeroSession
from xsync_desktop.xero.token_store import KeyringTokenStore
from xsync_desktop.xero.tokens import PkcePair

DAY = 86400


@pytest.fixture
def sandbox_and_ports(xero_sandbox_ports: tuple[int, ...]):
    srv = start_sandbox(xero_sandbox_ports)
    yield srv, xero_sandbox_ports
    srv.stop()


def _login(srv, ports) -> LoopbackLogin:
    return LoopbackLogin(
        XeroEndpoints.for_sandbox(srv.base_url), CLIENT_ID, DEFAULT_SCOPES, ports=ports, opener=lambda u: True
    )


def test_full_lifecycle(sandbox_and_ports, tmp_path: Path) -> None:
    srv, ports = sandbox_and_ports
    endpoints = XeroEndpoints.for_sandbox(srv.base_url)
    keyring = LimitedMemoryKeyring()
    store = KeyringTokenStore(keyring)
    session = XeroSession(endpoints, CLIENT_ID, store, "lifecycle", lock_dir=tmp_path)

    tokens = browser_login(srv, _login(srv, ports))
    assert len(tokens.access_token) > 1000  # JWT-sized, like Xero's
    session.adopt(tokens)

    conns = session.connections()
    assert conns and {c.tenant_id for c in conns} <= set(srv.tenant_ids)
    chosen = conns[-1]
    session.choose_tenant(chosen.tenant_id, chosen.tenant_name)
    assert session.tenant is not None and session.tenant.tenant_id == chosen.tenant_id

    from xsync_desktop.xero.client import XeroClient

    client = XeroClient(session, chosen.tenant_id, endpoints, sleep=lambda s: None)
    assert client.organisation()["Name"] == chosen.tenant_name
    assert client.accounts()

    first_refresh = store.load("lifecycle").refresh_token
    srv.clock.advance(1801)  # the access token expires mid-run; our wall clock does not know
    assert client.tax_rates()  # 401 TokenExpired -> one refresh -> replay
    assert session.refresh_count == 1
    rotated = store.load("lifecycle").refresh_token
    assert rotated and rotated != first_refresh  # rotation saved

    # Nothing secret beyond the refresh token is stored, and every entry fits Windows' limit.
    for value in keyring.entries().values():
        assert len(value) < 1280
        assert tokens.access_token not in value and session.access_token() not in value
    assert keyring.refused == 0

    # A new process (new session object) picks up the tenant choice and the rotated token.
    session2 = XeroSession(endpoints, CLIENT_ID, store, "lifecycle", lock_dir=tmp_path)
    assert session2.tenant == session.tenant
    assert XeroClient(session2, chosen.tenant_id, endpoints).currencies()

    # 60 days unused: the refresh token dies -> ReconnectNeeded, then no loop and no network.
    srv.clock.advance(61 * DAY)
    calls: list = []
    client3 = XeroClient(session2, chosen.tenant_id, endpoints, on_request=calls.append, sleep=lambda s: None)
    with pytest.raises(ReconnectNeeded) as info:
        client3.organisation()
    assert "Connect to Xero again" in info.value.user_message
    assert rotated not in str(info.value) and first_refresh not in repr(info.value)  # no token in error text
    assert store.load("lifecycle").refresh_token is None
    assert store.load("lifecycle").tenant_id == chosen.tenant_id  # the choice survives for reconnect
    with pytest.raises(ReconnectNeeded):
        session2.access_token()
    assert not session2.is_connected()
    session.close()
    session2.close()


def test_second_callback_is_ignored(sandbox_and_ports) -> None:
    srv, ports = sandbox_and_ports
    login = _login(srv, ports)
    location = srv.approve(login.start())
    with httpx.Client() as browser:
        first = browser.get(location)
        second = browser.get(location.replace("state=", "state=x"))
    assert first.status_code == 200 and "close this tab" in first.text
    assert second.status_code == 200 and "already handled" in second.text
    assert login.ignored_callbacks == 1
    assert login.wait().refresh_token


def test_forged_callback_from_another_process_does_not_cancel_the_sign_in(sandbox_and_ports) -> None:
    """Issue 15 case 5: another local process reaches the fixed port first with any state."""
    import subprocess
    import sys

    srv, ports = sandbox_and_ports
    login = _login(srv, ports)
    location = srv.approve(login.start())
    forger = (
        "import sys, urllib.request, urllib.error\n"
        "try:\n    urllib.request.urlopen(sys.argv[1], timeout=10)\n"
        "except urllib.error.HTTPError as e:\n    print(e.code, e.read().decode())\n"
    )
    for forged in (f"{login.redirect_uri}?code=stolen&state=anything",
                   f"{login.redirect_uri}?error=access_denied&state=anything"):
        out = subprocess.run([sys.executable, "-c", forger, forged], capture_output=True, text=True,
                             timeout=30, check=True).stdout
        assert out.startswith("400") and "does not belong to the sign-in" in out
    with httpx.Client() as browser:
        real = browser.get(location)
    assert real.status_code == 200 and "close this tab" in real.text
    tokens = login.wait()
    assert tokens.refresh_token and login.ignored_callbacks == 2


def test_pkce_verifier_mismatch_is_rejected_by_the_server(sandbox_and_ports) -> None:
    srv, ports = sandbox_and_ports
    login = _login(srv, ports)
    location = srv.approve(login.start())
    login._pkce = PkcePair.new()  # an attacker holding the code but not our verifier
    httpx.get(location)
    with pytest.raises(LoginError) as info:
        login.wait()
    assert "code was refused" in info.value.user_message


def test_redirect_uri_not_registered_is_refused(sandbox_and_ports) -> None:
    srv, ports = sandbox_and_ports
    from tests.fixtures.xero import free_loopback_ports

    login = _login(srv, free_loopback_ports(1))  # a port the app never registered
    url = login.start()
    try:
        resp = httpx.get(url)
        assert resp.status_code == 400  # Xero matches redirect URIs exactly, port included
    finally:
        login.cancel()


def test_concurrent_calls_share_one_refresh(xero_rig: XeroRig) -> None:
    xero_rig.srv.clock.advance(1801)
    before = xero_rig.session.refresh_count
    errors: list[BaseException] = []

    def call() -> None:
        try:
            xero_rig.client.currencies()
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert xero_rig.session.refresh_count == before + 1


def test_second_process_reads_the_rotated_token(xero_rig: XeroRig, tmp_path: Path) -> None:
    """Another process (its own session object) must re-read the keyring, not reuse a stale token."""
    store = KeyringTokenStore(xero_rig.keyring)
    other = XeroSession(xero_rig.endpoints, CLIENT_ID, store, "test-profile", lock_dir=tmp_path / "locks")
    xero_rig.srv.clock.advance(1801)
    xero_rig.client.currencies()  # this process rotates RT1 -> RT2
    xero_rig.srv.clock.advance(1801)  # RT1's grace period is over
    other_client = xero_rig.new_client()
    other_client.session = other
    assert other_client.currencies()  # refreshed with RT2, read from the keyring under the lock
    assert other.refresh_count == 1
    other.close()


def test_sign_out_revokes_and_forgets(xero_rig: XeroRig) -> None:
    assert xero_rig.session.sign_out() is True
    assert xero_rig.keyring.entries() == {}
    with pytest.raises(ReconnectNeeded):
        xero_rig.client.organisation()


def test_disconnect_forgets_the_chosen_tenant(xero_rig: XeroRig) -> None:
    conns = xero_rig.session.connections()
    chosen = next(c for c in conns if c.tenant_id == xero_rig.tenant_id)
    xero_rig.session.disconnect(chosen.id)
    assert xero_rig.session.tenant is None
    assert chosen.id not in {c.id for c in xero_rig.session.connections()}
