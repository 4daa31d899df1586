"""How a model runs its queries: right away (tests, small tables) or in a worker thread.

A query over a million-item run with a text filter may scan for a while; the
GUI thread must not wait on it, so the app hands models a background loader.
Results carry a stamp from the model's Generation (ui/latest.py) so a stale answer (the filter
changed meanwhile) is dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ..latest import Runner


class Loader(Protocol):
    def __call__(self, query: Callable[[], Any], done: Callable[[Any], None]) -> None: ...


def immediate(query: Callable[[], Any], done: Callable[[Any], None]) -> None:
    """Run the query now, in this thread."""
    done(query())


def background(services: Runner) -> Loader:
    """Run queries through services.run_in_background; errors go to the error reporter."""

    def load(query: Callable[[], Any], done: Callable[[Any], None]) -> None:
        services.run_in_background(query, done, services.report_error, name="query")

    return load
