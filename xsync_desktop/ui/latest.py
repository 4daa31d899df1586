"""Only the newest answer counts: the one background-load mechanism every view and model uses.

A view reloads in a worker thread (the GUI thread never waits on a query or on Xero),
and a person can change the filter, the month or the record type while a load runs.
Answers then arrive out of order; showing an overtaken one would put stale rows on
screen. Each load takes a stamp from a `Generation`; an answer is applied only while
its stamp is still the newest. `BackgroundLoad` adds the worker thread and a
`loading` flag, so a view's refresh is three lines instead of thirty.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class Generation:
    """A counter: `bump()` makes every earlier stamp stale; `current(stamp)` says if it still counts."""

    def __init__(self) -> None:
        self._value = 0

    @property
    def value(self) -> int:
        return self._value

    def bump(self) -> int:
        self._value += 1
        return self._value

    def current(self, stamp: int) -> bool:
        return stamp == self._value


class Runner(Protocol):
    """What BackgroundLoad needs of AppServices: a worker thread and an error reporter."""

    def run_in_background(self, fn: Callable[..., Any], on_done: Callable[[Any], None] | None = ...,
                          on_error: Callable[[BaseException], None] | None = ..., *args: Any,
                          name: str = ...) -> Any: ...

    def report_error(self, exc: BaseException) -> None: ...


class BackgroundLoad:
    """Runs `work` in a worker thread and hands its result to `done` unless a newer load started.

    `failed` gets the error (only for the newest load); without it the app's error
    reporter does. `loading` is True from `start` until the newest load answered.
    """

    def __init__(self, runner: Runner, name: str) -> None:
        self._runner = runner
        self._name = name
        self.generation = Generation()
        self.loading = False

    def start(self, work: Callable[[], T], done: Callable[[T], None],
              failed: Callable[[BaseException], None] | None = None) -> None:
        stamp = self.generation.bump()
        self.loading = True

        def on_done(result: T) -> None:
            if self.generation.current(stamp):
                self.loading = False
                done(result)

        def on_failed(exc: BaseException) -> None:
            if not self.generation.current(stamp):
                return
            self.loading = False
            if failed is not None:
                failed(exc)
            else:
                self._runner.report_error(exc)

        self._runner.run_in_background(work, on_done, on_failed, name=self._name)

    def drop(self) -> None:
        """Forget the load in flight: its answer will not be shown."""
        self.generation.bump()
        self.loading = False
