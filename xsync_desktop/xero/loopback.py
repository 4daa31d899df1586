"""A one-shot HTTP listener on 127.0.0.1 that receives Xero's redirect after consent.

- Binds 127.0.0.1 only (never 0.0.0.0: no firewall prompt on Windows, nothing reachable
  from the network) on the first free port of a fixed list, because Xero matches
  redirect URIs exactly, port included.
- Answers only the callback path; anything else gets 404 and changes nothing.
- A callback whose ``state`` is not this sign-in's is ignored (a plain page, nothing
  settled): any local process or web page can reach the fixed ports first, and a forged
  callback must not cancel the real sign-in. The login keeps waiting for the right one
  until it times out. The first callback with the right state decides the outcome; later
  ones are ignored with a polite page.
- Never logs the request line (it holds the authorization code).
"""

from __future__ import annotations

import html
import secrets
import socket
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .errors import LoginError

LOOPBACK_HOST = "127.0.0.1"


@dataclass(frozen=True)
class CallbackResult:
    """What the first callback carried: a code, or an error to report."""

    code: str | None = field(default=None, repr=False)
    error: LoginError | None = None


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>xsync desktop</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32em;margin:4em auto;color:#222}}
h1{{font-size:1.4em}}</style></head>
<body><h1>{title}</h1><p>{text}</p></body></html>
"""


def page(title: str, text: str) -> bytes:
    return _PAGE.format(title=html.escape(title), text=html.escape(text)).encode("utf-8")


SUCCESS_PAGE = page(
    "You're connected to Xero", "You can close this tab and return to xsync desktop."
)
ALREADY_PAGE = page(
    "This sign-in was already handled", "You can close this tab and return to xsync desktop."
)
NOT_OURS_PAGE = page(
    "Not the sign-in in progress",
    "This answer does not belong to the sign-in xsync desktop is waiting for, so it was ignored. "
    "If you are connecting to Xero, finish in the browser tab xsync desktop opened.",
)


class _Server(ThreadingHTTPServer):
    # On Windows SO_REUSEADDR lets another process steal a bound port; never set it there.
    allow_reuse_address = sys.platform != "win32"
    daemon_threads = True

    def server_bind(self) -> None:
        if sys.platform == "win32" and hasattr(socket, "SO_EXCLUSIVEADDRUSE"):  # pragma: no cover
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
        super().server_bind()


class LoopbackListener:
    """Serve one OAuth callback on ``127.0.0.1:<port><path>``."""

    def __init__(self, ports: tuple[int, ...], path: str = "/callback") -> None:
        self.ports = ports
        self.path = path
        self.port: int | None = None
        self.done = threading.Event()
        self.result: CallbackResult | None = None
        self.expected_state: str | None = None
        self.ignored_callbacks = 0
        #: callbacks whose state was not this sign-in's (forged, or from an older attempt)
        self.mismatched_callbacks = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._result_lock = threading.Lock()

    def start(self, expected_state: str) -> int:
        """Bind the first free port of ``ports`` and serve in a background thread."""
        self.expected_state = expected_state
        handler = self._handler_class()
        last_error: OSError | None = None
        for port in self.ports:
            try:
                self._server = _Server((LOOPBACK_HOST, port), handler)
            except OSError as exc:
                last_error = exc
                continue
            self.port = port
            break
        else:
            raise LoginError(
                "Could not start the sign-in listener: ports "
                + ", ".join(str(p) for p in self.ports)
                + " on this computer are in use. Close other copies of xsync desktop and try again.",
                detail=type(last_error).__name__ if last_error else "",
            )
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="xero-login-listener", daemon=True
        )
        self._thread.start()
        return self.port

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _settle(self, result: CallbackResult) -> bool:
        """Record the first outcome only; returns False for any later callback."""
        with self._result_lock:
            if self.result is not None:
                self.ignored_callbacks += 1
                return False
            self.result = result
        self.done.set()
        return True

    def _not_ours(self) -> None:
        """Count a callback that is not this sign-in's; it settles nothing."""
        with self._result_lock:
            self.ignored_callbacks += 1
            self.mismatched_callbacks += 1

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        listener = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "xsync-desktop"
            sys_version = ""

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass  # the request line carries the authorization code: never log it

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.send_header("Referrer-Policy", "no-referrer")
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                parts = urlsplit(self.path)
                if parts.path != listener.path:
                    self._send(404, page("Not found", "This address is only used to finish connecting to Xero."))
                    return
                if listener.result is not None:
                    listener._settle(CallbackResult())  # counted, ignored
                    self._send(200, ALREADY_PAGE)
                    return
                query = parse_qs(parts.query, keep_blank_values=True)
                state = (query.get("state") or [""])[0]
                if not secrets.compare_digest(state.encode("utf-8"), (listener.expected_state or "").encode("utf-8")):
                    listener._not_ours()
                    self._send(400, NOT_OURS_PAGE)
                    return
                if query.get("error"):
                    reason = query["error"][0][:64]
                    if reason == "access_denied":
                        msg = "Access was not granted in Xero, so nothing was connected."
                    else:
                        msg = "Xero did not complete the sign-in. Please try connecting again."
                    err = LoginError(msg, detail=reason)
                    listener._settle(CallbackResult(error=err))
                    self._send(200, page("Not connected", msg + " You can close this tab."))
                    return
                code = (query.get("code") or [""])[0]
                if not code:
                    err = LoginError("Xero's answer had no authorization code. Please try connecting again.")
                    listener._settle(CallbackResult(error=err))
                    self._send(400, page("Sign-in incomplete", err.user_message))
                    return
                if listener._settle(CallbackResult(code=code)):
                    self._send(200, SUCCESS_PAGE)
                else:
                    self._send(200, ALREADY_PAGE)

            def do_POST(self) -> None:  # noqa: N802
                self._send(405, page("Not allowed", "Only the browser's redirect is accepted here."))

            do_PUT = do_DELETE = do_POST  # noqa: N815

        return Handler
