"""The pacer keeps within the minute budget by waiting ahead, never by drawing a 429."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from xsync_desktop.xero.pacing import Pacer


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


def test_minute_budget_waits_for_the_window() -> None:
    t = FakeTime()
    p = Pacer(minute_limit=3, clock=t.clock, sleep=t.sleep)
    starts = []
    for _ in range(7):
        with p.slot():
            starts.append(t.now)
        t.now += 1
    # never more than 3 calls in any 60 s window
    for s in starts:
        assert sum(1 for x in starts if s <= x < s + 60) <= 3
    assert t.sleeps  # it paced ahead


def test_server_remaining_zero_waits_even_without_own_calls() -> None:
    t = FakeTime()
    p = Pacer(minute_limit=60, clock=t.clock, sleep=t.sleep)
    p.observe({"X-MinLimit-Remaining": "0", "X-DayLimit-Remaining": "42"})
    with p.slot():
        pass
    assert sum(t.sleeps) == 60
    assert p.day_remaining == 42


def test_pause_and_time_scale() -> None:
    t = FakeTime()
    p = Pacer(clock=t.clock, sleep=t.sleep, time_scale=60.0)  # sandbox runs 60x real time
    assert p.pause_for(30) == 0.5
    with p.slot():
        pass
    assert t.sleeps == [0.5]


def test_non_advancing_sleep_never_spins() -> None:
    sleeps: list[float] = []
    p = Pacer(minute_limit=1, clock=lambda: 5.0, sleep=sleeps.append)
    for _ in range(3):
        with p.slot():
            pass
    p.pause_for(7)
    with p.slot():
        pass
    assert len(sleeps) >= 3


def test_day_block_expires() -> None:
    t = FakeTime()
    p = Pacer(clock=t.clock, sleep=t.sleep)
    retry_at = p.block_day(3600, datetime(2024, 1, 1, tzinfo=UTC))
    assert retry_at == datetime(2024, 1, 1, 1, tzinfo=UTC)
    assert p.day_blocked_until() == retry_at
    t.now += 3600
    assert p.day_blocked_until() is None


def test_at_most_concurrent_limit_in_flight() -> None:
    p = Pacer(concurrent_limit=2, minute_limit=1000)
    inside = 0
    peak = 0
    lock = threading.Lock()
    gate = threading.Event()

    def work() -> None:
        nonlocal inside, peak
        with p.slot():
            with lock:
                inside += 1
                peak = max(peak, inside)
            gate.wait(0.05)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=work) for _ in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert peak <= 2
