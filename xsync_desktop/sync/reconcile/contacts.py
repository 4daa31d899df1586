"""Reconcile rules for a linked contact archived or merged in Xero: never applied, always
raised for a person."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...store.models import Customer, Link
from ...store.states import ExceptionKind
from ...store.types import utcnow
from ..exceptions import Conflict, conflict_item, contact_archived_conflict
from .snapshots import contact_snapshot, parse_moment, push_snapshot

if TYPE_CHECKING:
    from ..context import RunContext

def reconcile_contact(ctx: RunContext, xc: dict[str, Any], link: Link) -> None:
    """Archived or merged in Xero: never applied, always for a person."""
    session = ctx.session
    cust = session.get(Customer, link.local_id)
    if cust is None:
        return
    new = contact_snapshot(xc)
    old = dict(link.xero_snapshot or {})
    label = f"Customer {cust.name}"
    merged_to = new.get("MergedToContactID")
    if merged_to and merged_to != old.get("MergedToContactID"):
        conflict_item(
            ctx,
            Conflict(ExceptionKind.CONTACT_MERGED, "contact", cust.id, link.xero_id, label, "contact",
                     link.xero_id, merged_to,
                     "This contact was merged into another contact in Xero."),
            "reconcile",
        )
    elif new.get("ContactStatus") == "ARCHIVED" and old.get("ContactStatus") != "ARCHIVED":
        conflict_item(
            ctx,
            contact_archived_conflict(cust.id, link.xero_id, label,
                                      "This contact was archived in Xero; new invoices cannot use it."),
            "reconcile",
        )
    link.xero_snapshot = {**old, **push_snapshot(xc), **new}
    link.xero_updated_utc = parse_moment(xc.get("UpdatedDateUTC")) or link.xero_updated_utc
    link.last_synced_at = utcnow()
