"""Which Xero organisation a database belongs to, and refusing a desk connected to another one.

Each desk signs in to Xero with its own keyring, so nothing stops a desk from being
connected to a different organisation than the one the shared database has been
syncing with. Pushing that ledger into a second organisation would duplicate every
contact, invoice and payment there, so the desk is refused with a plain message.

A database belongs to the organisation its links point into (what was actually sent);
the ``tenant_id`` setting alone is not proof, since any desk may rewrite it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..store.models import Link
from ..store.settings import get_setting
from .settings_refresh import organisation


class WrongOrganisation(Exception):
    """This desk is connected to another organisation than the one the database belongs to."""

    def __init__(self, database_org: str, desk_org: str) -> None:
        self.database_org = database_org
        self.desk_org = desk_org
        self.user_message = (
            f"This database keeps the books of the Xero organisation \u201c{database_org}\u201d, but this desk "
            f"is connected to \u201c{desk_org}\u201d. Nothing was sent. Connect this desk to "
            f"\u201c{database_org}\u201d (Connection > Connect to Xero), or ask IT which database this desk "
            "should use."
        )
        super().__init__(self.user_message)


def organisation_name(session: Session, tenant_id: str) -> str:
    """A person's name for an organisation: Xero's, as cached, else the id."""
    org = organisation(session, tenant_id) or {}
    if org.get("Name"):
        return str(org["Name"])
    if get_setting(session, "tenant_id") == tenant_id and get_setting(session, "tenant_name"):
        return str(get_setting(session, "tenant_name"))
    return tenant_id


def check_organisation(session: Session, tenant_id: str, tenant_name: str | None = None) -> None:
    """Raise WrongOrganisation if the database belongs to another organisation than ``tenant_id``."""
    owner = session.scalars(
        select(Link.tenant_id).where(Link.tenant_id.is_not(None), Link.tenant_id != tenant_id).limit(1)
    ).first()
    if owner is None:
        return
    raise WrongOrganisation(organisation_name(session, owner), tenant_name or organisation_name(session, tenant_id))
