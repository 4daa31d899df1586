"""The Accounting API client: JSON with exact money, pacing, retries and typed errors.

Every call goes through ``_request``, which:
- paces (``Pacer``: 5 in flight, the minute window, Xero's remaining-budget headers);
- on 401 refreshes the access token once and replays once;
- on 429 ``minute`` waits ``Retry-After`` (all calls to the tenant pause) and retries;
  on 429 ``day`` raises ``RateLimited("day")`` and refuses further calls until then;
- on 5xx, timeouts and dropped connections backs off exponentially with jitter,
  at most ``max_retries`` times, then raises ``XeroUnavailable`` / ``NetworkError``;
- maps 400/403/404 to ``ValidationFailed`` / ``Forbidden`` / ``NotFound``.
Retrying a PUT/POST is safe because each carries the caller's stable Idempotency-Key.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import httpx

from . import codec
from .batch import ElementResult, element_results, validation_messages
from .dates import format_utc_timestamp
from .endpoints import XeroEndpoints
from .errors import (
    Forbidden,
    NetworkError,
    NotFound,
    RateLimited,
    ReconnectNeeded,
    ValidationFailed,
    XeroError,
    XeroUnavailable,
)
from .pacing import Pacer
from .paging import MAX_PAGE_SIZE
from .paging import iter_pages as _iter_pages
from .redaction import redact
from .tls import shared_ssl_context

MAX_IDEMPOTENCY_KEY = 128
_KEY_OK = re.compile(r"^[\x21-\x7e]+$")
API_TIMEOUT = httpx.Timeout(60.0, connect=10.0)


class AccessTokens(Protocol):
    """What the client needs from a session (``XeroSession`` provides it)."""

    def access_token(self) -> str: ...

    def refresh_after_rejection(self, rejected: str) -> str: ...


@dataclass(frozen=True)
class RequestEvent:
    """Passed to ``on_request`` after every HTTP attempt (retries included: each counts against limits)."""

    method: str
    path: str
    status: int | None  # None when no answer came back
    attempt: int


class XeroClient:
    """Accounting API calls for one organisation (tenant)."""

    def __init__(
        self,
        session: AccessTokens,
        tenant_id: str,
        endpoints: XeroEndpoints,
        *,
        http: httpx.Client | None = None,
        max_retries: int = 5,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        time_scale: float = 1.0,
        pacer: Pacer | None = None,
        on_request: Callable[[RequestEvent], None] | None = None,
        jitter: Callable[[], float] = random.random,
        backoff_base: float = 1.0,
        backoff_cap: float = 30.0,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if not tenant_id:
            raise ValueError("tenant_id is required: every Accounting API call names its organisation")
        self.session = session
        self.tenant_id = tenant_id
        self.endpoints = endpoints
        self.max_retries = max_retries
        self.on_request = on_request
        self.pacer = pacer or Pacer(clock=clock, sleep=sleep, time_scale=time_scale)
        self._clock = clock
        self._jitter = jitter
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._wall_clock = wall_clock
        self._own_http = http is None
        self._http = http if http is not None else httpx.Client(timeout=API_TIMEOUT, verify=shared_ssl_context())
        # Xero's own clock, from the Date header of the latest answer (None before one came):
        # the pull caps its watermark with it, so the local clock never decides what is missed.
        self.server_time: datetime | None = None

    def close(self) -> None:
        if self._own_http:
            self._http.close()

    # -- public calls ---------------------------------------------------------------------

    def get(
        self, path: str, params: dict[str, Any] | None = None, if_modified_since: datetime | None = None
    ) -> dict[str, Any]:
        headers = {"If-Modified-Since": format_utc_timestamp(if_modified_since)} if if_modified_since else {}
        return self._request("GET", path, params=params, extra_headers=headers)

    def iter_pages(
        self,
        collection: str,
        params: dict[str, Any] | None = None,
        if_modified_since: datetime | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> Iterator[dict[str, Any]]:
        """Every element of a paged list (Invoices, Contacts, Payments, CreditNotes, ...)."""
        page_size = max(1, min(page_size, MAX_PAGE_SIZE))

        def fetch(page: int) -> dict[str, Any]:
            query = dict(params or {})
            query.update(page=page, pageSize=page_size)
            return self.get(f"/{collection}", params=query, if_modified_since=if_modified_since)

        return _iter_pages(fetch, collection, page_size)

    def put_batch(
        self,
        collection: str,
        elements: Sequence[dict[str, Any]],
        idempotency_key: str,
        params: dict[str, Any] | None = None,
    ) -> list[ElementResult]:
        """Create many (PUT); one ``ElementResult`` per element, in order."""
        return self._batch("PUT", collection, elements, idempotency_key, params)

    def post_batch(
        self,
        collection: str,
        elements: Sequence[dict[str, Any]],
        idempotency_key: str,
        params: dict[str, Any] | None = None,
    ) -> list[ElementResult]:
        """Update-or-create many (POST); one ``ElementResult`` per element, in order."""
        return self._batch("POST", collection, elements, idempotency_key, params)

    def post(
        self, path: str, body: dict[str, Any], idempotency_key: str, params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        return self._request("POST", path, params=params, body=body, idempotency_key=idempotency_key)

    def put(
        self, path: str, body: dict[str, Any], idempotency_key: str, params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        return self._request("PUT", path, params=params, body=body, idempotency_key=idempotency_key)

    def delete(self, path: str) -> dict[str, Any]:
        return self._request("DELETE", path)

    def organisation(self) -> dict[str, Any]:
        orgs = self.get("/Organisation").get("Organisations") or []
        if not orgs:
            raise XeroError("Xero returned no organisation details.", detail="empty Organisations")
        return orgs[0]

    def accounts(self, if_modified_since: datetime | None = None) -> list[dict[str, Any]]:
        return list(self.get("/Accounts", if_modified_since=if_modified_since).get("Accounts") or [])

    def tax_rates(self) -> list[dict[str, Any]]:
        return list(self.get("/TaxRates").get("TaxRates") or [])

    def tracking_categories(self, include_archived: bool = False) -> list[dict[str, Any]]:
        params = {"includeArchived": "true"} if include_archived else None
        return list(self.get("/TrackingCategories", params=params).get("TrackingCategories") or [])

    def currencies(self) -> list[dict[str, Any]]:
        return list(self.get("/Currencies").get("Currencies") or [])

    # -- machinery ------------------------------------------------------------------------

    def _batch(
        self,
        method: str,
        collection: str,
        elements: Sequence[dict[str, Any]],
        idempotency_key: str,
        params: dict[str, Any] | None,
    ) -> list[ElementResult]:
        query = dict(params or {})
        query["summarizeErrors"] = "false"  # always: see batch.py for why
        body = self._request(
            method, f"/{collection}", params=query, body={collection: list(elements)}, idempotency_key=idempotency_key
        )
        return element_results(body, collection)

    def _url(self, path: str) -> str:
        return f"{self.endpoints.api_base.rstrip('/')}/{path.lstrip('/')}"

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        idempotency_key: str | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        if method in ("PUT", "POST"):
            _check_idempotency_key(idempotency_key)
        self._check_day_block()
        content = codec.dumps(body).encode("utf-8") if body is not None else None
        url = self._url(path)
        query = _query(params)
        refreshed = False
        failures = 0  # 5xx / transport / 429-minute retries so far
        attempt = 0
        token = self.session.access_token()
        while True:
            attempt += 1
            headers = {
                "Authorization": f"Bearer {token}",
                "xero-tenant-id": self.tenant_id,
                "Accept": "application/json",
                **(extra_headers or {}),
            }
            if content is not None:
                headers["Content-Type"] = "application/json"
            if idempotency_key:
                headers["Idempotency-Key"] = idempotency_key
            with self.pacer.slot():
                try:
                    resp = self._http.request(method, url, params=query, content=content, headers=headers)
                except (httpx.TimeoutException, httpx.TransportError) as exc:
                    resp = None
                    transport_error = exc
            self._notify(method, path, resp.status_code if resp is not None else None, attempt)

            if resp is None:
                failures += 1
                if failures > self.max_retries:
                    raise NetworkError(detail=f"{type(transport_error).__name__} after {failures} attempts")
                self._backoff(failures)
                continue

            self.pacer.observe(resp.headers)
            self.server_time = _server_date(resp) or self.server_time
            status = resp.status_code
            if status < 300:
                return codec.loads(resp.content) if resp.content.strip() else {}
            if status == 304:
                return {}
            if status == 401:
                if refreshed:
                    raise ReconnectNeeded(detail="API refused a freshly refreshed token")
                refreshed = True
                token = self.session.refresh_after_rejection(token)
                continue
            if status == 429:
                retry_after = _retry_after(resp)
                problem = (resp.headers.get("X-Rate-Limit-Problem") or "minute").lower()
                if "day" in problem:
                    raise RateLimited("day", self.pacer.block_day(retry_after, self._wall_clock()))
                failures += 1
                wait = self.pacer.pause_for(retry_after)
                if failures > self.max_retries:
                    raise RateLimited("minute", self._wall_clock() + timedelta(seconds=wait))
                continue  # the pacer holds every call to this tenant until the pause ends
            if status >= 500:
                failures += 1
                if failures > self.max_retries:
                    raise XeroUnavailable(status, detail=_short_detail(resp))
                self._backoff(failures)
                continue
            raise self._error_for(resp, path)

    def _error_for(self, resp: httpx.Response, path: str) -> XeroError:
        status = resp.status_code
        payload = _json_or_none(resp)
        if status == 400:
            return ValidationFailed(validation_messages(payload) or [_short_detail(resp)], detail="HTTP 400")
        if status == 403:
            return Forbidden(self.tenant_id, detail=_short_detail(resp))
        if status == 404:
            return NotFound(path)
        return XeroError(
            f"Xero refused the request (HTTP {status}). Try again; if it keeps failing, contact support.",
            detail=_short_detail(resp),
        )

    def _backoff(self, failures: int) -> None:
        delay = min(self._backoff_cap, self._backoff_base * 2 ** (failures - 1))
        self.pacer.backoff_sleep(delay * (0.5 + 0.5 * self._jitter()))

    def _check_day_block(self) -> None:
        retry_at = self.pacer.day_blocked_until()
        if retry_at is not None:
            raise RateLimited("day", retry_at)

    def _notify(self, method: str, path: str, status: int | None, attempt: int) -> None:
        if self.on_request is not None:
            self.on_request(RequestEvent(method, path, status, attempt))


def _check_idempotency_key(key: str | None) -> None:
    if not key:
        raise ValueError("PUT/POST to Xero needs a stable Idempotency-Key from the caller")
    if len(key) > MAX_IDEMPOTENCY_KEY or not _KEY_OK.match(key):
        raise ValueError("Idempotency-Key must be 1-128 printable ASCII characters without spaces")


def _query(params: dict[str, Any] | None) -> dict[str, str] | None:
    """Xero's query conventions: lists comma-separated (``IDs``, ``Statuses``), booleans lower-case."""
    if not params:
        return None
    out: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, list | tuple | set):
            out[key] = ",".join(_query_value(v) for v in value)
        else:
            out[key] = _query_value(value)
    return out


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_utc_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _server_date(resp: httpx.Response) -> datetime | None:
    """The answer's Date header (RFC 1123, to the second) as aware UTC; None when absent or unreadable."""
    value = resp.headers.get("Date")
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _retry_after(resp: httpx.Response) -> float:
    try:
        return max(0.0, float(resp.headers.get("Retry-After", "60")))
    except ValueError:
        return 60.0


def _json_or_none(resp: httpx.Response) -> Any:
    try:
        return codec.loads(resp.content)
    except ValueError:
        return None


def _short_detail(resp: httpx.Response) -> str:
    """A short, redacted description of an error answer for diagnostics (never shown raw to users)."""
    payload = _json_or_none(resp)
    if isinstance(payload, dict):
        text = payload.get("Detail") or payload.get("Message") or payload.get("Title") or ""
    else:
        text = resp.text
    return redact(f"HTTP {resp.status_code} {str(text)[:200]}".strip())
