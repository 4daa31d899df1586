"""Live views: what other desks sharing the PostgreSQL database change shows here in seconds.

store/change_feed.py listens in its own thread on its own connection (PostgreSQL
LISTEN/NOTIFY). Its callback runs in that thread, so
it only emits a signal: Qt queues it to the GUI thread, where each topic goes into the
services' ``changed`` hub and so into the views' coalesced refresh (ui/refresh.py). The GUI
thread never waits on the database for this, and no session crosses threads.
"""

from __future__ import annotations

from ..store.change_feed import ChangeFeed
from .qt import QObject, Signal
from .services import AppServices


class LiveUpdates(QObject):
    """Feeds other connections' changes into ``services.notify`` (on the GUI thread)."""

    arrived = Signal(object)  # a set of topics, emitted from the feed's thread

    def __init__(self, services: AppServices) -> None:
        super().__init__(services)
        self.services = services
        self.feed = ChangeFeed(services.store.engine, self.arrived.emit)
        self.arrived.connect(self._notify)  # queued: the sender is the feed's thread

    def start(self) -> LiveUpdates:
        self.feed.start()
        return self

    def stop(self) -> None:
        self.feed.stop()

    def _notify(self, topics: set[str]) -> None:
        for topic in sorted(topics):
            self.services.notify(topic)
