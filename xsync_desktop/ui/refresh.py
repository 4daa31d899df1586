"""Coalesced refreshes (Electrum's habit): a change marks a view dirty, a timer refreshes it.

A sync touches thousands of rows; views must not re-query on every item. A
`RefreshCoalescer` listens to the services' `changed(topic)` hub, sets a dirty
flag, and refreshes at most once per `delay_ms`, and only while the view is
visible; a hidden view refreshes when it is shown again.

A view starts dirty: the first time it is shown it loads, with nobody calling
`refresh()` (issue 14: views were empty until a button was pressed). A view that
loads itself while it is built says `loaded=True`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .qt import QObject, QtCore, QTimer, QtWidgets


class RefreshCoalescer(QObject):
    def __init__(
        self,
        widget: QtWidgets.QWidget,
        refresh: Callable[[], None],
        changed: QtCore.SignalInstance,
        topics: Iterable[str],
        delay_ms: int = 300,
        *,
        loaded: bool = False,
    ) -> None:
        super().__init__(widget)
        self._widget = widget
        self._refresh = refresh
        self._topics = set(topics)
        self.dirty = not loaded  # nothing loaded yet: the first show loads
        self.refresh_count = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self._fire)
        changed.connect(self._on_changed)
        widget.installEventFilter(self)
        if widget.isVisible() and self.dirty:
            self._timer.start(0)

    @property
    def pending(self) -> bool:
        """A refresh is due: its timer runs, or the view is dirty while shown (tests and the
        screenshot scripts wait for this to be False instead of for a fixed time)."""
        return self._timer.isActive() or (self.dirty and self._widget.isVisible())

    def _on_changed(self, topic: str) -> None:
        if topic not in self._topics:
            return
        self.dirty = True
        if self._widget.isVisible() and not self._timer.isActive():
            self._timer.start()

    def eventFilter(self, watched: QObject, event: QtCore.QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self._widget and event.type() == QtCore.QEvent.Type.Show and self.dirty:
            self._timer.start(0)
        return False

    def refresh_now(self) -> None:
        """Refresh at once, and count it as the refresh the pending notices asked for."""
        self._timer.stop()
        self.dirty = False
        self.refresh_count += 1
        self._refresh()

    def _fire(self) -> None:
        if not self.dirty:
            return
        if not self._widget.isVisible():
            return  # stays dirty; refreshed on show
        self.dirty = False
        self.refresh_count += 1
        self._refresh()
