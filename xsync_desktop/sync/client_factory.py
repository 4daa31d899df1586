"""The one thing the engine asks of whoever wired it: a fresh Xero client for the chosen organisation.

A Protocol rather than `Callable[[], Any]`: the engine calls the client's own methods and
sets its `on_request` hook, so a factory that returns something else is a type error at
the call site, not an `AttributeError` in the middle of a run. Whether the client talks to
real Xero or the demo sandbox is the factory's business (the composition root's choice).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..xero.client import XeroClient


class ClientFactory(Protocol):
    """Makes a new XeroClient; the engine closes each one it makes."""

    def __call__(self) -> XeroClient: ...
