"""Xero's rate limits: per tenant 60/min, 5000/rolling 24 h, 5 in flight; per app 10,000/min.

Windows are sliding and measured on `clock.limit_now()`, so `time_scale` shortens them in real
time while headers and Retry-After stay in Xero seconds.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass

from .clock import SandboxClock
from .config import SandboxConfig

MINUTE = 60.0
DAY = 86400.0


@dataclass
class Verdict:
    allowed: bool
    problem: str | None = None
    retry_after: int = 0
    headers: dict[str, str] | None = None


class RateLimiter:
    def __init__(self, cfg: SandboxConfig, clock: SandboxClock) -> None:
        self.cfg = cfg
        self.clock = clock
        self._lock = threading.Lock()
        self._minute: dict[str, deque[float]] = {}
        self._day: dict[str, deque[float]] = {}
        self._app: deque[float] = deque()
        self._inflight: dict[str, int] = {}

    @staticmethod
    def _trim(q: deque[float], now: float, window: float) -> None:
        while q and q[0] <= now - window:
            q.popleft()

    def _remaining(self, tenant: str, now: float) -> tuple[int, int, int]:
        m = self._minute.setdefault(tenant, deque())
        d = self._day.setdefault(tenant, deque())
        self._trim(m, now, MINUTE)
        self._trim(d, now, DAY)
        self._trim(self._app, now, MINUTE)
        return (
            max(self.cfg.minute_limit - len(m), 0),
            max(self.cfg.day_limit - len(d), 0),
            max(self.cfg.app_minute_limit - len(self._app), 0),
        )

    def headers(self, tenant: str) -> dict[str, str]:
        with self._lock:
            mins, days, app = self._remaining(tenant, self.clock.limit_now())
        return {"X-MinLimit-Remaining": str(mins), "X-DayLimit-Remaining": str(days),
                "X-AppMinLimit-Remaining": str(app)}

    def admit(self, tenant: str) -> Verdict:
        """Count one call (and take an in-flight slot) or say which limit refuses it."""
        with self._lock:
            now = self.clock.limit_now()
            mins, days, app = self._remaining(tenant, now)
            if self.cfg.rate_limits:
                if days <= 0:
                    return self._refuse("day", self._day[tenant][0] + DAY - now, tenant, now)
                if mins <= 0:
                    return self._refuse("minute", self._minute[tenant][0] + MINUTE - now, tenant, now)
                if app <= 0:
                    return self._refuse("appminute", self._app[0] + MINUTE - now, tenant, now)
                if self._inflight.get(tenant, 0) >= self.cfg.concurrent_limit:
                    return self._refuse("concurrent", 1.0, tenant, now)
            self._minute[tenant].append(now)
            self._day[tenant].append(now)
            self._app.append(now)
            self._inflight[tenant] = self._inflight.get(tenant, 0) + 1
            mins, days, app = self._remaining(tenant, now)
        return Verdict(True, headers={"X-MinLimit-Remaining": str(mins), "X-DayLimit-Remaining": str(days),
                                      "X-AppMinLimit-Remaining": str(app)})

    def _refuse(self, problem: str, wait: float, tenant: str, now: float) -> Verdict:
        mins, days, app = self._remaining(tenant, now)
        return Verdict(False, problem, max(1, math.ceil(wait)),
                       {"X-MinLimit-Remaining": str(mins), "X-DayLimit-Remaining": str(days),
                        "X-AppMinLimit-Remaining": str(app)})

    def release(self, tenant: str) -> None:
        with self._lock:
            self._inflight[tenant] = max(self._inflight.get(tenant, 1) - 1, 0)

    def in_flight(self, tenant: str | None = None) -> int:
        """Calls admitted and not yet answered (one tenant's, or all): a test waits for 0, not a fixed time."""
        with self._lock:
            return sum(n for t, n in self._inflight.items() if tenant in (None, t))

    def reset(self) -> None:
        with self._lock:
            self._minute.clear()
            self._day.clear()
            self._app.clear()
