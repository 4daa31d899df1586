"""A small JSON file beside the database saying this profile has synced with Xero before.

It lives outside the database on purpose: when the database file is emptied or lost, the
marker is what tells "a new profile" from "a profile whose ledger is gone" (integrity.py).
It holds no secret and nothing about the ledger: a flag, a count of runs, a date.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func, select

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UsageMarker:
    synced_before: bool
    runs: int
    last_run_at: str | None


def marker_path(db_path: Path) -> Path:
    return db_path.with_name(f"{db_path.stem}-usage.json")


def read_marker(db_path: Path) -> UsageMarker | None:
    path = marker_path(db_path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        # Unreadable: only a profile that synced ever writes one, so err on "synced before".
        return UsageMarker(True, 0, None)
    if not isinstance(data, dict):
        return UsageMarker(True, 0, None)
    return UsageMarker(bool(data.get("synced_before")), int(data.get("runs") or 0), data.get("last_run_at"))


def note_usage(engine: Engine, db_path: Path) -> None:
    """Write the marker when the database holds sync runs the marker does not count yet.

    Called after a successful open and at close; a failure to write is logged, never raised
    (the marker is a safety net, not a reason to stop).
    """
    from .models import SyncRun

    try:
        with engine.connect() as conn:
            runs, last = conn.execute(select(func.count(), func.max(SyncRun.started_at))
                                      .where(SyncRun.dry_run.is_(False))).one()
        runs = int(runs or 0)
        if not runs:
            return
        current = read_marker(db_path)
        if current is not None and current.synced_before and current.runs == runs:
            return
        path = marker_path(db_path)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps({"synced_before": True, "runs": runs,
                                   "last_run_at": last.isoformat() if last else None}), encoding="utf-8")
        os.replace(tmp, path)
    except Exception as exc:  # noqa: BLE001 - see docstring
        log.info("could not update the database usage marker beside %s: %s", db_path, exc)
