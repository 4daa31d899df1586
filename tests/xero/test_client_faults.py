"""Pacing, retries and typed errors against the sandbox's fault injection (sleeps are recorded, not slept)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tests.fixtures.xero import XeroRig
from xsync_desktop.xero.errors import (
    Forbidden,
    NetworkError,
    NotFound,
    RateLimited,
    ValidationFailed,
    XeroUnavailable,
)


def _key() -> str:
    return f"test-{uuid.uuid4()}"


def test_429_minute_waits_retry_after_then_succeeds(xero_rig: XeroRig) -> None:
    xero_rig.fault(action="rate_limit_minute", path="/api.xro/2.0/Currencies", seconds=17, count=1)
    assert xero_rig.client.currencies()
    assert any(16.5 < s <= 17 for s in xero_rig.sleeps)  # Retry-After honoured ...
    assert sum(xero_rig.sleeps) <= 17  # ... and nothing more
    assert [r.status for r in xero_rig.requests][-2:] == [429, 200]


def test_429_day_raises_and_blocks_until_retry_at(xero_rig: XeroRig) -> None:
    xero_rig.fault(action="rate_limit_day", path="/api.xro/2.0/Currencies", seconds=7200, count=1)
    before = datetime.now(UTC)
    with pytest.raises(RateLimited) as info:
        xero_rig.client.currencies()
    err = info.value
    assert err.kind == "day"
    assert before + timedelta(seconds=7100) < err.retry_at < before + timedelta(seconds=7300)
    assert "daily limit" in err.user_message and "resumes at" in err.user_message
    n = len(xero_rig.requests)
    with pytest.raises(RateLimited):  # no call is sent while the day is blocked
        xero_rig.client.organisation()
    assert len(xero_rig.requests) == n


def test_5xx_is_retried_with_backoff(xero_rig: XeroRig) -> None:
    xero_rig.fault(action="status", path="/api.xro/2.0/Organisation", status=500, count=2)
    assert xero_rig.client.organisation()
    assert [r.status for r in xero_rig.requests][-3:] == [500, 500, 200]
    assert xero_rig.sleeps[-2:] == [0.5, 1.0]  # exponential (jitter pinned to its floor)


def test_503_forever_gives_xero_unavailable(xero_rig: XeroRig) -> None:
    client = xero_rig.new_client(max_retries=3)
    xero_rig.fault(action="status", path="/api.xro/2.0/Organisation", status=503)
    with pytest.raises(XeroUnavailable) as info:
        client.organisation()
    assert info.value.status == 503 and "try again in a few minutes" in info.value.user_message
    assert sum(1 for r in xero_rig.requests if r.path == "/Organisation") == 4


def test_dropped_response_after_commit_is_replayed_once_not_duplicated(xero_rig: XeroRig) -> None:
    name = f"Drop Test {uuid.uuid4().hex[:8]}"
    xero_rig.fault(action="drop_after_commit", method="PUT", path="/api.xro/2.0/Contacts", count=1)
    results = xero_rig.client.put_batch("Contacts", [{"Name": name}], _key())
    assert results[0].ok and results[0].data["Name"] == name
    assert [r.status for r in xero_rig.requests][-2:] == [None, 200]
    found = [c for c in xero_rig.client.iter_pages("Contacts", params={"searchTerm": name})]
    assert len(found) == 1  # the Idempotency-Key made the retry a replay


def test_connection_dropped_every_time_gives_network_error(xero_rig: XeroRig) -> None:
    client = xero_rig.new_client(max_retries=2)
    xero_rig.fault(action="drop_after_commit", method="GET", path="/api.xro/2.0/Currencies")
    with pytest.raises(NetworkError):
        client.currencies()


def test_timeout_is_retried(xero_rig: XeroRig) -> None:
    import httpx

    client = xero_rig.new_client(http=httpx.Client(timeout=0.3))
    xero_rig.fault(action="delay", path="/api.xro/2.0/Currencies", seconds=1.0, count=1)
    assert client.currencies()
    assert [r.status for r in xero_rig.requests][-2:] == [None, 200]


def test_401_token_expired_refreshes_once_and_replays(xero_rig: XeroRig) -> None:
    before = xero_rig.session.refresh_count
    xero_rig.fault(action="token_expired", path="/api.xro/2.0/Organisation", count=1)
    assert xero_rig.client.organisation()
    assert xero_rig.session.refresh_count == before + 1
    assert [r.status for r in xero_rig.requests][-2:] == [401, 200]


def test_403_names_the_tenant(xero_rig: XeroRig) -> None:
    client = xero_rig.new_client()
    client.tenant_id = str(uuid.uuid4())
    with pytest.raises(Forbidden) as info:
        client.organisation()
    assert client.tenant_id in info.value.user_message


def test_404_not_found(xero_rig: XeroRig) -> None:
    with pytest.raises(NotFound):
        xero_rig.client.get(f"/Invoices/{uuid.uuid4()}")


def test_validation_failed_and_partial_batch(xero_rig: XeroRig) -> None:
    name = f"Dup {uuid.uuid4().hex[:8]}"
    ok = xero_rig.client.put_batch("Contacts", [{"Name": name}], _key())
    assert ok[0].ok
    results = xero_rig.client.put_batch("Contacts", [{"Name": name + " b"}, {"Name": name}], _key())
    assert [r.ok for r in results] == [True, False]
    assert results[1].messages and results[1].index == 1
    with pytest.raises(ValidationFailed) as info:  # summarised mode: the whole request is a 400
        xero_rig.client.put("/Contacts", {"Contacts": [{"Name": name}]}, _key())
    assert info.value.messages
    assert "Xero rejected the data" in info.value.user_message


def test_paging_and_if_modified_since(xero_rig: XeroRig) -> None:
    tag = uuid.uuid4().hex[:8]
    xero_rig.client.put_batch("Contacts", [{"Name": f"Page {tag} {i}"} for i in range(5)], _key())
    found = list(xero_rig.client.iter_pages("Contacts", params={"searchTerm": f"Page {tag}"}, page_size=2))
    assert sorted(c["Name"] for c in found) == sorted(f"Page {tag} {i}" for i in range(5))
    pages = [r for r in xero_rig.requests if r.path == "/Contacts" and r.method == "GET"]
    assert len(pages) == 3
    future = datetime.now(UTC) + timedelta(days=1)
    assert list(xero_rig.client.iter_pages("Contacts", if_modified_since=future)) == []
    assert isinstance(found[0]["UpdatedDateUTC"], datetime)


def test_money_round_trips_as_decimal(xero_rig: XeroRig) -> None:
    contact = xero_rig.client.put_batch("Contacts", [{"Name": f"Money {uuid.uuid4().hex[:8]}"}], _key())[0].data
    accounts = [a for a in xero_rig.client.accounts() if a.get("Type") == "REVENUE"]
    invoice = {
        "Type": "ACCREC", "Contact": {"ContactID": contact["ContactID"]}, "Status": "AUTHORISED",
        "Date": datetime.now(UTC).date(), "DueDate": datetime.now(UTC).date() + timedelta(days=14),
        "LineItems": [{"Description": "Unit 12 rent", "Quantity": Decimal("1"), "UnitAmount": Decimal("0.10"),
                       "AccountCode": accounts[0]["Code"]}] * 3,
    }
    result = xero_rig.client.put_batch("Invoices", [invoice], _key())[0]
    assert result.ok, result.messages
    assert isinstance(result.data["SubTotal"], Decimal)
    assert result.data["SubTotal"] == Decimal("0.30")


def test_idempotency_key_is_required_and_bounded(xero_rig: XeroRig) -> None:
    with pytest.raises(ValueError):
        xero_rig.client.put_batch("Contacts", [{"Name": "x"}], "")
    with pytest.raises(ValueError):
        xero_rig.client.put_batch("Contacts", [{"Name": "x"}], "k" * 129)


@pytest.mark.parametrize("known_limit", [True, False], ids=["own-window", "from-headers"])
def test_paces_ahead_of_a_time_scaled_sandbox_without_any_429(
    xero_sandbox_ports, memory_keyring, tmp_path, known_limit: bool
) -> None:
    """Sandbox: 5 calls a minute, its clock 60x real time (a minute is 1 s). We must never draw a 429,
    whether the pacer knows the limit or learns it from X-MinLimit-Remaining."""

    from tests.fixtures.xero import connected_rig
    from xsync_desktop.xero.pacing import Pacer

    with connected_rig(xero_sandbox_ports, memory_keyring, tmp_path, minute_limit=5, time_scale=60.0) as rig:
        pacer = Pacer(minute_limit=5 if known_limit else 60, time_scale=60.0)
        client = rig.new_client(pacer=pacer)
        for _ in range(8):
            client.currencies()
        statuses = [r.status for r in rig.requests]
        assert statuses == [200] * 8
        assert client.pacer.waited > 0  # it waited ahead instead of being refused
