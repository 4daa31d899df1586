"""Leaving out, in SQL, the records a sync already knows are unchanged since they were sent.

Why: planning a push hashes a record and compares the hash with what its link last sent
(Link.pushed_hash). Done for every record, a sync with nothing to send costs time in
proportion to the ledger (108 s for 100,000 invoices), not to what changed.

How: every ledger record the push hashes has a `revision` the database raises on every
change of it or its lines (migration 0007's triggers; no write path can forget it). A link
remembers "the record at revision R hashes to H" (checked_revision, checked_hash), written
when the push sends the record or finds it unchanged. The planner reads only records whose
link is not such a proof: no link, not plainly linked, pushed_hash no longer H (a person
asked to re-push, a settle or adoption linked it afresh), or the record's revision past R.
Those are hashed as before and the hash decides, so a stale proof costs a look, never a
missed change. The hash also holds the line-amounts setting, so changing it forgets every
document's proof (`forget_on_setting_change`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, update
from sqlalchemy.orm import Session

from ..store.models import Link
from ..store.settings import get_setting, set_setting
from ..store.states import LinkState

# The line-amounts setting the documents' proofs were taken under.
CHECKED_LAT_KEY = "checked_line_amount_types"


def still_unchanged(tenant_id: str, entity: str, model: Any) -> Any:
    """SQL: `model`'s row has a link proving it unchanged since it was sent (leave it out)."""
    return exists().where(
        Link.tenant_id == tenant_id, Link.entity == entity, Link.local_id == model.id,
        Link.state == LinkState.LINKED, Link.xero_id.is_not(None),
        Link.pushed_hash == Link.checked_hash, Link.checked_revision >= model.revision)


def needs_a_look(tenant_id: str, entity: str, model: Any) -> Any:
    """SQL: the opposite of `still_unchanged`: the planner must read and hash this row."""
    return ~still_unchanged(tenant_id, entity, model)


def mark_checked(lk: Link, revision: int | None, content_hash: str) -> None:
    """The record at `revision` hashes to `content_hash` (just sent, or found equal to pushed_hash).

    `revision` must have been read no later than the content that was hashed (the same row
    read, or an earlier one): an older revision only makes the next plan look again.
    """
    if revision is not None:
        lk.checked_revision = revision
        lk.checked_hash = content_hash


class CheckMarks:
    """Proofs found while planning ("hashed, equal to what was sent"), written a few hundred at
    a time by primary key, so the links stay out of the session's dirty set (and memory) and
    the first plan after an upgrade, which proves every record once, stays a page at a time."""

    FLUSH_AT = 500

    def __init__(self, session: Session) -> None:
        self.session = session
        self._rows: list[dict[str, Any]] = []

    def add(self, lk: Link, revision: int, content_hash: str) -> None:
        if lk.checked_revision == revision and lk.checked_hash == content_hash:
            return
        if lk.id is None:  # not written yet: it goes with the session's next flush
            mark_checked(lk, revision, content_hash)
            return
        self._rows.append({"id": lk.id, "checked_revision": revision, "checked_hash": content_hash})
        if len(self._rows) >= self.FLUSH_AT:
            self.flush()

    def flush(self) -> None:
        if self._rows:
            self.session.execute(update(Link), self._rows)
            self._rows = []


def forget_on_setting_change(session: Session, line_amount_types: str) -> None:
    """Documents' hashes hold the line-amounts setting (one for the whole database): when it
    changed since their proofs were taken, the proofs say nothing, so every organisation's are
    dropped (every document is hashed again)."""
    if get_setting(session, CHECKED_LAT_KEY) == line_amount_types:
        return
    session.execute(update(Link).where(Link.entity.in_(("invoice", "credit_note")), Link.checked_hash.is_not(None))
                    .values(checked_hash=None), execution_options={"synchronize_session": False})
    set_setting(session, CHECKED_LAT_KEY, line_amount_types)
