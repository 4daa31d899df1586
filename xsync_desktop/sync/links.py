"""Link rows for one organisation, loaded once per run and kept in a dict.

Link.state:
- "linked":   tied to a Xero object (xero_id set), pushed_hash = what it holds;
- "sending":  a create/update was recorded and may have reached Xero; settled by
              natural key before anything is sent again (settle.py);
- "unsent":   known to the app but nothing in Xero (a create failed);
- "skipped":  a person chose to skip this version (pending_hash = the skipped content hash).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..store.models import Link
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


class LinkBook:
    def __init__(self, session: Session, tenant_id: str) -> None:
        self.session = session
        self.tenant_id = tenant_id
        self._links: dict[tuple[str, int], Link] = {
            (lk.entity, lk.local_id): lk
            for lk in session.scalars(select(Link).where(Link.tenant_id == tenant_id))
        }

    def get(self, entity: str, local_id: int) -> Link | None:
        return self._links.get((entity, local_id))

    def xero_id(self, entity: str, local_id: int | None) -> str | None:
        if local_id is None:
            return None
        lk = self._links.get((entity, local_id))
        return lk.xero_id if lk is not None and lk.state != "sending" else None

    def by_entity(self, entity: str) -> list[Link]:
        return [lk for (e, _), lk in self._links.items() if e == entity]

    def claimed_xero_ids(self, entity: str) -> set[str]:
        return {lk.xero_id for (e, _), lk in self._links.items() if e == entity and lk.xero_id}

    def ensure(self, entity: str, local_id: int) -> Link:
        lk = self._links.get((entity, local_id))
        if lk is None:
            lk = Link(tenant_id=self.tenant_id, entity=entity, local_id=local_id, state="unsent")
            self.session.add(lk)
            self._links[(entity, local_id)] = lk
        return lk

    @staticmethod
    def mark_linked(lk: Link, xero_id: str, content_hash: str | None, natural_key: str | None,
                    data: dict[str, Any] | None = None) -> None:
        now = utcnow()
        lk.xero_id = xero_id
        lk.state = "linked"
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
        lk.state = "sending"
        lk.pending_action = action
        lk.pending_key = key
        lk.pending_hash = content_hash
        lk.pending_since = utcnow()

    @staticmethod
    def revert(lk: Link) -> None:
        """The request is known not to have changed Xero: back to the state before it."""
        lk.state = "linked" if lk.xero_id else "unsent"
        lk.pending_action = lk.pending_key = lk.pending_hash = None
        lk.pending_since = None
