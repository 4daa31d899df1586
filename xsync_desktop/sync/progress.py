"""How the engine reports progress and hears "cancel" without knowing about Qt.

The GUI worker wraps the callback in a signal emit; the CLI prints. Cancel is
cooperative: the engine checks it between requests, never mid-request, so a
cancelled run leaves nothing half-sent.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    phase: str  # "settings", "contacts", "invoices", "credit_notes", "payments", "pull_payments", ...
    done: int
    total: int
    current: str = ""  # the record being worked on, for people ("Invoice INV-0042")
    message: str = ""


ProgressCallback = Callable[[Progress], None]


def no_progress(_: Progress) -> None:
    return None


class Cancelled(Exception):
    """Raised inside the engine when the user asked to stop; the run ends as "cancelled"."""


class CancelToken:
    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled()
