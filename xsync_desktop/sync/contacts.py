"""Customers -> Xero contacts: matched before created (DESIGN "Contact matching").

Order: existing link; Xero ContactNumber == customer number; same email AND same
name; otherwise create. A same-name contact with another email is never linked
silently (exception "contact_name_conflict"), and an archived contact is never
used for new invoices (exception "contact_archived").

Xero's contact list is read once per run (pageSize 1000) and only when some
customer still needs a match, so a bulk first sync costs a few reads, not one
per customer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from ..store.models import Customer, Link, Watermark
from .batch_sender import BatchSender, Items, Work
from .context import RunContext
from .exceptions import contact_archived_conflict, raise_conflict
from .links import LinkBook, updated_utc
from .payloads import contact_content, contact_element

ARCHIVED = ("ARCHIVED", "GDPRREQUEST")


def _norm(text: str | None) -> str:
    return " ".join((text or "").split()).lower()


@dataclass
class Directory:
    """Xero's contacts, indexed for matching."""

    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_number: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_name: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, c: dict[str, Any]) -> None:
        cid = str(c.get("ContactID") or "")
        if not cid:
            return
        self.by_id[cid] = c
        if c.get("ContactNumber"):
            self.by_number[_norm(c["ContactNumber"])] = c
        self.by_name.setdefault(_norm(c.get("Name")), []).append(c)


def is_archived(data: dict[str, Any] | None) -> bool:
    return bool(data) and str(data.get("ContactStatus", "ACTIVE")).upper() in ARCHIVED


def contact_label(c: Customer) -> str:
    return f"Customer {c.name} ({c.customer_number})"


class ContactPhase:
    def __init__(self, ctx: RunContext, links: LinkBook, items: Items, sender: BatchSender) -> None:
        self.ctx = ctx
        self.links = links
        self.items = items
        self.sender = sender

    def run(self, needed: set[int]) -> None:
        """Make sure every customer in `needed` is linked, and push changed linked customers."""
        ctx, links = self.ctx, self.links
        only = ctx.only_records
        customers = {c.id: c for c in ctx.session.scalars(select(Customer))}
        new: list[Customer] = []
        updates: list[Customer] = []
        for cid, c in customers.items():
            lk = links.get("contact", cid)
            if only is not None and ("contact", cid) not in only:
                continue
            if lk is not None and lk.state == "sending":
                continue  # unsettled: never sent twice
            if lk is not None and lk.xero_id:
                if lk.pushed_hash != contact_element(c).content_hash and not _skipped(lk, c):
                    if not is_archived(lk.xero_snapshot):
                        updates.append(c)
            elif cid in needed and not _skipped(lk, c):
                new.append(c)
        linked_needed = [cid for cid in needed if links.xero_id("contact", cid)]
        total = len(new) + len(updates)
        if total == 0 and not linked_needed:
            return
        ctx.report("contacts", 0, total, "", "Matching customers with Xero contacts")
        creates: list[Customer] = []
        if new:
            directory = self._directory()
            creates = self._match(new, directory, updates)
        else:
            # New documents for customers already linked: learn of contacts archived in Xero
            # since we last looked (one call), so none is used for a new invoice.
            self._directory(since=_watermark(ctx, "push_contacts"))
            updates = [c for c in updates if not is_archived((links.get("contact", c.id) or Link()).xero_snapshot)]
        if total == 0:
            ctx.commit()
            return
        works = [self._work(c, "create") for c in creates]
        self.sender.send("contacts", "Contacts", "PUT", works, "ContactID", total=total)
        upd = [self._work(c, "update") for c in updates if links.xero_id("contact", c.id)]
        self.sender.send("contacts", "Contacts", "POST", upd, "ContactID", done_offset=len(works), total=total)
        self._conflicts_from_rejections(works)

    # -- Xero's side -----------------------------------------------------------------------------
    def _directory(self, since: Any = None) -> Directory:
        ctx = self.ctx
        assert ctx.client is not None
        d = Directory()
        latest = None
        for c in ctx.client.iter_pages("Contacts", {"includeArchived": "true"}, if_modified_since=since):
            ctx.check_cancel()
            d.add(c)
            upd = updated_utc(c)
            if upd and (latest is None or upd > latest):
                latest = upd
        # Keep what we learnt about linked contacts (archived? merged?) on their links, raising the
        # change as the pull would: this refresh comes first, so the pull would no longer see it.
        from .reconcile.contacts import reconcile_contact

        for lk in self.links.by_entity("contact"):
            if lk.xero_id and lk.xero_id in d.by_id and lk.state != "sending":
                reconcile_contact(ctx, d.by_id[lk.xero_id], lk)
        if latest is not None:
            _set_watermark(ctx, "push_contacts", latest)
        return d

    def _match(self, new: list[Customer], d: Directory, updates: list[Customer]) -> list[Customer]:
        """Link what matches; return the customers to create."""
        ctx, links = self.ctx, self.links
        claimed = links.claimed_xero_ids("contact")
        creates: list[Customer] = []
        for c in new:
            label = contact_label(c)
            found = d.by_number.get(_norm(c.customer_number))
            how = "the same contact number"
            if found is not None and found.get("ContactID") in claimed:
                found = None
            if found is None:
                same_name = [x for x in d.by_name.get(_norm(c.name), []) if x.get("ContactID") not in claimed]
                # A blank email proves nothing: two blanks are not "the same email".
                exact = [x for x in same_name if _norm(c.email)
                         and _norm(x.get("EmailAddress")) == _norm(c.email)]
                if exact:
                    found, how = exact[0], "the same name and email"
                elif any(not is_archived(x) for x in same_name):
                    other = next(x for x in same_name if not is_archived(x))
                    self._name_conflict(c, other)
                    continue
            if found is None:
                creates.append(c)
                continue
            if is_archived(found):
                self._archived(c, found, how)
                continue
            xero_id = str(found["ContactID"])
            claimed.add(xero_id)
            lk = links.ensure("contact", c.id)
            built = contact_element(c, xero_id)
            same = (_norm(found.get("Name")) == _norm(c.name)
                    and _norm(found.get("EmailAddress")) == _norm(c.email)
                    and _norm(found.get("ContactNumber")) == _norm(c.customer_number))
            LinkBook.mark_linked(lk, xero_id, built.content_hash if same else None, c.customer_number, found)
            if not same:
                lk.pushed_hash = None
                updates.append(c)  # bring Xero's copy in line with the ledger (sets ContactNumber)
            ctx.count("contacts_synced")
            self.items.fail_now("contact", c.id, "match", label,
                                f"Already in Xero: adopted the existing contact '{found.get('Name')}' ({how}).",
                                outcome="succeeded", xero_id=xero_id)
        ctx.commit()
        return creates

    def _work(self, c: Customer, action: str) -> Work:
        xero_id = self.links.xero_id("contact", c.id) if action == "update" else None
        built = contact_element(c, xero_id)
        return Work("contact", c.id, action, contact_label(c), built.element, built.content_hash,
                    natural_key=c.customer_number, count_field="contacts_synced")

    # -- exceptions -----------------------------------------------------------------------------
    def _name_conflict(self, c: Customer, other: dict[str, Any]) -> None:
        label = contact_label(c)
        theirs = (other.get("EmailAddress") or "").strip()
        why = ("with a different email address" if theirs and (c.email or "").strip()
               else "but no email address on both sides proves it is this customer")
        self.ctx.open_exception(
            "contact_name_conflict", "contact", c.id, str(other.get("ContactID") or ""), label, "email",
            c.email or "", theirs,
            f"contact_name_conflict:{self.ctx.tenant_id}:{c.id}",
            f"A Xero contact with this name exists ('{other.get('Name')}', {why}). Link the customer to it if "
            "it is the same person or company, or create a new one: rename the customer in the ledger so a "
            "separate contact can be created.",
        )
        self.items.fail_now("contact", c.id, "match", label,
                            f"A Xero contact named '{other.get('Name')}' exists ({why}), so it was not taken "
                            "over. Decide in Exceptions: link to it, or create a new one under a distinct name. "
                            "Its invoices wait until then.",
                            outcome="needs_review")

    def _archived(self, c: Customer, found: dict[str, Any], how: str) -> None:
        label = contact_label(c)
        open_archived_exception(self.ctx, c, str(found.get("ContactID") or ""), str(found.get("Name") or ""))
        self.items.fail_now("contact", c.id, "match", label,
                            f"The matching Xero contact '{found.get('Name')}' ({how}) is archived, and archived "
                            "contacts are never used for new invoices. Restore it in Xero or decide in Exceptions.",
                            outcome="needs_review")

    def _conflicts_from_rejections(self, works: list[Work]) -> None:
        """A create Xero refused for a duplicate name also becomes a name-conflict exception."""
        for w in works:
            if w.item is None or w.item.outcome != "failed":
                continue
            text = " ".join(w.item.xero_messages or []).lower()
            if "must be unique" in text:
                self.ctx.open_exception(
                    "contact_name_conflict", "contact", w.local_id, None, w.label, "name",
                    w.element.get("Name"), w.element.get("Name"),
                    f"contact_name_conflict:{self.ctx.tenant_id}:{w.local_id}",
                    "Xero already has an active contact with this name. Link the customer to it, or rename "
                    "the customer so a separate contact can be created.",
                )
                w.item.outcome = "needs_review"
                self.ctx.run.failed = max(0, (self.ctx.run.failed or 0) - 1)
                self.ctx.count("needs_review")
        self.ctx.commit()


def open_archived_exception(ctx: RunContext, c: Customer, xero_id: str, name: str) -> None:
    """Same conflict (fingerprint) as the pull raises for this customer: one exception, not two."""
    raise_conflict(ctx, contact_archived_conflict(
        c.id, xero_id or None, f"Customer {c.name}",
        f"The Xero contact '{name}' is archived; new invoices for this customer are held back. "
        "Restore the contact in Xero, or link the customer to another contact."))


def _skipped(lk: Link | None, c: Customer) -> bool:
    return lk is not None and lk.state == "skipped" and lk.pending_hash == contact_element(c).content_hash


def _watermark(ctx: RunContext, name: str) -> Any:
    wm = ctx.session.scalars(
        select(Watermark).where(Watermark.tenant_id == ctx.tenant_id, Watermark.name == name)
    ).first()
    return None if wm is None else wm.value


def _set_watermark(ctx: RunContext, name: str, value: Any) -> None:
    wm = ctx.session.scalars(
        select(Watermark).where(Watermark.tenant_id == ctx.tenant_id, Watermark.name == name)
    ).first()
    if wm is None:
        ctx.session.add(Watermark(tenant_id=ctx.tenant_id, name=name, value=value))
    elif value > wm.value:
        wm.value = value


__all__ = ["ContactPhase", "Directory", "contact_content", "is_archived", "open_archived_exception"]
