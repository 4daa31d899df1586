"""The sync generation: how a database that is older than the organisation is noticed.

Every run that may send something first bumps a counter, kept twice: in the database (app
setting ``sync_generation:<tenant>``) and in a small file beside it in the profile folder
(``sync-generation.json``). The file is written after the database commit, so normally the
two agree. A database put back from a backup, replaced by an empty file, or copied from
another PC carries an older counter (or none) than the file: then Xero may hold objects
the database does not know, and the engine adopts them by natural key before sending
anything (restore_check.py). The file holds no secret and nothing about the ledger.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from sqlalchemy.orm import Session

from ..store.settings import get_setting, set_setting

log = logging.getLogger(__name__)
FILE_NAME = "sync-generation.json"


def _key(tenant_id: str) -> str:
    return f"sync_generation:{tenant_id}"


def marker_for(lock_path: Path | None) -> Path | None:
    return None if lock_path is None else lock_path.with_name(FILE_NAME)


def _read_file(path: Path | None) -> dict[str, int]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:  # a damaged marker only means "check Xero first"
        log.warning("sync generation file %s unreadable (%s); Xero is checked before sending", path, exc)
        return {"": -1}
    return {str(k): int(v) for k, v in data.items() if isinstance(v, int)} if isinstance(data, dict) else {}


def database_generation(session: Session, tenant_id: str) -> int:
    value = get_setting(session, _key(tenant_id))
    return int(value) if value and value.isdigit() else 0


def database_is_behind(session: Session, tenant_id: str, path: Path | None) -> bool:
    """True when the profile has synced this organisation further than this database knows."""
    marks = _read_file(path)
    if marks.get("") == -1:
        return True
    return marks.get(tenant_id, 0) > database_generation(session, tenant_id)


def bump(session: Session, tenant_id: str, path: Path | None) -> int:
    """Next generation: committed in the database first, then written to the file."""
    marks = _read_file(path)
    marks.pop("", None)
    value = max(database_generation(session, tenant_id), marks.get(tenant_id, 0)) + 1
    set_setting(session, _key(tenant_id), str(value))
    session.commit()
    if path is not None:
        marks[tenant_id] = value
        tmp = path.with_suffix(".tmp")
        try:
            tmp.write_text(json.dumps(marks), encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:  # losing the marker costs one look-up later, never a duplicate
            log.warning("could not write %s: %s", path, exc)
    return value
