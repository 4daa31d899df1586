"""Rate limits, Idempotency-Key replay, injected faults, the admin surface and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import httpx
import pytest

from tests.fixtures.sandbox import CLIENT_ID
from tests.sandbox.helpers import Api
from tests.waiting import wait_until
from xsync_desktop.sandbox.admin import ADMIN_SECRET_HEADER
from xsync_desktop.sandbox.admin_client import SandboxAdmin
from xsync_desktop.sandbox.config import ADMIN_SECRET_LINE


@pytest.fixture
def limited(sandbox_factory, openapi_validator):
    def make(**cfg):
        srv = sandbox_factory(**cfg)
        return Api(srv, openapi_validator)
    return make


def test_limit_headers_on_every_accounting_response(api):
    resp = api.get("/Organisation")
    assert resp.headers["X-MinLimit-Remaining"] == "59"
    assert resp.headers["X-DayLimit-Remaining"] == "4999"
    assert resp.headers["X-AppMinLimit-Remaining"] == "9999"
    assert api.get("/Organisation").headers["X-MinLimit-Remaining"] == "58"


def test_minute_limit_gives_429_with_retry_after_then_window_passes(limited):
    api = limited(minute_limit=3)
    for _ in range(3):
        assert api.get("/Organisation").status_code == 200
    resp = api.get("/Organisation")
    assert resp.status_code == 429
    assert resp.headers["X-Rate-Limit-Problem"] == "minute" and 1 <= int(resp.headers["Retry-After"]) <= 60
    assert resp.headers["X-MinLimit-Remaining"] == "0"
    api.srv.clock.advance(61)
    assert api.get("/Organisation").status_code == 200


def test_day_limit_is_a_rolling_24_hours(limited):
    api = limited(day_limit=2, access_token_ttl=200000)
    api.get("/Organisation")
    api.srv.clock.advance(3600)
    api.get("/Organisation")
    resp = api.get("/Organisation")
    assert resp.status_code == 429 and resp.headers["X-Rate-Limit-Problem"] == "day"
    assert 82000 < int(resp.headers["Retry-After"]) <= 82800
    api.srv.clock.advance(82801)  # the first call leaves the window, the second is still in it
    assert api.get("/Organisation").status_code == 200
    assert api.get("/Organisation").status_code == 429


def test_app_minute_limit(limited):
    api = limited(app_minute_limit=2)
    api.get("/Organisation")
    api.tenant = api.srv.tenant_ids[1]
    api.get("/Organisation")
    resp = api.get("/Organisation")
    assert resp.status_code == 429 and resp.headers["X-Rate-Limit-Problem"] == "appminute"


def test_concurrent_limit(limited, sandbox_factory):
    api = limited(concurrent_limit=2)
    SandboxAdmin.of(api.srv).faults("delay", seconds=1.0, count=2)
    results: list[int] = []

    def slow() -> None:
        with httpx.Client(base_url=api.srv.base_url) as c:
            results.append(c.get("/api.xro/2.0/Organisation", headers=api.headers()).status_code)

    threads = [threading.Thread(target=slow) for _ in range(2)]
    for t in threads:
        t.start()
    wait_until(lambda: api.srv.stats(api.tenant)["in_flight"] == 2, "both slow calls to be in flight")
    resp = api.get("/Organisation")
    for t in threads:
        t.join()
    assert resp.status_code == 429 and resp.headers["X-Rate-Limit-Problem"] == "concurrent"
    assert results == [200, 200]


def test_rate_limits_can_be_switched_off(limited):
    api = limited(minute_limit=1, rate_limits=False)
    assert [api.get("/Organisation").status_code for _ in range(3)] == [200, 200, 200]


def test_idempotent_replay_returns_same_answer_without_a_second_object(api, sandbox_admin):
    body = {"Contacts": [{"Name": "Once Only"}]}
    key = {"Idempotency-Key": "k-123"}
    first = api.put("/Contacts", body, headers=key, summarizeErrors="false")
    again = api.put("/Contacts", body, headers=key, summarizeErrors="false")
    assert first.json() == again.json()
    assert again.headers["X-MinLimit-Remaining"] == "58"  # the replay counted against the limit
    assert [c["Name"] for c in sandbox_admin.objects(api.tenant, "Contacts")] == ["Once Only"]


def test_idempotency_key_with_different_body_is_refused(api):
    key = {"Idempotency-Key": "k-456"}
    api.put("/Contacts", {"Contacts": [{"Name": "A"}]}, headers=key)
    resp = api.put("/Contacts", {"Contacts": [{"Name": "B"}]}, headers=key)
    assert resp.status_code == 400
    assert resp.json()["Message"] == "Idempotency-Key has already been used for a different request."


def test_idempotency_replays_errors_and_expires_after_six_minutes(api, sandbox):
    key = {"Idempotency-Key": "k-789"}
    body = {"Contacts": [{"Name": ""}]}
    assert api.put("/Contacts", body, headers=key).status_code == 400
    good = {"Contacts": [{"Name": "Fixed"}]}
    assert api.put("/Contacts", good, headers=key).status_code == 400  # same key, different body
    sandbox.clock.advance(361)
    assert api.put("/Contacts", good, headers=key).status_code == 200


def test_idempotency_key_longer_than_128_is_refused(api):
    resp = api.put("/Contacts", {"Contacts": [{"Name": "A"}]}, headers={"Idempotency-Key": "k" * 129})
    assert resp.status_code == 400


def test_injected_500_and_503(api, sandbox_admin):
    sandbox_admin.faults("status", method="GET", path="/api.xro/2.0/Organisation", status=500, count=1)
    resp = api.get("/Organisation")
    assert resp.status_code == 500 and resp.json()["Type"] == "UnknownErrorException"
    assert api.get("/Organisation").status_code == 200
    sandbox_admin.faults("status", status=503, count=1)
    resp = api.get("/Organisation")
    assert resp.status_code == 503 and resp.text == "The Xero API is currently offline for maintenance"


def test_injected_rate_limit_and_token_expired(api, sandbox_admin):
    sandbox_admin.faults("rate_limit_day", tenant=api.tenant, count=1)
    resp = api.get("/Invoices")
    assert resp.status_code == 429 and resp.headers["X-Rate-Limit-Problem"] == "day"
    assert resp.headers["Retry-After"] == "73451"
    sandbox_admin.faults("token_expired", count=1)
    resp = api.get("/Invoices")
    assert resp.status_code == 401 and resp.json()["Detail"].startswith("TokenExpired")


def test_drop_after_commit_applies_change_but_loses_response(api, sandbox_admin):
    sandbox_admin.faults("drop_after_commit", method="PUT", path="/api.xro/2.0/Contacts", count=1)
    with pytest.raises(httpx.TransportError):
        api.put("/Contacts", {"Contacts": [{"Name": "Ghost"}]})
    assert [c["Name"] for c in sandbox_admin.objects(api.tenant, "Contacts")] == ["Ghost"]
    sandbox_admin.clear_faults()


def test_admin_person_in_xero(api, sandbox_admin, sandbox):
    contact = api.contact("Ada")
    inv = api.invoice(contact["ContactID"], amount=100)
    pay = sandbox_admin.create_payment(api.tenant, inv["InvoiceID"], "15.00", "2024-05-03")
    assert api.get(f"/Invoices/{inv['InvoiceID']}").json()["Invoices"][0]["AmountDue"] == 100
    sandbox_admin.delete_payment(api.tenant, pay["PaymentID"])
    sandbox_admin.edit_invoice(api.tenant, inv["InvoiceID"], LineAmount="200", Reference="changed")
    got = api.get(f"/Invoices/{inv['InvoiceID']}").json()["Invoices"][0]
    assert got["Total"] == 230 and got["Reference"] == "changed"
    sandbox_admin.edit_invoice(api.tenant, inv["InvoiceID"], Status="VOIDED")
    assert api.get(f"/Invoices/{inv['InvoiceID']}").json()["Invoices"][0]["Status"] == "VOIDED"
    made = sandbox_admin.create_contact(api.tenant, "Made In Xero", ContactNumber="X-9")
    assert api.get("/Contacts/X-9").json()["Contacts"][0]["ContactID"] == made["ContactID"]
    stats = sandbox_admin.stats()
    assert stats["calls"]["GET /api.xro/2.0/Invoices/{InvoiceID}"] == 3
    assert sandbox.stats(api.tenant)["total"] == stats["total"]
    sandbox.reset_stats()
    assert sandbox.stats()["total"] == 0
    sandbox_admin.disconnect(api.tenant)
    assert api.get("/Organisation").status_code == 403


def test_state_file_survives_restart(sandbox_factory, openapi_validator, tmp_path):
    state = tmp_path / "sandbox.json"
    srv = sandbox_factory(state_file=str(state))
    api = Api(srv, openapi_validator)
    cid = api.contact("Persisted")["ContactID"]
    refresh = api.token["refresh_token"]
    srv.stop()
    again = sandbox_factory(state_file=str(state))
    assert again.tenant_ids == srv.tenant_ids
    tok = httpx.post(f"{again.base_url}/identity/connect/token", data={
        "grant_type": "refresh_token", "client_id": "xsync-desktop-demo", "refresh_token": refresh}).json()
    api2 = Api(again, openapi_validator, token=tok)
    assert api2.get(f"/Contacts/{cid}").json()["Contacts"][0]["Name"] == "Persisted"
    assert json.loads(state.read_text())["tenants"]


def test_cli_prints_base_url_first(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "xsync_desktop.sandbox", "--port", "0"], stdout=subprocess.PIPE,
                            text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("http://127.0.0.1:")
        secret_line = proc.stdout.readline().strip()
        assert secret_line.startswith(ADMIN_SECRET_LINE)  # printed with the address
        secret = secret_line[len(ADMIN_SECRET_LINE):]
        assert httpx.get(f"{line}/__admin/stats").status_code == 403
        assert httpx.get(f"{line}/__admin/stats", headers={ADMIN_SECRET_HEADER: secret}).json()["total"] == 0
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_identity_faults_apply_only_where_named(api, sandbox, sandbox_admin):
    """A fault naming an identity route fails it (Xero's identity service down at sign-out); a fault
    with no path is for the Accounting API and never spent on a token refresh or a revocation."""
    revoke = sandbox.base_url + "/identity/connect/revocation"
    form = {"token": api.token["refresh_token"], "client_id": CLIENT_ID}
    sandbox_admin.faults("status", status=500, count=1)  # no path: the API's, not identity's
    sandbox_admin.faults("status", method="POST", path="/identity/connect/revocation", status=503, count=1)
    failed = httpx.post(revoke, data=form)
    assert failed.status_code == 503
    assert api.get("/Organisation").status_code == 500  # the path-less fault was still waiting for the API
    assert api.get("/Organisation").status_code == 200  # nothing revoked: the grant still works
    assert httpx.post(revoke, data=form).status_code == 200  # the fault was used up
    assert api.get("/Organisation").status_code == 403
