"""Link rows for one organisation, read a page or slice at a time (LinkBook), never all at once.

Link.state:
- "linked":   tied to a Xero object (xero_id set), pushed_hash = what it holds;
- "sending":  a create/update was recorded and may have reached Xero; settled by
              natural key before anything is sent again (settle.py);
- "unsent":   known to the app but nothing in Xero (a create failed);
- "skipped":  a person chose to skip this version (pending_hash = the skipped content hash).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..store.models import Link
from ..store.states import LinkState
from ..store.types import utcnow


def snapshot(data: dict[str, Any]) -> dict[str, Any]:
    """Xero's scalar fields as last seen (JSON-safe), plus the contact's id and status."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict | list) or key in ("ValidationErrors", "Warnings"):
            continue
        out[key] = value.isoformat() if isinstance(value, datetime) else (
            value if isinstance(value, bool | int | str) or value is None else str(value)
        )
    contact = data.get("Contact")
    if isinstance(contact, dict) and contact.get("ContactID"):
        out["ContactID"] = contact["ContactID"]
    account = data.get("Account")  # a payment's bank account: the checklist compares it with the mapping
    if isinstance(account, dict) and account.get("Code"):
        out["AccountCode"] = str(account["Code"])
    return out


def updated_utc(data: dict[str, Any]) -> datetime | None:
    value = data.get("UpdatedDateUTC")
    return value if isinstance(value, datetime) else None


def snapshot_value(session: Session, lk: Link, key: str) -> Any:
    """One field of the link's Xero snapshot, without keeping the snapshot in memory.

    A sent batch lets its links' snapshots go (batch_sender.release); reading one field for a
    check must not bring every snapshot of the ledger back into the run's LinkBook.
    """
    if "xero_snapshot" not in sa_inspect(lk).unloaded:
        return (lk.xero_snapshot or {}).get(key)
    snap = session.scalar(select(Link.xero_snapshot).where(Link.id == lk.id))
    return (snap or {}).get(key)


class ClaimedIds:
    """"Is this Xero object already some record's?" for one entity, asked of the database.

    Matching (contacts, adopted documents, settled sends) must never link two records to one
    Xero object. A set of every Xero id of the organisation would grow with the ledger; this
    asks about the few candidates a match looks at, and remembers what this run claimed.
    """

    def __init__(self, session: Session, tenant_id: str, entity: str) -> None:
        self.session, self.tenant_id, self.entity = session, tenant_id, entity
        self._added: set[str] = set()

    def __contains__(self, xero_id: object) -> bool:
        if not xero_id:
            return False
        if xero_id in self._added:
            return True
        return self.session.scalar(select(Link.id).where(
            Link.tenant_id == self.tenant_id, Link.entity == self.entity, Link.xero_id == str(xero_id)).limit(1)
        ) is not None

    def add(self, xero_id: str) -> None:
        self._added.add(xero_id)


class LinkBook:
    """The run's window on the organisation's Link rows: a page or slice of them, not the ledger.

    A phase prefetches the links of the page or slice it is about to read (one query per
    entity, `prefetch`); a link it did not prefetch is read on its own. When the window holds
    more than WINDOW entries it is emptied at the next prefetch, i.e. between pages: a link
    nothing else holds is then freed, and read again if asked for. This is safe at any moment
    because the session keeps one object per row: a link with changes not yet written (or new)
    is held by the session itself and comes back as the same object, and one written is read
    back as written.
    """

    #: entries (links, and "no link" answers) kept before the window is emptied
    WINDOW = 4000
    #: ids per IN (...) query: well under SQLite's 999 bound parameters
    CHUNK = 500

    def __init__(self, session: Session, tenant_id: str) -> None:
        self.session = session
        self.tenant_id = tenant_id
        self._links: dict[tuple[str, int], Link | None] = {}

    def _trim(self) -> None:
        if len(self._links) <= self.WINDOW:
            return
        # Keep what the session would keep anyway (new or changed), so the window never misses it.
        self._links = {k: lk for k, lk in self._links.items()
                       if lk is not None and ((st := sa_inspect(lk)).pending or st.modified)}

    def prefetch(self, entity: str, local_ids: Iterable[int | None], *more: tuple[str, Iterable[int | None]]) -> None:
        """Read the links of these records in a few queries (those not already in the window).

        `more` names other (entity, ids) the same page needs (a document's contact, a payment's
        invoice): one prefetch per page, so the window is emptied only between pages.
        """
        self._trim()
        for ent, ids in ((entity, local_ids), *more):
            self._load(ent, ids)

    def _load(self, entity: str, local_ids: Iterable[int | None]) -> None:
        wanted = sorted({i for i in local_ids if i is not None and (entity, i) not in self._links})
        for start in range(0, len(wanted), self.CHUNK):
            chunk = wanted[start:start + self.CHUNK]
            for lk in self.session.scalars(select(Link).where(
                    Link.tenant_id == self.tenant_id, Link.entity == entity, Link.local_id.in_(chunk))):
                self._links[(entity, lk.local_id)] = lk
            for i in chunk:
                self._links.setdefault((entity, i), None)

    def get(self, entity: str, local_id: int) -> Link | None:
        key = (entity, local_id)
        if key not in self._links:
            self._links[key] = self.session.scalar(select(Link).where(
                Link.tenant_id == self.tenant_id, Link.entity == entity, Link.local_id == local_id))
        return self._links[key]

    def xero_id(self, entity: str, local_id: int | None) -> str | None:
        if local_id is None:
            return None
        lk = self.get(entity, local_id)
        return lk.xero_id if lk is not None and lk.state != LinkState.SENDING else None

    def sending(self, entities: Iterable[str]) -> list[Link]:
        """Links left "sending" (by an interrupted run), in these entities' order."""
        order = list(entities)
        found = list(self.session.scalars(select(Link).where(
            Link.tenant_id == self.tenant_id, Link.entity.in_(order), Link.state == LinkState.SENDING)
            .order_by(Link.id)))
        for lk in found:
            self._links[(lk.entity, lk.local_id)] = lk
        return sorted(found, key=lambda lk: order.index(lk.entity))

    def any_linked(self, entities: Iterable[str]) -> bool:
        return self.session.scalar(select(Link.id).where(
            Link.tenant_id == self.tenant_id, Link.entity.in_(list(entities)), Link.xero_id.is_not(None)).limit(1)
        ) is not None

    def claimed_xero_ids(self, entity: str) -> ClaimedIds:
        return ClaimedIds(self.session, self.tenant_id, entity)

    def drop(self, lk: Link) -> None:
        """The ledger record is gone and so is its Xero object: the link goes too (deleted, and
        forgotten here, so a new record that reuses the id starts unlinked)."""
        self._links.pop((lk.entity, lk.local_id), None)
        self.session.delete(lk)

    def ensure(self, entity: str, local_id: int) -> Link:
        lk = self.get(entity, local_id)
        if lk is None:
            lk = Link(tenant_id=self.tenant_id, entity=entity, local_id=local_id, state=LinkState.UNSENT)
            self.session.add(lk)
            self._links[(entity, local_id)] = lk
        return lk

    @staticmethod
    def mark_linked(lk: Link, xero_id: str, content_hash: str | None, natural_key: str | None,
                    data: dict[str, Any] | None = None) -> None:
        now = utcnow()
        lk.xero_id = xero_id
        lk.state = LinkState.LINKED
        if content_hash is not None:
            lk.pushed_hash = content_hash
            lk.pushed_at = now
        if natural_key:
            lk.natural_key = natural_key[:255]
        lk.pending_action = lk.pending_key = lk.pending_hash = None
        lk.pending_since = None
        if data:
            lk.xero_snapshot = snapshot(data)
            lk.xero_updated_utc = updated_utc(data) or lk.xero_updated_utc
        lk.last_synced_at = now

    @staticmethod
    def mark_sending(lk: Link, action: str, key: str, content_hash: str) -> None:
        lk.state = LinkState.SENDING
        lk.pending_action = action
        lk.pending_key = key
        lk.pending_hash = content_hash
        lk.pending_since = utcnow()

    @staticmethod
    def revert(lk: Link) -> None:
        """The request is known not to have changed Xero: back to the state before it."""
        lk.state = LinkState.LINKED if lk.xero_id else LinkState.UNSENT
        lk.pending_action = lk.pending_key = lk.pending_hash = None
        lk.pending_since = None
