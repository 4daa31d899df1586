"""Opening a profile off the GUI thread, once its window is on screen.

Most of a cold start is Python importing SQLAlchemy, Alembic, the models, httpx and the
engine, then checking and migrating the database file, reading the keyring and (for the
demo) starting the sandbox. `ProfileOpening` does all of that in a `BackgroundJob` while the
window, already shown, keeps painting and answering; its callbacks run on the GUI thread.

The job also imports the modules the GUI thread needs right after (the services, the sync
controller, the view on screen), so that the GUI thread does not import them itself.

What the job opened is kept here too (`store`, `environment`), not only handed to the
callback: when the person closes the window before the opening ends, the callback never
runs, and `close()` still stops the sandbox and closes the database.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .worker import BackgroundJob

if TYPE_CHECKING:
    from ..profile import Profile
    from ..store.store import Store
    from .environment import EnvironmentFor, GuiEnvironment

log = logging.getLogger(__name__)

#: what the GUI thread imports as soon as the profile is open (app.py, main_window.attach)
MODULES_AFTER_OPENING = ("xsync_desktop.ui.services", "xsync_desktop.ui.sync_controller",
                         "xsync_desktop.ui.scheduler", "xsync_desktop.ui.views.exceptions_rows",
                         "xsync_desktop.store.models", "xsync_desktop.sync.reachability",
                         "xsync_desktop.ui.models.style", "xsync_desktop.xero.session")


class ProfileOpening:
    """Opens `profile`'s store and environment in a background thread; see the module docstring."""

    def __init__(self, profile: Profile, environment_for: EnvironmentFor, *, first_view_module: str = "") -> None:
        self.profile = profile
        self.environment_for = environment_for
        self.first_view_module = first_view_module
        self.store: Store | None = None
        self.environment: GuiEnvironment | None = None
        self.job: BackgroundJob | None = None
        #: True once the callback took store and environment over (they are then its to close)
        self.handed_over = False
        #: set by close(): a result still queued for the GUI thread is then dropped, not handed over
        self.closed = False

    def start(self, on_opened: Callable[[Store, GuiEnvironment], None],
              on_failed: Callable[[BaseException], None]) -> BackgroundJob:
        """Start (or, after a restored backup, restart) the opening; callbacks run on the GUI thread."""
        def opened(_result: Any) -> None:
            if self.closed or self.store is None or self.environment is None:
                return  # the window was closed first; close() closed what the job opened
            self.handed_over = True
            on_opened(self.store, self.environment)

        def failed(exc: BaseException) -> None:
            if not self.closed:
                on_failed(exc)

        self.job = BackgroundJob(self._open, opened, failed, name="open-profile").start()
        return self.job

    def _open(self) -> None:
        """Runs in the job's thread."""
        from ..store.store import open_store

        self.store = open_store(self.profile.database_url, self.profile.backups_dir)
        try:
            self.environment = self.environment_for(self.profile)
        except BaseException:
            self.store.close()
            self.store = None
            raise
        for name in MODULES_AFTER_OPENING + ((self.first_view_module,) if self.first_view_module else ()):
            try:
                importlib.import_module(name)
            except ImportError as exc:  # the GUI thread says so where the module is needed (a placeholder view)
                log.info("not imported ahead: %s (%s)", name, exc)

    @property
    def running(self) -> bool:
        return self.job is not None and self.job.running

    def wait(self, msecs: int = 120_000) -> bool:
        """Block until the job's thread ends (at exit: a migration is never cut off half-way)."""
        return self.job.wait(msecs) if self.job is not None else True

    def close(self) -> None:
        """At exit, after wait(): close what was opened but never handed over."""
        self.closed = True
        if self.handed_over:
            return
        if self.environment is not None:
            self.environment.stop()
            self.environment = None
        if self.store is not None:
            self.store.close()
            self.store = None
