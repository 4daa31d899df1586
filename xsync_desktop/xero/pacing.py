"""Stay inside Xero's per-organisation limits instead of bumping into them.

Xero allows, per organisation: 5 calls in flight, 60 calls a minute and a daily
quota (5,000, or 1,000 on the Starter tier), and asks clients that get a 429 to
pause *all* calls to that organisation.  The ``Pacer`` enforces:

- a semaphore of ``concurrent_limit`` calls in flight;
- a sliding 60-second window of our own calls (``minute_limit``);
- the server's view (``X-MinLimit-Remaining``): when it says the minute is used
  up, e.g. by another copy of the app, we wait instead of drawing a 429;
- a shared pause after a 429 (``pause_for``).

``clock``/``sleep`` are injectable.  Waiting is tracked on a per-call "virtual
now" so an injected sleep that does not advance the clock can never spin
forever.  ``time_scale`` has the sandbox's meaning: the server's clock runs that
many times faster than real time, so every real wait (the window included) is
divided by it; Retry-After stays in Xero seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta

MINUTE = 60.0
#: Real seconds between looks when the whole budget is held by calls still in flight.
IN_FLIGHT_POLL = 0.05


class Pacer:
    """Paces the calls of one organisation (tenant).  Share one per tenant within a process."""

    def __init__(
        self,
        *,
        minute_limit: int = 60,
        concurrent_limit: int = 5,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        time_scale: float = 1.0,
    ) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.minute_limit = minute_limit
        self.time_scale = time_scale
        self._clock = clock
        self._sleep = sleep
        self._slots = threading.BoundedSemaphore(concurrent_limit)
        self._lock = threading.Lock()
        self._calls: list[list] = []  # [finished_at | None, started_at] per call in the window
        self._paused_until = 0.0
        self._server_min_remaining: int | None = None
        self._server_seen_at = 0.0
        self.day_remaining: int | None = None
        self._day_blocked: tuple[float, datetime] | None = None
        self.waited = 0.0  # total seconds this pacer asked to sleep (diagnostics, tests)

    @property
    def window(self) -> float:
        return MINUTE / self.time_scale

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the in-flight slots, after waiting for budget in the minute window."""
        self._slots.acquire()
        try:
            call = self._wait_for_budget()
            try:
                yield
            finally:
                with self._lock:
                    # Counted from when the answer arrived: the server admitted the call no later
                    # than that, so our window always covers the server's (no race at the edge).
                    call[0] = max(self._clock(), call[1])
        finally:
            self._slots.release()

    def _wait_for_budget(self) -> list[float | None]:
        virtual_now = self._clock()
        while True:
            with self._lock:
                now = max(self._clock(), virtual_now)
                ready_at = self._ready_at(now)
                if ready_at <= now:
                    call: list = [None, now]  # [finished_at (None while in flight), started_at]
                    self._calls.append(call)
                    if self._server_min_remaining is not None:
                        self._server_min_remaining -= 1
                    return call
            self._do_sleep(ready_at - now)
            virtual_now = ready_at

    def _ready_at(self, now: float) -> float:
        """Earliest time a new call fits every limit we know of (caller holds the lock)."""
        horizon = now - self.window
        self._calls = [c for c in self._calls if c[0] is None or c[0] > horizon]
        ready = max(now, self._paused_until)
        excess = len(self._calls) - self.minute_limit
        if excess >= 0:
            finished = sorted(c[0] for c in self._calls if c[0] is not None)
            if excess < len(finished):
                ready = max(ready, finished[excess] + self.window)
            else:  # the budget is held by calls still in flight: look again shortly
                ready = max(ready, now + IN_FLIGHT_POLL)
        if self._server_min_remaining is not None and self._server_min_remaining <= 0:
            # The server counts calls we did not make (another process): wait for its window to move.
            # Our oldest answered call is the best guess of the server's oldest counted one.
            finished = [c[0] for c in self._calls if c[0] is not None]
            oldest = min(finished) if finished else self._server_seen_at
            ready = max(ready, oldest + self.window)
            if ready <= now:
                self._server_min_remaining = None
        return ready

    def observe(self, headers: Mapping[str, str]) -> None:
        """Read Xero's remaining-budget headers from any response."""
        minute = _int_header(headers, "X-MinLimit-Remaining")
        day = _int_header(headers, "X-DayLimit-Remaining")
        with self._lock:
            if minute is not None:
                self._server_min_remaining = minute
                self._server_seen_at = self._clock()
            if day is not None:
                self.day_remaining = day

    def pause_for(self, seconds: float) -> float:
        """Pause every call to this tenant for ``seconds`` (Xero's Retry-After, unscaled); returns the scaled wait."""
        scaled = self.scaled(seconds)
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + scaled)
            self._server_min_remaining = None  # Retry-After is the server's exact word on when
        return scaled

    def scaled(self, xero_seconds: float) -> float:
        """Real seconds for a span of Xero (server) seconds."""
        return max(0.0, xero_seconds) / self.time_scale

    def backoff_sleep(self, seconds: float) -> None:
        """Sleep outside any slot, scaled like every other wait."""
        self._do_sleep(self.scaled(seconds))

    def block_day(self, xero_seconds: float, wall_now: datetime) -> datetime:
        """Xero said the daily quota is spent: refuse calls to this tenant until then.  Returns when (UTC)."""
        scaled = self.scaled(xero_seconds)
        retry_at = wall_now + timedelta(seconds=scaled)
        with self._lock:
            self._day_blocked = (self._clock() + scaled, retry_at)
        return retry_at

    def day_blocked_until(self) -> datetime | None:
        """When calls may resume after a daily-limit 429, or None if not blocked."""
        with self._lock:
            if self._day_blocked is None:
                return None
            until, retry_at = self._day_blocked
            if self._clock() >= until:
                self._day_blocked = None
                return None
            return retry_at

    def _do_sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.waited += seconds
            self._sleep(seconds)


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None
