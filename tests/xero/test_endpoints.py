from __future__ import annotations

from xsync_desktop.xero.endpoints import (
    DEFAULT_SCOPES,
    XeroEndpoints,
    client_id_from_env,
    scopes_from_env,
)


def test_production_and_sandbox_layouts() -> None:
    prod = XeroEndpoints.production()
    assert prod.token_url == "https://identity.xero.com/connect/token"
    assert prod.api_base == "https://api.xero.com/api.xro/2.0"
    sb = XeroEndpoints.for_sandbox("http://127.0.0.1:5000/")
    assert sb.authorize_url == "http://127.0.0.1:5000/identity/connect/authorize"
    assert sb.connections_url == "http://127.0.0.1:5000/connections"
    assert sb.api_base == "http://127.0.0.1:5000/api.xro/2.0"


def test_from_env() -> None:
    assert XeroEndpoints.from_env(env={}) == XeroEndpoints.production()
    env = {"XSYNC_XERO_BASE": "http://127.0.0.1:9/", "XSYNC_XERO_API_BASE": "http://other/api"}
    e = XeroEndpoints.from_env(env=env)
    assert e.token_url == "http://127.0.0.1:9/identity/connect/token"
    assert e.api_base == "http://other/api"
    assert client_id_from_env("demo", env={}) == "demo"
    assert client_id_from_env("demo", env={"XSYNC_XERO_CLIENT_ID": "abc"}) == "abc"
    assert scopes_from_env(env={}) == DEFAULT_SCOPES
    assert "accounting.transactions" not in DEFAULT_SCOPES
