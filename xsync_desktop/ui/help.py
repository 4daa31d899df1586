"""The Help menu's content: the user guide shipped with the app, and the diagnostics a
support call needs (version, profile folder, database revision, the last runs), with
nothing secret in them: no token, no keyring entry, no customer data."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from .icons import RESOURCES
from .models.style import local_time

USER_GUIDE = RESOURCES / "user-guide.html"


class _Store(Protocol):
    engine: Engine
    sessions: sessionmaker[Session]


def diagnostics(profile_root: Path, logs_dir: Path, store: _Store, runs: int = 5) -> str:
    """Plain text to paste into a support ticket."""
    from .. import __version__
    from ..store.migrate import current_revision, head_revision
    from ..store.models import SyncRun

    try:
        revision = f"{current_revision(store.engine)} (this version expects {head_revision()})"
    except Exception as exc:  # noqa: BLE001 - a diagnostic must not fail on what it diagnoses
        revision = f"unreadable ({type(exc).__name__})"
    lines = [f"xsync desktop {__version__}", f"Profile folder: {profile_root}", f"Log folder: {logs_dir}",
             f"Database revision: {revision}", "Last runs:"]
    with store.sessions() as s:
        for r in s.scalars(select(SyncRun).order_by(SyncRun.id.desc()).limit(runs)):
            lines.append(f"  {r.id}  {local_time(r.started_at)}  {r.trigger}  {r.outcome}  "
                         f"failed {r.failed or 0}  {(r.message or '').splitlines()[0] if r.message else ''}")
    return "\n".join(lines)
