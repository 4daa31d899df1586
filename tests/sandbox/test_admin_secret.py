"""The sandbox's admin surface refuses requests without its per-start secret (issue 15 case 9).

While the demo runs, any web page in the operator's browser can send requests to
127.0.0.1. A "simple" cross-origin POST (text/plain body, no custom header) needs no CORS
preflight, so before this it could add faults, record payments or reset the sandbox. Now
every /__admin request needs X-Sandbox-Admin-Secret (a GET may carry ?admin_secret=, for the
demo's "Open in Xero" listing link); without it: 403 and nothing changes. Real sockets.
"""

from __future__ import annotations

import httpx
import pytest

from tests.fixtures.sandbox import fast_config
from xsync_desktop.sandbox import SandboxServer
from xsync_desktop.sandbox.admin import ADMIN_SECRET_HEADER
from xsync_desktop.sandbox.admin_client import SandboxAdmin, SandboxAdminError

EVIL = {"Origin": "http://evil.example", "Content-Type": "text/plain"}


@pytest.fixture
def srv():
    server = SandboxServer(fast_config()).start()
    yield server
    server.stop()


def _fault_count(server: SandboxServer) -> int:
    with server.faults._lock:
        return len(server.faults._faults)


@pytest.mark.parametrize("headers", [
    pytest.param(EVIL, id="cross-origin simple POST"),
    pytest.param({**EVIL, ADMIN_SECRET_HEADER: "guess"}, id="wrong secret"),
    pytest.param({ADMIN_SECRET_HEADER: ""}, id="empty secret"),
])
def test_post_without_the_secret_is_refused_and_changes_nothing(srv: SandboxServer, headers: dict) -> None:
    tenant = srv.tenant_ids[0]
    before = len(SandboxAdmin.of(srv).objects(tenant, "Contacts"))
    with httpx.Client(base_url=srv.base_url, timeout=10) as web_page:
        fault = web_page.post("/__admin/faults", content=b'{"action": "status", "status": 503}', headers=headers)
        made = web_page.post(f"/__admin/{tenant}/contacts", content=b'{"Name": "Injected"}', headers=headers)
        reset = web_page.post("/__admin/reset", content=b"{}", headers=headers)
        query = web_page.post(f"/__admin/faults?admin_secret={srv.admin_secret}",
                              content=b'{"action": "status", "status": 503}', headers=EVIL)
    assert [r.status_code for r in (fault, made, reset, query)] == [403, 403, 403, 403]
    assert "X-Sandbox-Admin-Secret" in fault.json()["error"]
    assert "access-control-allow-origin" not in {k.lower() for k in fault.headers}
    assert _fault_count(srv) == 0
    assert len(SandboxAdmin.of(srv).objects(tenant, "Contacts")) == before


def test_get_without_the_secret_is_refused_too(srv: SandboxServer) -> None:
    assert httpx.get(f"{srv.base_url}/__admin/stats", timeout=10).status_code == 403
    listing = f"{srv.base_url}/__admin/{srv.tenant_ids[0]}/objects/Invoices"
    assert httpx.get(listing, timeout=10).status_code == 403
    assert httpx.get(f"{listing}?admin_secret={srv.admin_secret}", timeout=10).status_code == 200


def test_the_admin_client_passes_the_secret_and_a_wrong_one_is_refused(srv: SandboxServer) -> None:
    with SandboxAdmin.of(srv) as admin:
        assert admin.faults("status", status=503, count=1)["count"] == 1
    assert _fault_count(srv) == 1
    with SandboxAdmin(srv.base_url, "not-the-secret") as stranger, pytest.raises(SandboxAdminError) as info:
        stranger.clear_faults()
    assert info.value.status == 403 and _fault_count(srv) == 1


def test_each_start_has_its_own_secret() -> None:
    a, b = SandboxServer(fast_config()), SandboxServer(fast_config())
    assert a.admin_secret != b.admin_secret and len(a.admin_secret) >= 32

