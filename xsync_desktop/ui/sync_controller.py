"""One sync at a time, started from anywhere in the GUI, run in a worker thread.

The dashboard's "Sync now", the Runs view's Retry buttons, the scheduler and
Ctrl+R all come here. The engine runs in a worker (it opens its own database
sessions); progress comes back as signals; cancel is the engine's cooperative
CancelToken, so a cancelled run leaves nothing half-sent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..sync.progress import Progress
from ..sync.run_problem import RunProblem
from . import gc_tuning
from .errors import environment_message
from .qt import QObject, QTimer, Signal
from .services import AppServices
from .worker import BackgroundJob

if TYPE_CHECKING:
    from ..sync.engine import RunResult, SyncEngine
    from ..sync.progress import CancelToken, ProgressCallback

log = logging.getLogger(__name__)

#: how often a running sync tells the views "runs changed" (they coalesce further)
RUNS_NOTIFY_INTERVAL = 1.0


class SyncController(QObject):
    started = Signal(str)  # what: "sync", "retry", "retry_failed", "skip", "compare"
    progress = Signal(object)  # Progress
    finished = Signal(object)  # the engine's RunResult (or None for a skip)
    failed = Signal(str)  # a sentence for people
    skipped = Signal(str)  # a scheduled sync found another desk or process syncing: not a failure
    cancelled = Signal()
    busy_changed = Signal(bool)
    reconnect_needed = Signal(str)  # Xero refused the saved connection: the Connection view shows a banner

    def __init__(self, services: AppServices, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self._job: BackgroundJob | None = None
        self._what = ""
        self._trigger = ""
        self._last_notify = 0.0
        self._notify_pending = False
        self.last_result: RunResult | None = None
        self.last_error: str | None = None
        #: the last refusal was another sync holding the run lock: a state that passes, not a failure to keep showing
        self.last_error_was_busy = False
        self.last_progress: Progress | None = None

    # -- state ---------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._job is not None

    @property
    def trigger(self) -> str:
        return self._trigger

    # -- actions -------------------------------------------------------------------------
    def sync_now(self, trigger: str = "manual") -> bool:
        """Start a sync unless one is running; False when refused."""
        return self._start("sync", trigger, lambda engine, progress, cancel: engine.run(
            trigger=trigger, progress=progress, cancel=cancel))

    def retry_item(self, item_id: int) -> bool:
        return self._start("retry", "retry", lambda engine, progress, cancel: engine.retry_item(
            item_id, progress=progress, cancel=cancel))

    def retry_failed(self, run_id: int) -> bool:
        return self._start("retry_failed", "retry", lambda engine, progress, cancel: engine.retry_failed(
            run_id, progress=progress, cancel=cancel))

    def compare(self, month: str | None) -> bool:
        """Compare with Xero (sync/verify.py) for ``month``: a run of its own, like a sync."""
        return self._start("compare", "verify", lambda engine, progress, cancel: engine.verify(
            month, progress=progress, cancel=cancel))

    def skip_item(self, item_id: int, reason: str) -> bool:
        return self._start("skip", "skip", lambda engine, progress, cancel: engine.skip_item(item_id, reason))

    def cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until the running job's thread ends (shutdown only)."""
        return self._job.wait(msecs) if self._job is not None else True

    # -- plumbing ------------------------------------------------------------------------
    def _start(self, what: str, trigger: str,
               call: Callable[[SyncEngine, ProgressCallback, CancelToken], RunResult | None]) -> bool:
        if self._job is not None:
            return False
        services = self.services

        def work(progress: ProgressCallback, cancel: CancelToken) -> RunResult | None:
            engine = services.make_engine()  # built in the worker: it may read settings from the DB
            return call(engine, progress, cancel)

        self._what, self._trigger = what, trigger
        gc_tuning.hold_full_collections()  # no full-collection pauses while the window shows progress
        self.last_error = None
        self.last_progress = None
        self._job = services.run_in_background(
            work, self._done, self._error, self._progress, self._cancelled, name=f"sync-{what}")
        self.busy_changed.emit(True)
        self.started.emit(what)
        services.notify("runs")
        return True

    def _progress(self, p: Progress) -> None:
        self.last_progress = p
        self.progress.emit(p)
        now = time.monotonic()
        if p.phase.startswith("pull_"):
            gc_tuning.catch_up_as_the_pull_begins()  # the push's objects in a step of their own
        if now - self._last_notify >= RUNS_NOTIFY_INTERVAL:
            self._notify_runs()
        elif not self._notify_pending:
            # A trailing notice: the last report before a long wait on Xero (a slow answer, a
            # retry) must still reach the views, or the tiles show a state a second old for minutes.
            self._notify_pending = True
            wait = RUNS_NOTIFY_INTERVAL - (now - self._last_notify)
            QTimer.singleShot(max(1, int(wait * 1000)), self._trailing_notify)

    def _notify_runs(self) -> None:
        self._last_notify = time.monotonic()
        self.services.notify("runs")

    def _trailing_notify(self) -> None:
        self._notify_pending = False
        if self._job is not None:
            self._notify_runs()

    def _end(self) -> None:
        self._job = None
        gc_tuning.release_full_collections()
        self.busy_changed.emit(False)
        for topic in ("runs", "exceptions", "ledger", "connection"):
            self.services.notify(topic)

    def _done(self, result: RunResult | None) -> None:
        """`result` is None for a skip (it makes no run)."""
        self.last_result = result
        self._end()
        if result is not None and result.problem == RunProblem.RECONNECT:
            self.reconnect_needed.emit(result.message or "")
        self.finished.emit(result)

    def _error(self, exc: BaseException) -> None:
        from ..sync.run_lock import SyncBusy
        from ..xero.errors import ReconnectNeeded

        message = environment_message(exc)
        self.last_error_was_busy = isinstance(exc, SyncBusy)
        self._end()
        if isinstance(exc, SyncBusy) and self._trigger == "scheduled":
            # Several desks on one schedule: the others' ticks skip quietly instead of piling up.
            log.info("scheduled sync skipped: %s", exc.user_message)
            self.skipped.emit(exc.user_message)
            return
        if isinstance(exc, ReconnectNeeded):
            self.reconnect_needed.emit(message or "")
        if message is None:
            self.last_error = f"The sync stopped because of an unexpected error ({type(exc).__name__})."
            self.failed.emit(self.last_error)
            self.services.report_error(exc)
            return
        log.info("sync stopped: %s", message)
        self.last_error = message
        self.failed.emit(message)

    def _cancelled(self) -> None:
        self._end()
        self.cancelled.emit()
