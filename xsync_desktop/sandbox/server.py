"""SandboxServer: a loopback HTTP server that behaves like Xero's identity and Accounting APIs.

Stdlib only (ThreadingHTTPServer), so it also runs inside the PyInstaller bundle for the demo.
Request pipeline for the Accounting API, in Xero's order as far as it is known:
route -> injected fault -> token -> tenant -> scope -> rate limits (counted) -> in-flight slot
-> delay fault -> idempotency replay -> handler -> drop-after-commit fault.
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections import Counter
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from .accounting import Accounting, envelope
from .admin import Admin
from .browser import approve_over_http
from .clock import SandboxClock
from .config import SandboxConfig
from .errors import (
    ApiError,
    forbidden,
    insufficient_scope,
    internal_error,
    maintenance,
    not_found,
    problem,
    token_expired,
)
from .faults import ANSWER_FAULTS, FaultBook, reshape_answer
from .httpio import Request, Response, error_response, json_response
from .idempotency import KEY_REUSED, KEY_TOO_LONG, MAX_KEY_LENGTH, IdempotencyStore
from .identity import Identity
from .ledger import Ledger
from .limits import RateLimiter
from .state import SandboxState
from .wire import dumps, is_guid, loads

API_PREFIX = "/api.xro/2.0"
MAX_QUERY_STRING = 2048  # IIS default; Xero answers 404 beyond it (facts §6: 53 GUIDs in IDs -> 404)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Xero"
    sys_version = ""
    timeout = 60
    sandbox: SandboxServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - never log (tokens in URLs/headers)
        return

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The Date header from the sandbox's clock, as Xero's Date and UpdatedDateUTC share Xero's."""
        return formatdate(self.sandbox.clock.timestamp() if timestamp is None else timestamp, usegmt=True)

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        req = Request(self.command, parts.path, parts.query,
                      {k.lower(): v for k, v in self.headers.items()}, body)
        try:
            resp = self.sandbox.dispatch(req)
        except ApiError as err:
            resp = error_response(err)
        except Exception:  # a sandbox bug must still answer like Xero's 500
            resp = error_response(internal_error())
        if resp.drop:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.send_response(resp.status)
        for name, value in resp.headers.items():
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(resp.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve


class SandboxServer:
    """A Xero-compatible server on 127.0.0.1. `start()` returns self; `stop()` shuts it down."""

    def __init__(self, config: SandboxConfig | None = None, clock: SandboxClock | None = None) -> None:
        self.config = config or SandboxConfig()
        #: what /__admin requires (admin.py): any web page could otherwise POST to it while it runs
        self.admin_secret = self.config.admin_secret or secrets.token_urlsafe(24)
        self.clock = clock or SandboxClock(self.config.time_scale)
        self.state = SandboxState(self.clock.now(), self.config.seed_demo_orgs, self.config.state_file)
        self.identity = Identity(self.config, self.state, self.clock)
        self.accounting = Accounting()
        self.admin = Admin(self)
        self.limiter = RateLimiter(self.config, self.clock)
        self.idempotency = IdempotencyStore(self.clock, self.config.idempotency_window)
        self.faults = FaultBook()
        self._stats_lock = threading.Lock()
        self._stats: Counter[tuple[str | None, str, str]] = Counter()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> SandboxServer:
        handler = type("SandboxHandler", (_Handler,), {"sandbox": self})
        self._httpd = _HTTPServer((self.config.host, self.config.port), handler)
        self.identity.issuer = f"{self.base_url}/identity"
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="xero-sandbox", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        self.state.save()

    def __enter__(self) -> SandboxServer:
        return self.start() if self._httpd is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def tenant_ids(self) -> list[str]:
        return list(self.state.tenants)

    # -- test helpers ----------------------------------------------------------------------------
    def approve(self, authorize_url: str, tenant_ids: list[str] | None = None) -> str:
        """Play the browser: open the consent page, tick organisations (all by default), allow; return the redirect."""
        return approve_over_http(authorize_url, tenant_ids if tenant_ids is not None else self.tenant_ids)

    def stats(self, tenant_id: str | None = None) -> dict[str, Any]:
        with self._stats_lock:
            rows = {f"{m} {p}": n for (t, m, p), n in self._stats.items() if tenant_id in (None, t)}
        merged: Counter[str] = Counter()
        for key, n in rows.items():
            merged[key] += n
        return {"total": sum(merged.values()), "calls": dict(merged), "in_flight": self.limiter.in_flight(tenant_id)}

    def reset_stats(self) -> None:
        with self._stats_lock:
            self._stats.clear()

    # -- dispatch --------------------------------------------------------------------------------
    def dispatch(self, req: Request) -> Response:
        path = req.path
        if path.startswith("/__admin"):
            return self.admin.handle(req)
        if path.startswith("/identity/connect/") or path.lower().startswith("/connections"):
            # Identity routes fail only when a fault names them (e.g. path=/identity/connect/revocation).
            fault = self.faults.take(req.method, path, None, {"status", "delay"}, named_path_only=True)
            if fault is not None and fault.action == "delay":
                time.sleep(fault.seconds)
            elif fault is not None:
                return self._fault_response(fault, None)
        if path == "/identity/connect/authorize" and req.method == "GET":
            return self.identity.authorize(req)
        if path == "/identity/connect/consent" and req.method == "POST":
            return self.identity.consent(req)
        if path == "/identity/connect/token":
            return self.identity.token(req)
        if path == "/identity/connect/revocation" and req.method == "POST":
            return self.identity.revoke(req)
        lower = path.lower().rstrip("/")
        if lower == "/connections" and req.method == "GET":
            return self.identity.list_connections(req)
        if lower.startswith("/connections/") and req.method == "DELETE":
            req.params = {"id": path.rstrip("/").split("/")[-1]}
            return self.identity.delete_connection(req)
        if lower == API_PREFIX.lower() or lower.startswith(API_PREFIX.lower() + "/"):
            return self._accounting(req)
        raise not_found()

    def _accounting(self, req: Request) -> Response:
        sub = req.path[len(API_PREFIX):].rstrip("/") or "/"
        if len(req.raw_query) > MAX_QUERY_STRING:
            raise not_found()
        route, params, exists = self.accounting.match(req.method, sub)
        if route is None:
            raise ApiError(405, text="") if exists else not_found()
        req.params = params
        tenant_header = req.header("xero-tenant-id")
        fault = self.faults.take(req.method, req.path, tenant_header,
                                 {"status", "rate_limit_minute", "rate_limit_day", "token_expired"})
        if fault is not None:
            return self._fault_response(fault, tenant_header)
        claims = self.identity.verify(req.header("authorization"))
        tenant_id = (tenant_header or "").strip().lower()
        with self.state.lock:
            connected = self.state.connected_tenant_ids(self.config.client_id)
        if not is_guid(tenant_id) or tenant_id not in self.state.tenants or tenant_id not in connected:
            raise forbidden()
        if not self.accounting.allowed(route, set(claims.get("scope", []))):
            raise insufficient_scope()
        verdict = self.limiter.admit(tenant_id)
        if not verdict.allowed:
            return self._too_many(verdict.problem or "minute", verdict.retry_after, verdict.headers or {})
        with self._stats_lock:
            self._stats[(tenant_id, req.method, API_PREFIX + route.template)] += 1
        try:
            delay = self.faults.take(req.method, req.path, tenant_id, {"delay"})
            if delay is not None:
                time.sleep(delay.seconds)
            resp = self._run_idempotent(req, route, tenant_id)
            reshape = self.faults.take(req.method, req.path, tenant_id, ANSWER_FAULTS)
            if reshape is not None and resp.status == 200:
                resp = Response(resp.status, dumps(reshape_answer(reshape, loads(resp.body))), resp.headers)
            drop = self.faults.take(req.method, req.path, tenant_id, {"drop_after_commit"})
            if drop is not None:
                resp = Response(resp.status, resp.body, resp.headers, drop=True)
        finally:
            self.limiter.release(tenant_id)
        resp.headers.update(self.limiter.headers(tenant_id))
        return resp

    def _run_idempotent(self, req: Request, route: Any, tenant_id: str) -> Response:
        key = req.header("idempotency-key")
        if key is None or req.method not in ("PUT", "POST"):
            return self._run(req, route, tenant_id)
        if len(key) > MAX_KEY_LENGTH or not key.strip():
            return error_response(ApiError(400, {"ErrorNumber": 10, "Type": "ValidationException",
                                                 "Message": KEY_TOO_LONG, "Elements": []}))
        url = req.path + ("?" + req.raw_query if req.raw_query else "")
        fp = self.idempotency.fingerprint(req.method, url, req.body)
        outcome, stored = self.idempotency.lookup(self.config.client_id, tenant_id, key, fp)
        if outcome == "replay" and stored is not None:
            return Response(stored.status, stored.body, dict(stored.headers))
        if outcome in ("mismatch", "busy"):
            return error_response(ApiError(400, {"ErrorNumber": 10, "Type": "ValidationException",
                                                 "Message": KEY_REUSED, "Elements": []}))
        try:
            resp = self._run(req, route, tenant_id)
        except BaseException:
            self.idempotency.forget(self.config.client_id, tenant_id, key)
            raise
        self.idempotency.store(self.config.client_id, tenant_id, key,
                               Response(resp.status, resp.body, dict(resp.headers)))
        return resp

    def _run(self, req: Request, route: Any, tenant_id: str) -> Response:
        try:
            with self.state.lock:
                led = Ledger(self.state.tenants[tenant_id], self.clock.now())
                status, payload = route.handler(req, led)
            if req.method != "GET":
                self.state.save()
        except ApiError as err:
            return error_response(err)
        if isinstance(payload, tuple):
            key, items = payload[0], payload[1]
            pagination = payload[2] if len(payload) > 2 else None
            payload = envelope(key, items, self.clock.now(), pagination)
        return json_response(status, payload)

    def _fault_response(self, fault: Any, tenant: str | None) -> Response:
        if fault.action == "token_expired":
            return error_response(token_expired(self.clock.now()))
        if fault.action in ("rate_limit_minute", "rate_limit_day"):
            problem_name = "minute" if fault.action == "rate_limit_minute" else "day"
            retry = int(fault.seconds) or (60 if problem_name == "minute" else 73451)
            headers = self.limiter.headers(tenant.lower()) if tenant else {}
            if problem_name == "day":
                headers["X-DayLimit-Remaining"] = "0"
            else:
                headers["X-MinLimit-Remaining"] = "0"
            return self._too_many(problem_name, retry, headers)
        if fault.status == 503:
            return error_response(maintenance())
        if fault.status == 500:
            return error_response(internal_error())
        return json_response(fault.status, problem(fault.status, "Injected", f"Injected fault {fault.status}"))

    @staticmethod
    def _too_many(problem_name: str, retry_after: int, headers: dict[str, str]) -> Response:
        resp = json_response(429, problem(429, "Too Many Requests", f"Rate limit exceeded: {problem_name}"))
        resp.headers.update(headers)
        resp.headers["Retry-After"] = str(retry_after)
        resp.headers["X-Rate-Limit-Problem"] = problem_name
        return resp
