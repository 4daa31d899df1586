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
from ..store.states import ExceptionKind, ItemOutcome, LinkState
from .batch_sender import BatchSender, Items, Work
from .context import RunContext
from .exceptions import contact_archived_conflict, raise_conflict
from .links import LinkBook, updated_utc
from .payloads import contact_content, contact_element
from .streaming import by_ids, iter_pages, slices
from .unchanged import CheckMarks, needs_a_look

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
        """Make sure every customer in `needed` is linked, and push changed linked customers.

        Planned a page of customers at a time keeping ids only; matched, built and sent a slice
        at a time (streaming.py), so memory holds a slice of the customers, not all of them.
        """
        ctx, links = self.ctx, self.links
        only = ctx.only_records
        new: list[int] = []
        updates: list[int] = []
        marks = CheckMarks(ctx.session)  # customers proven unchanged since sent are left out (unchanged.py)
        for c in iter_pages(ctx.session, Customer, needs_a_look(ctx.tenant_id, "contact", Customer),
                            on_page=lambda page: links.prefetch("contact", [c.id for c in page])):
            cid = c.id
            lk = links.get("contact", cid)
            if only is not None and ("contact", cid) not in only:
                continue
            if lk is not None and lk.state == LinkState.SENDING:
                continue  # unsettled: never sent twice
            if lk is not None and lk.xero_id:
                h = contact_element(c).content_hash
                if lk.state == LinkState.LINKED and lk.pushed_hash == h:
                    marks.add(lk, c.revision, h)
                if lk.pushed_hash != h and not _skipped(lk, c):
                    if not is_archived(lk.xero_snapshot):
                        updates.append(cid)
            elif cid in needed and not _skipped(lk, c):
                new.append(cid)
        marks.flush()
        linked_needed = self._any_linked(needed)
        total = len(new) + len(updates)
        if total == 0 and not linked_needed:
            return
        ctx.report("contacts", 0, total, "", "Matching customers with Xero contacts")
        if new:
            directory = self._directory()
        else:
            # New documents for customers already linked: learn of contacts archived in Xero
            # since we last looked (one call), so none is used for a new invoice.
            directory = self._directory(since=_watermark(ctx, "push_contacts"))
            updates = [cid for cid in updates
                       if not is_archived((links.get("contact", cid) or Link()).xero_snapshot)]
        if total == 0:
            ctx.commit()
            return
        done = 0
        for ids in slices(new):
            links.prefetch("contact", ids)
            creates = self._match(by_ids(ctx.session, Customer, ids), directory, updates)
            works = [self._work(c, "create") for c in creates]
            self.sender.send("contacts", "Contacts", "PUT", works, "ContactID", done_offset=done, total=total)
            self._conflicts_from_rejections(works)
            done += len(works)
        for ids in slices(updates):
            links.prefetch("contact", ids)
            upd = [self._work(c, "update") for c in by_ids(ctx.session, Customer, ids)
                   if links.xero_id("contact", c.id)]
            self.sender.send("contacts", "Contacts", "POST", upd, "ContactID", done_offset=done, total=total)
            done += len(upd)

    def _any_linked(self, customer_ids: set[int]) -> bool:
        """Is any of these customers linked to a Xero contact? (a slice of links read at a time)"""
        for ids in slices(sorted(customer_ids)):
            self.links.prefetch("contact", ids)
            if any(self.links.xero_id("contact", cid) for cid in ids):
                return True
        return False

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
        from .reconcile.write_backs import links_by_xero_id

        for xero_id, lk in links_by_xero_id(ctx.session, ctx.tenant_id, "contact", list(d.by_id)).items():
            if lk.state != LinkState.SENDING:
                reconcile_contact(ctx, d.by_id[xero_id], lk)
        if latest is not None:
            _set_watermark(ctx, "push_contacts", latest)
        return d

    def _match(self, new: list[Customer], d: Directory, updates: list[int]) -> list[Customer]:
        """Link what matches (its id joins `updates` when Xero's copy differs); return the customers to create."""
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
                updates.append(c.id)  # bring Xero's copy in line with the ledger (sets ContactNumber)
            ctx.count("contacts_synced")
            self.items.fail_now("contact", c.id, "match", label,
                                f"Already in Xero: adopted the existing contact '{found.get('Name')}' ({how}).",
                                outcome=ItemOutcome.SUCCEEDED, xero_id=xero_id)
        ctx.commit()
        return creates

    def _work(self, c: Customer, action: str) -> Work:
        xero_id = self.links.xero_id("contact", c.id) if action == "update" else None
        built = contact_element(c, xero_id)
        return Work("contact", c.id, action, contact_label(c), built.element, built.content_hash,
                    natural_key=c.customer_number, count_field="contacts_synced", revision=c.revision)

    # -- exceptions -----------------------------------------------------------------------------
    def _name_conflict(self, c: Customer, other: dict[str, Any]) -> None:
        label = contact_label(c)
        theirs = (other.get("EmailAddress") or "").strip()
        why = ("with a different email address" if theirs and (c.email or "").strip()
               else "but no email address on both sides proves it is this customer")
        self.ctx.open_exception(
            ExceptionKind.CONTACT_NAME_CONFLICT, "contact", c.id, str(other.get("ContactID") or ""), label, "email",
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
                            outcome=ItemOutcome.NEEDS_REVIEW)

    def _archived(self, c: Customer, found: dict[str, Any], how: str) -> None:
        label = contact_label(c)
        open_archived_exception(self.ctx, c, str(found.get("ContactID") or ""), str(found.get("Name") or ""))
        self.items.fail_now("contact", c.id, "match", label,
                            f"The matching Xero contact '{found.get('Name')}' ({how}) is archived, and archived "
                            "contacts are never used for new invoices. Restore it in Xero or decide in Exceptions.",
                            outcome=ItemOutcome.NEEDS_REVIEW)

    def _conflicts_from_rejections(self, works: list[Work]) -> None:
        """A create Xero refused for a duplicate name also becomes a name-conflict exception."""
        for w in works:
            if w.item is None or w.item.outcome != ItemOutcome.FAILED:
                continue
            text = " ".join(w.item.xero_messages or []).lower()
            if "must be unique" in text:
                self.ctx.open_exception(
                    ExceptionKind.CONTACT_NAME_CONFLICT, "contact", w.local_id, None, w.label, "name",
                    w.element.get("Name"), w.element.get("Name"),
                    f"contact_name_conflict:{self.ctx.tenant_id}:{w.local_id}",
                    "Xero already has an active contact with this name. Link the customer to it, or rename "
                    "the customer so a separate contact can be created.",
                )
                w.item.outcome = ItemOutcome.NEEDS_REVIEW
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
    return lk is not None and lk.state == LinkState.SKIPPED and lk.pending_hash == contact_element(c).content_hash


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
