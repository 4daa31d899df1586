"""Sign in to Xero: Authorization Code + PKCE (S256) through the system browser.

A desktop app is a public client: no secret, so PKCE binds the code to this run
and ``state`` binds the browser's answer to this sign-in.  The browser is opened
with an injectable ``opener`` (tests and the GUI pass their own); the authorize
URL is also returned by ``start()`` so it can be shown for copying when no
browser opens.
"""

from __future__ import annotations

import threading
import time
import webbrowser
from collections.abc import Callable, Sequence
from urllib.parse import quote, urlencode, urlsplit

import httpx

from .endpoints import XeroEndpoints
from .errors import LoginCancelled, LoginError
from .loopback import LoopbackListener
from .tokens import TOKEN_TIMEOUT, PkcePair, TokenSet, exchange_code, new_state

DEFAULT_PORTS: tuple[int, ...] = (8765, 8766, 8767)
DEFAULT_REDIRECT = "http://127.0.0.1:{port}/callback"
_LOOPBACK_NAMES = {"127.0.0.1", "localhost"}


def redirect_uris(ports: Sequence[int] = DEFAULT_PORTS, template: str = DEFAULT_REDIRECT) -> tuple[str, ...]:
    """The exact redirect URIs to register with Xero (and with the sandbox)."""
    return tuple(template.format(port=p) for p in ports)


def _validate(ports: Sequence[int], template: str) -> str:
    """Refuse any redirect that would not land on our own loopback listener; returns its path."""
    if not ports:
        raise LoginError("No sign-in port is configured.", detail="ports empty")
    for p in ports:
        if not isinstance(p, int) or not 0 < p < 65536:
            raise LoginError(
                "Sign-in ports must be fixed port numbers (Xero matches redirect addresses exactly).",
                detail=f"bad port {p!r}",
            )
    if "{port}" not in template:
        raise LoginError("The sign-in redirect address must contain the port.", detail="no {port}")
    parts = urlsplit(template.format(port=ports[0]))
    if parts.scheme != "http" or parts.hostname not in _LOOPBACK_NAMES or parts.port != ports[0]:
        raise LoginError(
            "The sign-in redirect address must point at this computer (http://127.0.0.1 or http://localhost).",
            detail="redirect not loopback",
        )
    if not parts.path.startswith("/") or parts.query or parts.fragment:
        raise LoginError("The sign-in redirect address must be a plain path.", detail="redirect path")
    return parts.path


class LoopbackLogin:
    """One sign-in attempt.  ``start()`` then ``wait()``; ``cancel()`` from any thread."""

    def __init__(
        self,
        endpoints: XeroEndpoints,
        client_id: str,
        scopes: Sequence[str],
        ports: Sequence[int] = DEFAULT_PORTS,
        opener: Callable[[str], object] = webbrowser.open,
        timeout: float = 300,
        *,
        redirect_template: str = DEFAULT_REDIRECT,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not client_id:
            raise LoginError("No Xero Client ID is configured.", detail="client_id empty")
        self.ports = tuple(ports)
        path = _validate(self.ports, redirect_template)
        self.endpoints = endpoints
        self.client_id = client_id
        self.scopes = tuple(scopes)
        self.opener = opener
        self.timeout = timeout
        self._template = redirect_template
        self._http = http
        self._clock = clock
        self._listener = LoopbackListener(self.ports, path=path)
        self._cancelled = threading.Event()
        self._pkce = PkcePair.new()
        self._state = new_state()
        self.redirect_uri: str | None = None
        self.authorize_url: str | None = None
        self.browser_opened = False

    def start(self) -> str:
        """Start the listener, open the browser, and return the authorize URL (to show for copying)."""
        if self.authorize_url is not None:
            raise LoginError("This sign-in was already started.", detail="start twice")
        port = self._listener.start(self._state)
        self.redirect_uri = self._template.format(port=port)
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": self.redirect_uri,
                "scope": " ".join(self.scopes),
                "state": self._state,
                "code_challenge": self._pkce.challenge,
                "code_challenge_method": "S256",
            },
            quote_via=quote,
        )
        self.authorize_url = f"{self.endpoints.authorize_url}?{query}"
        try:
            self.browser_opened = bool(self.opener(self.authorize_url))
        except Exception:  # no browser: the URL is shown for copying instead
            self.browser_opened = False
        return self.authorize_url

    def cancel(self) -> None:
        self._cancelled.set()

    def wait(self, cancel: threading.Event | None = None) -> TokenSet:
        """Block until the browser comes back, then exchange the code for tokens."""
        if self.authorize_url is None or self.redirect_uri is None:
            raise LoginError("Sign-in was not started.", detail="wait before start")
        deadline = time.monotonic() + self.timeout
        try:
            while not self._listener.done.wait(0.05):
                if self._cancelled.is_set() or (cancel is not None and cancel.is_set()):
                    raise LoginCancelled()
                if time.monotonic() >= deadline:
                    ignored = self._listener.mismatched_callbacks
                    raise LoginError(
                        "Xero sign-in timed out: no answer came back from the browser. Please try again."
                        + (f" ({ignored} answer(s) that did not belong to this sign-in were ignored.)"
                           if ignored else ""),
                        detail="timeout",
                    )
        finally:
            self._listener.stop()
        result = self._listener.result
        assert result is not None
        if result.error is not None:
            raise result.error
        assert result.code is not None
        http = self._http or httpx.Client(timeout=TOKEN_TIMEOUT)
        try:
            return exchange_code(
                http,
                self.endpoints,
                self.client_id,
                code=result.code,
                redirect_uri=self.redirect_uri,
                code_verifier=self._pkce.verifier,
                clock=self._clock,
            )
        finally:
            if self._http is None:
                http.close()

    @property
    def ignored_callbacks(self) -> int:
        return self._listener.ignored_callbacks
