"""Identity: consent page, PKCE code exchange, refresh rotation with grace, revocation, connections."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from tests.fixtures.sandbox import (
    ALL_SCOPES,
    CLIENT_ID,
    REDIRECT_URI,
    authorize_url,
    code_from,
    pkce_pair,
    sandbox_token,
)
from tests.sandbox.helpers import Api

TOKEN = "/identity/connect/token"


def _claims(jwt: str) -> dict:
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _exchange(srv, code: str, verifier: str, redirect_uri: str = REDIRECT_URI, client_id: str = CLIENT_ID):
    return httpx.post(srv.base_url + TOKEN, data={"grant_type": "authorization_code", "client_id": client_id,
                                                   "code": code, "redirect_uri": redirect_uri,
                                                   "code_verifier": verifier})


def _refresh(srv, token: str):
    return httpx.post(srv.base_url + TOKEN, data={"grant_type": "refresh_token", "client_id": CLIENT_ID,
                                                   "refresh_token": token})


def test_consent_page_lists_organisations_html_escaped(sandbox):
    sandbox.state.tenants[sandbox.tenant_ids[0]]["org"]["Name"] = "<b>Evil & Co</b>"
    page = httpx.get(authorize_url(sandbox))
    assert page.status_code == 200
    assert "&lt;b&gt;Evil &amp; Co&lt;/b&gt;" in page.text and "<b>Evil" not in page.text
    assert page.text.count("type='checkbox' name='tenant'") == 2


def test_consent_redirects_to_exact_registered_uri_with_code_and_state(sandbox):
    location = sandbox.approve(authorize_url(sandbox, state="xyz", redirect_uri="http://127.0.0.1:8766/callback"))
    assert location.startswith("http://127.0.0.1:8766/callback?")
    assert "state=xyz" in location and "code=" in location


@pytest.mark.parametrize("uri", ["http://127.0.0.1:8765/callback/", "http://localhost:8765/callback",
                                 "http://127.0.0.1:9999/callback", "HTTP://127.0.0.1:8765/callback"])
def test_unregistered_redirect_uri_is_refused_without_redirect(sandbox, uri):
    resp = httpx.get(authorize_url(sandbox, redirect_uri=uri))
    assert resp.status_code == 400 and "Invalid redirect_uri" in resp.text


def test_unknown_client_is_refused(sandbox):
    resp = httpx.get(authorize_url(sandbox, client_id="someone-else"))
    assert resp.status_code == 400 and "unauthorized_client" in resp.text


def test_authorize_without_pkce_challenge_redirects_with_error(sandbox):
    url = authorize_url(sandbox, code_challenge_method="plain")
    resp = httpx.get(url)
    assert resp.status_code == 302 and "error=invalid_request" in resp.headers["location"]


def test_user_cancelling_consent_returns_access_denied(sandbox):
    page = httpx.get(authorize_url(sandbox, state="s9"))
    request_id = page.text.split("name='request_id' value='")[1].split("'")[0]
    resp = httpx.post(sandbox.base_url + "/identity/connect/consent",
                      data={"request_id": request_id, "action": "deny"})
    assert resp.status_code == 302
    assert resp.headers["location"] == f"{REDIRECT_URI}?error=access_denied&state=s9"


def test_code_exchange_returns_xero_shaped_tokens(sandbox):
    tok = sandbox_token(sandbox)
    assert set(tok) == {"id_token", "access_token", "expires_in", "token_type", "refresh_token", "scope"}
    assert tok["token_type"] == "Bearer" and tok["expires_in"] == 1800
    assert len(tok["access_token"]) > 1000 and tok["access_token"].count(".") == 2
    claims = _claims(tok["access_token"])
    for key in ("exp", "nbf", "client_id", "sub", "scope", "authentication_event_id", "xero_userid", "jti"):
        assert key in claims
    assert claims["exp"] - claims["nbf"] == 1800 and "accounting.invoices" in claims["scope"]


def test_id_token_only_with_openid_and_refresh_only_with_offline_access(sandbox):
    tok = sandbox_token(sandbox, scopes="accounting.contacts")
    assert "id_token" not in tok and "refresh_token" not in tok


def test_pkce_verifier_must_match_challenge(sandbox):
    _, challenge = pkce_pair()
    other_verifier, _ = pkce_pair()
    code = code_from(sandbox.approve(authorize_url(sandbox, challenge=challenge)))
    resp = _exchange(sandbox, code, other_verifier)
    assert resp.status_code == 400 and resp.json() == {"error": "invalid_grant"}


def test_pkce_verifier_length_is_enforced(sandbox):
    verifier = "a" * 42
    challenge = base64.urlsafe_b64encode(__import__("hashlib").sha256(verifier.encode()).digest()).rstrip(b"=")
    code = code_from(sandbox.approve(authorize_url(sandbox, challenge=challenge.decode())))
    assert _exchange(sandbox, code, verifier).json() == {"error": "invalid_grant"}


def test_code_is_single_use_and_bound_to_redirect_uri_and_client(sandbox):
    verifier, challenge = pkce_pair()
    code = code_from(sandbox.approve(authorize_url(sandbox, challenge=challenge)))
    assert _exchange(sandbox, code, verifier, client_id="other").json() == {"error": "invalid_client"}
    assert _exchange(sandbox, code, verifier, redirect_uri="http://127.0.0.1:8766/callback").json() == {
        "error": "invalid_grant"}
    assert _exchange(sandbox, code, verifier).status_code == 200
    assert _exchange(sandbox, code, verifier).json() == {"error": "invalid_grant"}


def test_code_expires(sandbox):
    verifier, challenge = pkce_pair()
    code = code_from(sandbox.approve(authorize_url(sandbox, challenge=challenge)))
    sandbox.clock.advance(301)
    assert _exchange(sandbox, code, verifier).json() == {"error": "invalid_grant"}


def test_refresh_rotates_and_old_token_has_a_grace_period(sandbox):
    first = sandbox_token(sandbox)
    second = _refresh(sandbox, first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"] and second["access_token"]
    sandbox.clock.advance(1700)  # lost response: retry with the old token inside the grace period
    retry = _refresh(sandbox, first["refresh_token"])
    assert retry.status_code == 200 and retry.json()["refresh_token"] == second["refresh_token"]
    sandbox.clock.advance(101)
    late = _refresh(sandbox, first["refresh_token"])
    assert late.status_code == 400 and late.json() == {"error": "invalid_grant"}
    assert _refresh(sandbox, second["refresh_token"]).status_code == 200


def test_unused_refresh_token_expires_after_ttl(sandbox):
    tok = sandbox_token(sandbox)
    sandbox.clock.advance(60 * 86400 + 1)
    assert _refresh(sandbox, tok["refresh_token"]).json() == {"error": "invalid_grant"}


def test_token_endpoint_requires_form_post(sandbox):
    resp = httpx.post(sandbox.base_url + TOKEN, json={"grant_type": "refresh_token"})
    assert resp.status_code == 400 and resp.json() == {"error": "invalid_request"}


def test_access_token_expiry_gives_xero_401(api, sandbox):
    sandbox.clock.advance(1801)
    resp = api.get("/Organisation")
    assert resp.status_code == 401
    body = resp.json()
    assert body["Type"] is None and body["Title"] == "Unauthorized" and body["Status"] == 401
    assert body["Extensions"] == {} and len(body["Instance"]) == 36
    assert body["Detail"].startswith("TokenExpired: token expired at ")
    stamp = body["Detail"].removeprefix("TokenExpired: token expired at ")
    assert len(stamp) == 19 and stamp[2] == "/" and stamp[5] == "/" and stamp[10] == " "


def test_garbage_token_gives_401_authentication_unsuccessful(api):
    api.token = {"access_token": "not-a-jwt"}
    resp = api.get("/Organisation")
    assert resp.status_code == 401 and resp.json()["Detail"] == "AuthenticationUnsuccessful"


@pytest.mark.parametrize("tenant", [None, "", "not-a-guid", "00000000-0000-0000-0000-000000000000"])
def test_missing_or_unknown_tenant_gives_403(api, openapi_validator, tenant):
    from tests.fixtures.openapi import validating_client

    lax = validating_client(api.srv.base_url, openapi_validator, check_requests=False)  # bad request on purpose
    resp = lax.get("/api.xro/2.0/Organisation", headers={
        "Authorization": f"Bearer {api.token['access_token']}", **({} if tenant is None else {"xero-tenant-id": tenant})})
    assert resp.status_code == 403
    assert resp.json()["Title"] == "Forbidden" and resp.json()["Detail"] == "AuthenticationUnsuccessful"


def test_tenant_not_connected_for_this_grant_gives_403(sandbox, openapi_validator):
    api = Api(sandbox, openapi_validator, token=sandbox_token(sandbox, tenant_ids=[sandbox.tenant_ids[0]]),
              tenant=sandbox.tenant_ids[1])
    assert api.get("/Organisation").status_code == 403
    api.close()


@pytest.mark.parametrize(("scopes", "path", "allowed"), [
    ("accounting.contacts.read", "/Contacts", True),
    ("accounting.settings.read", "/Contacts", False),
    ("accounting.settings.read", "/Accounts", True),
    ("accounting.invoices.read", "/Invoices", True),
    ("accounting.transactions.read", "/Payments", True),
    ("accounting.payments.read", "/Invoices", False),
    ("accounting.invoices", "/CreditNotes", True),
    ("accounting.invoices", "/Payments", False),
])
def test_scopes_per_endpoint(sandbox, openapi_validator, scopes, path, allowed):
    api = Api(sandbox, openapi_validator, scopes=scopes)
    resp = api.get(path)
    assert resp.status_code == (200 if allowed else 403)
    if not allowed:
        assert resp.json()["Title"] == "Forbidden"
    api.close()


def test_read_scope_cannot_write(sandbox, openapi_validator):
    api = Api(sandbox, openapi_validator, scopes="accounting.contacts.read")
    assert api.put("/Contacts", {"Contacts": [{"Name": "X"}]}).status_code == 403
    api.close()


def test_connections_list_filter_and_delete(api, sandbox):
    h = {"Authorization": f"Bearer {api.token['access_token']}"}
    conns = api.http.get("/connections", headers=h).json()
    assert {c["tenantId"] for c in conns} == set(sandbox.tenant_ids)
    assert all(c["tenantType"] == "ORGANISATION" for c in conns)
    event = conns[0]["authEventId"]
    assert len(api.http.get("/connections", params={"authEventId": event}, headers=h).json()) == 2
    assert api.http.get("/connections", params={"authEventId": "00000000-0000-0000-0000-000000000000"},
                        headers=h).json() == []
    assert api.http.delete(f"/connections/{conns[0]['id']}", headers=h).status_code == 204
    assert api.http.delete(f"/connections/{conns[0]['id']}", headers=h).status_code == 404
    assert len(api.http.get("/connections", headers=h).json()) == 1


def test_revocation_drops_grant_and_every_connection(api, sandbox):
    resp = httpx.post(sandbox.base_url + "/identity/connect/revocation",
                      data={"token": api.token["refresh_token"], "client_id": CLIENT_ID})
    assert resp.status_code == 200
    assert api.http.get("/connections", headers={"Authorization": f"Bearer {api.token['access_token']}"}).json() == []
    assert api.get("/Organisation").status_code == 403
    assert _refresh(sandbox, api.token["refresh_token"]).json() == {"error": "invalid_grant"}


def test_scopes_are_additive_across_consents(sandbox):
    sandbox_token(sandbox, scopes="offline_access accounting.contacts")
    tok = sandbox_token(sandbox, scopes="offline_access accounting.settings")
    assert set(tok["scope"].split()) == {"offline_access", "accounting.contacts", "accounting.settings"}


def test_all_scopes_constant_is_what_the_app_requests():
    assert "accounting.invoices" in ALL_SCOPES and "offline_access" in ALL_SCOPES
