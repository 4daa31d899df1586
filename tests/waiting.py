"""Waiting on a condition, never for a fixed time (no Qt here: GUI tests use qtbot.waitUntil).

A fixed sleep either wastes time on a fast machine or is too short on a loaded one (two cores
shared with a whole suite); polling a condition with a deadline is neither, and says what it
was waiting for when the deadline passes.
"""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(condition: Callable[[], object], what: str, timeout: float = 60.0, every: float = 0.02) -> None:
    """Poll `condition` until it is true; fail naming `what` once `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:.0f} s for {what}")
        time.sleep(every)
