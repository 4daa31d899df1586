"""Idempotency-Key replay: same method+URL+body within 6 minutes gets the stored answer.

Per the facts §7 errors are replayed too, and a key reused for a different request is
refused. Xero's exact refusal text is not published; the sandbox's wording is its own choice.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

from .clock import SandboxClock
from .httpio import Response

MAX_KEY_LENGTH = 128
KEY_TOO_LONG = "Idempotency-Key must be 128 characters or fewer."
KEY_REUSED = "Idempotency-Key has already been used for a different request."


@dataclass
class _Entry:
    fingerprint: str
    stored_at: float
    response: Response | None  # None while the first request is still running


class IdempotencyStore:
    def __init__(self, clock: SandboxClock, window: float) -> None:
        self.clock = clock
        self.window = window
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str, str], _Entry] = {}

    @staticmethod
    def fingerprint(method: str, url: str, body: bytes) -> str:
        return hashlib.sha256(method.encode() + b"\0" + url.encode() + b"\0" + body).hexdigest()

    def lookup(self, client: str, tenant: str, key: str, fingerprint: str) -> tuple[str, Response | None]:
        """('new'|'replay'|'mismatch'|'busy', stored response)."""
        now = self.clock.timestamp()
        with self._lock:
            entry = self._entries.get((client, tenant, key))
            if entry is None or now - entry.stored_at > self.window:
                self._entries[(client, tenant, key)] = _Entry(fingerprint, now, None)
                return "new", None
            if entry.fingerprint != fingerprint:
                return "mismatch", None
            if entry.response is None:
                return "busy", None
            return "replay", entry.response

    def store(self, client: str, tenant: str, key: str, response: Response) -> None:
        with self._lock:
            entry = self._entries.get((client, tenant, key))
            if entry is not None:
                entry.response = response

    def forget(self, client: str, tenant: str, key: str) -> None:
        with self._lock:
            self._entries.pop((client, tenant, key), None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
