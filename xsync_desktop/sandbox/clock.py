"""The sandbox's injectable clock.

Tests move time forward instead of sleeping: token expiry, the idempotency window and every
UpdatedDateUTC read `now()`. Rate-limit windows read `limit_now()`, which additionally runs
`time_scale` times faster than real time so a demo can watch a 60 s window pass quickly.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta


class SandboxClock:
    """Wall-clock UTC plus a manually advanced offset (thread-safe)."""

    def __init__(self, time_scale: float = 1.0, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0
        self._time_scale = time_scale
        self._mono0 = time.monotonic()
        self._fixed_start = start

    def advance(self, seconds: float) -> None:
        """Move sandbox time forward (never backwards: Xero's clock does not run backwards)."""
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self._offset += seconds

    def now(self) -> datetime:
        """Current sandbox time (timezone-aware UTC)."""
        with self._lock:
            offset = self._offset
        if self._fixed_start is not None:
            base = self._fixed_start + timedelta(seconds=time.monotonic() - self._mono0)
        else:
            base = datetime.now(UTC)
        return base + timedelta(seconds=offset)

    def timestamp(self) -> float:
        return self.now().timestamp()

    def limit_now(self) -> float:
        """Seconds on the rate-limit timeline: scaled real time plus advanced offset."""
        with self._lock:
            offset = self._offset
        return (time.monotonic() - self._mono0) * self._time_scale + offset
