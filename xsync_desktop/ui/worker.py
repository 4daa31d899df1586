"""One way to run work off the GUI thread (Anki's aqt/operations habit).

`BackgroundRunner.run(fn, on_done, on_error, on_progress)` moves a `_Worker`
QObject to its own QThread. The worker calls `fn` there; everything it reports
(progress, result, error, cancellation) comes back only through queued signals
to a `BackgroundJob` that lives in the GUI thread, which then calls the
callbacks. So callbacks always run on the GUI thread and may touch widgets.

`fn` takes either no arguments, or `(progress, cancel)`: a ProgressCallback and
the job's CancelToken, which is what SyncEngine.run expects. Progress is
throttled in the worker (at most one signal per `PROGRESS_INTERVAL`, plus phase
changes and the final count), so a 10,000-item sync does not flood the GUI.
A cancelled operation (the engine raising `Cancelled`) is reported to
`on_cancelled`, never to `on_error`.
"""

from __future__ import annotations

import inspect
import logging
import time
import traceback
from collections.abc import Callable
from typing import Any

from ..sync.progress import Cancelled, CancelToken, Progress
from .qt import QObject, QThread, Signal, Slot

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.05  # seconds between progress signals

OnDone = Callable[[Any], None]
OnError = Callable[[BaseException], None]
OnProgress = Callable[[Progress], None]


def _wants_arguments(fn: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params)


class _Worker(QObject):
    progress = Signal(object)
    done = Signal(object)
    failed = Signal(object, str)
    cancelled = Signal()

    def __init__(self, fn: Callable[..., Any], cancel: CancelToken, interval: float) -> None:
        super().__init__()
        self._fn = fn
        self._cancel = cancel
        self._interval = interval
        self._last_emit = 0.0
        self._last_phase: str | None = None
        self._last_message = ""

    def _report(self, p: Progress) -> None:
        """Runs in the worker thread: throttle, then hand over to the GUI thread by signal."""
        now = time.monotonic()
        final = p.total > 0 and p.done >= p.total
        # A new message ("Xero not answering, retrying...") is never dropped: it may be all
        # the window shows during a long wait.
        if (p.phase != self._last_phase or final or p.message != self._last_message
                or now - self._last_emit >= self._interval):
            self._last_phase = p.phase
            self._last_message = p.message
            self._last_emit = now
            self.progress.emit(p)

    @Slot()
    def run(self) -> None:
        try:
            if _wants_arguments(self._fn):
                result = self._fn(self._report, self._cancel)
            else:
                result = self._fn()
        except Cancelled:
            self.cancelled.emit()
        except BaseException as exc:  # noqa: BLE001 - everything goes back to the GUI thread
            self.failed.emit(exc, "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
        else:
            self.done.emit(result)
        finally:
            # End the thread from here: at shutdown the GUI thread is blocked in wait() and
            # cannot process the queued signal that would otherwise quit it.
            QThread.currentThread().quit()


class BackgroundJob(QObject):
    """A running piece of work; lives in the GUI thread and relays the worker's signals."""

    progress = Signal(object)
    succeeded = Signal(object)
    errored = Signal(object)
    was_cancelled = Signal()
    finished = Signal()

    def __init__(
        self,
        fn: Callable[..., Any],
        on_done: OnDone | None = None,
        on_error: OnError | None = None,
        on_progress: OnProgress | None = None,
        on_cancelled: Callable[[], None] | None = None,
        *,
        name: str = "background",
        interval: float = PROGRESS_INTERVAL,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.name = name
        self.cancel_token = CancelToken()
        self.result: Any = None
        self.error: BaseException | None = None
        self.error_details: str = ""
        self.is_cancelled = False
        self._running = False
        self._on_done, self._on_error, self._on_progress, self._on_cancelled = (
            on_done, on_error, on_progress, on_cancelled)
        self._thread = QThread()
        self._thread.setObjectName(f"xsync-{name}")
        self._worker = _Worker(fn, self.cancel_token, interval)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.progress.connect(self._relay_progress)
        self._worker.done.connect(self._relay_done)
        self._worker.failed.connect(self._relay_failed)
        self._worker.cancelled.connect(self._relay_cancelled)
        self._thread.finished.connect(self._thread_finished)

    def start(self) -> BackgroundJob:
        self._running = True
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return self._running

    def cancel(self) -> None:
        """Ask the work to stop at its next check; it ends through on_cancelled or on_done."""
        self.cancel_token.cancel()

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until the thread ends (used at shutdown, after cancel())."""
        if not self._thread.isRunning():
            return True
        return bool(self._thread.wait(msecs))

    @Slot(object)
    def _relay_progress(self, p: Progress) -> None:
        self.progress.emit(p)
        if self._on_progress is not None:
            self._on_progress(p)

    @Slot(object)
    def _relay_done(self, result: Any) -> None:
        self._thread.quit()
        self.result = result
        self.succeeded.emit(result)
        if self._on_done is not None:
            self._on_done(result)

    @Slot(object, str)
    def _relay_failed(self, exc: BaseException, details: str) -> None:
        self._thread.quit()
        self.error, self.error_details = exc, details
        log.info("%s failed: %s", self.name, details)
        self.errored.emit(exc)
        if self._on_error is not None:
            self._on_error(exc)
        elif _reporter is not None:  # no handler: the one place for unhandled errors
            _reporter.report(exc, details)
        else:  # pragma: no cover - only without an app-wide reporter
            log.error("unhandled background error in %s\n%s", self.name, details)

    @Slot()
    def _relay_cancelled(self) -> None:
        self._thread.quit()
        self.is_cancelled = True
        self.was_cancelled.emit()
        if self._on_cancelled is not None:
            self._on_cancelled()

    @Slot()
    def _thread_finished(self) -> None:
        self._running = False
        self._worker.deleteLater()
        self.finished.emit()


_reporter: Any = None


def set_default_reporter(reporter: Any) -> None:
    """Where errors of jobs started without on_error go (the app's ErrorReporter)."""
    global _reporter
    _reporter = reporter


class BackgroundRunner(QObject):
    """Keeps running jobs alive until they end, and stops them all at shutdown."""

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs: list[BackgroundJob] = []

    def run(
        self,
        fn: Callable[..., Any],
        on_done: OnDone | None = None,
        on_error: OnError | None = None,
        on_progress: OnProgress | None = None,
        on_cancelled: Callable[[], None] | None = None,
        *,
        name: str = "background",
    ) -> BackgroundJob:
        job = BackgroundJob(fn, on_done, on_error, on_progress, on_cancelled, name=name, parent=self)
        self._jobs.append(job)
        job.finished.connect(lambda j=job: self._forget(j))
        if len(self._jobs) == 1:
            self.busy_changed.emit(True)
        return job.start()

    def _forget(self, job: BackgroundJob) -> None:
        if job in self._jobs:
            self._jobs.remove(job)
            job.deleteLater()
        if not self._jobs:
            self.busy_changed.emit(False)

    @property
    def jobs(self) -> list[BackgroundJob]:
        return list(self._jobs)

    def shutdown(self, msecs: int = 30_000) -> bool:
        """Cancel every job and wait for its thread; True if all ended in time."""
        ok = True
        for job in list(self._jobs):
            job.cancel()
        for job in list(self._jobs):
            ok = job.wait(msecs) and ok
        return ok
