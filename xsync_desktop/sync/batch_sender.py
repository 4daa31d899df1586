"""Sending prepared work to Xero in batches, with the "never a duplicate" discipline.

For each batch (<= 50 elements, Xero's recommendation):
1. each record's Link goes to state "sending" with its Idempotency-Key and hash,
   and that is committed BEFORE the request leaves;
2. the request goes out with summarizeErrors=false and a key derived from the
   records' keys (same records + same content -> same key);
3. each element's own result links the record or reverts it; an unknown outcome
   (no answer) leaves the links "sending" for settle.py to look up by natural key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..store.models import Link, SyncItem
from ..store.states import ItemOutcome
from ..xero.errors import (
    NetworkError,
    RateLimited,
    ReconnectNeeded,
    ValidationFailed,
    XeroError,
    XeroUnavailable,
)
from . import messages as msg
from .context import RunContext
from .exceptions import replaced_xero_ids
from .hashing import canonical_hash, idempotency_key
from .links import LinkBook
from .unchanged import mark_checked

BATCH_SIZE = 50
# Documents with line items are sent with unitdp=4: the ledger keeps unit amounts to 4 places, and
# without it Xero rounds them to 2 and then refuses the line total (Xero's "Rounding in Xero" guide).
LINE_ITEM_COLLECTIONS = ("Invoices", "CreditNotes")
LINE_ITEM_PARAMS = {"unitdp": "4"}
PUSH_ACTIONS = ("create", "update", "void", "allocate", "withdraw", "delete", "match", "settle")
# Consecutive batches that got no answer before the run gives up.
MAX_UNANSWERED_BATCHES = 2


# The natural key of each collection's elements: an answer element must carry the one sent.
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "Invoices": ("InvoiceNumber",),
    "CreditNotes": ("CreditNoteNumber",),
    "Contacts": ("ContactNumber", "Name"),
    "Payments": ("Reference",),
}


def _same(sent: Any, got: Any, key: str) -> bool:
    a, b = str(sent).strip(), str(got).strip()
    return a.lower() == b.lower() if key == "Name" else a == b


def answered_for_another(collection: str, id_field: str, sent: dict[str, Any], got: dict[str, Any],
                         ok: bool) -> str | None:
    """What another record the answer element names (e.g. "InvoiceNumber INV-2"), or None when it
    is the one sent. Xero's batch answers are matched by position; a position is not proof."""
    sent_id, got_id = sent.get(id_field), got.get(id_field)
    if sent_id and got_id and str(sent_id).lower() != str(got_id).lower():
        return f"{id_field} {got_id}"
    for key in NATURAL_KEYS.get(collection, ()):
        if not sent.get(key):
            continue
        value = got.get(key)
        if value is None:
            if ok:
                return f"no {key}"
        elif not _same(sent[key], value, key):
            return f"{key} {value}"
        break  # the first key the request carries decides
    return None


class StopRun(Exception):
    """Raised to end the run early with a plain message (outcome failed)."""

    def __init__(self, message: str, cause: XeroError | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.cause = cause


@dataclass
class Work:
    entity: str
    local_id: int
    action: str  # create, update, void, allocate, delete
    label: str
    element: dict[str, Any]
    content_hash: str
    natural_key: str | None = None
    count_field: str | None = None
    success_message: str = ""
    # Called with (work, xero element data) after a success, for extra bookkeeping; a message
    # returned means Xero took it but it needs a person (the item ends "needs review").
    after: Callable[[Work, dict[str, Any]], str | None] | None = None
    # The record's revision the content was read at: a success proves it unchanged (unchanged.py).
    revision: int | None = None
    item: SyncItem | None = None
    link: Link | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Items:
    """Starting/finishing push items: retry links, superseding older failures, counters."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        # (entity, local_id) -> original item id, set by the engine for retry runs.
        self.retry_of: dict[tuple[str, int], int] = ctx.extra.get("retry_of", {})
        # Records with an older failure still open: only these need superseding (one query, not one per item).
        self.open_failures: set[tuple[str, int]] = {
            (e, i) for e, i in ctx.session.execute(
                select(SyncItem.entity, SyncItem.local_id).where(
                    SyncItem.outcome.in_((ItemOutcome.FAILED, ItemOutcome.NEEDS_REVIEW)),
                    SyncItem.superseded_by_id.is_(None),
                    SyncItem.action.in_(PUSH_ACTIONS),
                    SyncItem.local_id.is_not(None),
                ).distinct()
            )
        }

    def begin(self, entity: str, local_id: int, action: str, label: str, xero_id: str | None = None,
              flush: bool = True) -> SyncItem:
        return self.ctx.start_item(entity, local_id, action, label, xero_id=xero_id,
                                   retry_of_id=self.retry_of.get((entity, local_id)), flush=flush)

    def finish(self, item: SyncItem, outcome: str, message: str | None, xero_messages: list[str] | None = None,
               xero_id: str | None = None) -> None:
        item.attempts = item.attempts or 0  # counted where a request is actually sent
        self.ctx.finish_item(item, outcome, message, xero_messages, xero_id=xero_id, commit=False)
        if item.retry_of_id is not None:
            self.ctx.count("retried")
        key = (item.entity, item.local_id)
        if item.local_id is None or key not in self.open_failures:
            if outcome in (ItemOutcome.FAILED, ItemOutcome.NEEDS_REVIEW) and item.local_id is not None:
                self.open_failures.add(key)  # a later item of this record in this run supersedes it
            return
        if item.id is None:
            self.ctx.session.flush()
        if outcome not in (ItemOutcome.FAILED, ItemOutcome.NEEDS_REVIEW):
            self.open_failures.discard(key)
        # An older failure of the same record is now dealt with (retried, or failed again
        # and reported anew): keep only the latest one open in "failed items".
        self.ctx.session.execute(
            update(SyncItem)
            .where(
                SyncItem.entity == item.entity,
                SyncItem.local_id == item.local_id,
                SyncItem.id < item.id,
                SyncItem.outcome.in_((ItemOutcome.FAILED, ItemOutcome.NEEDS_REVIEW)),
                SyncItem.superseded_by_id.is_(None),
                SyncItem.action.in_(PUSH_ACTIONS),
            )
            .values(superseded_by_id=item.id)
            .execution_options(synchronize_session=False)
        )

    def fail_now(self, entity: str, local_id: int, action: str, label: str, message: str,
                 outcome: str = ItemOutcome.FAILED, xero_id: str | None = None) -> SyncItem:
        """A record that fails before any request (mapping, lock date, dependency)."""
        item = self.begin(entity, local_id, action, label, xero_id=xero_id)
        self.finish(item, outcome, message)
        return item


def release(session: Session, chunk: list[Work]) -> None:
    """A batch is answered and committed: drop what only its request needed.

    For every record that succeeded, its payload and its item (a phase looks again only at
    failures: contacts.py and documents.py read a refused element's item and name), and the
    Xero snapshot its link just took (the LinkBook's window may still hold the link until its
    next page; a snapshot is read again only now and then, and then loaded from the database).
    Memory holds one batch at a time, not the whole ledger. Contacts keep theirs: every
    document's check reads it.
    """
    for w in chunk:
        link, w.link = w.link, None
        if w.item is None or w.item.outcome != ItemOutcome.SUCCEEDED:
            continue
        w.item = None
        w.element = {}
        if link is not None and link.entity != "contact" and link in session and not session.is_modified(link):
            session.expire(link, ["xero_snapshot"])


class BatchSender:
    def __init__(self, ctx: RunContext, links: LinkBook, items: Items) -> None:
        self.ctx = ctx
        self.links = links
        self.items = items
        self.unanswered = 0

    def send(self, phase: str, collection: str, method: str, works: list[Work], id_field: str,
             path: str | None = None, done_offset: int = 0, total: int | None = None) -> None:
        """Send `works` in batches; `path` overrides the URL (allocations: /CreditNotes/{id}/Allocations)."""
        total = total if total is not None else len(works)
        for start in range(0, len(works), BATCH_SIZE):
            chunk = works[start:start + BATCH_SIZE]
            self.ctx.check_cancel()
            self.ctx.report(phase, done_offset + start, total, chunk[0].label, f"Sending {len(chunk)} to Xero")
            self._send_chunk(collection, method, chunk, id_field, path)
        self.ctx.report(phase, done_offset + len(works), total)

    # -- one request ---------------------------------------------------------------------------
    def _send_chunk(self, collection: str, method: str, chunk: list[Work], id_field: str, path: str | None) -> None:
        ctx = self.ctx
        for w in chunk:
            w.link = self.links.ensure(w.entity, w.local_id)
            w.item = self.items.begin(w.entity, w.local_id, w.action, w.label, xero_id=w.link.xero_id,
                                      flush=False)
            # A deliberate re-send (the Xero object was deleted, a person chose to send it again)
            # names what it replaces, so Xero does not replay the first, deleted, answer.
            key = idempotency_key(ctx.tenant_id, w.entity, str(w.local_id), w.action, canonical_hash(w.element),
                                  *replaced_xero_ids(w.link))
            LinkBook.mark_sending(w.link, w.action, key, w.content_hash)
            w.item.idempotency_key = key
            w.item.attempts = (w.item.attempts or 0) + 1
        ctx.commit()  # durable before the request leaves: a crash now is settled by natural key
        batch_key = idempotency_key(method, path or collection, *[w.link.pending_key or "" for w in chunk])
        elements = [w.element for w in chunk]
        try:
            results = self._call(collection, method, elements, batch_key, path)
        except RateLimited:
            self._end_unsent(chunk, ItemOutcome.SKIPPED, msg.NOT_SENT_PAUSED)
            raise
        except ReconnectNeeded:
            self._end_unsent(chunk, ItemOutcome.FAILED, msg.NOT_SENT_RECONNECT)
            raise
        except (NetworkError, XeroUnavailable) as exc:
            # No answer: Xero may or may not have saved them. Links stay "sending".
            text = msg.NETWORK if isinstance(exc, NetworkError) else msg.UNAVAILABLE
            for w in chunk:
                assert w.item is not None
                self.items.finish(w.item, ItemOutcome.FAILED, text)
            ctx.commit()
            self.unanswered += 1
            if self.unanswered >= MAX_UNANSWERED_BATCHES:
                raise StopRun(text, exc) from exc
            return
        except ValidationFailed as exc:
            # A whole-request 400 despite summarizeErrors=false: valid elements may have been
            # saved without their IDs coming back, so settle them by natural key next run.
            for w in chunk:
                assert w.item is not None
                self.items.finish(w.item, ItemOutcome.FAILED, msg.explain_rejection(w.label, exc.messages), exc.messages)
            ctx.commit()
            return
        except XeroError as exc:
            self._end_unsent(chunk, ItemOutcome.FAILED, exc.user_message)
            return
        self.unanswered = 0
        by_index = {r.index: r for r in results}
        for i, w in enumerate(chunk):
            assert w.item is not None and w.link is not None
            res = by_index.get(i)
            if res is None:  # Xero said nothing about it: unknown, settle later
                self.items.finish(w.item, ItemOutcome.FAILED, msg.LEFT_OUT)
                continue
            other = answered_for_another(collection, id_field, w.element, res.data, res.ok)
            if other is not None:  # never linked by position: settled by natural key next run
                self.items.finish(w.item, ItemOutcome.FAILED, msg.ANSWER_MISMATCH.format(got=other))
                continue
            if res.ok:
                xero_id = str(res.data.get(id_field) or "") or None
                if xero_id is None and w.link.xero_id:
                    xero_id = w.link.xero_id
                if xero_id is None:
                    self.items.finish(w.item, ItemOutcome.FAILED, msg.LEFT_OUT)
                    continue
                LinkBook.mark_linked(w.link, xero_id, w.content_hash, w.natural_key, res.data)
                mark_checked(w.link, w.revision, w.content_hash)
                review = w.after(w, res.data) if w.after is not None else None
                if w.count_field:
                    ctx.count(w.count_field)
                self.items.finish(w.item, ItemOutcome.NEEDS_REVIEW if review else ItemOutcome.SUCCEEDED,
                                  review or w.success_message or None, res.warnings or None, xero_id=xero_id)
            else:
                LinkBook.revert(w.link)
                self.items.finish(w.item, ItemOutcome.FAILED, msg.explain_rejection(w.label, res.messages), res.messages)
        ctx.commit()
        release(ctx.session, chunk)

    def _call(self, collection: str, method: str, elements: list[dict[str, Any]], key: str,
              path: str | None) -> list[Any]:
        client = self.ctx.client
        assert client is not None
        params = LINE_ITEM_PARAMS if collection in LINE_ITEM_COLLECTIONS else None
        if path is None:
            if method == "PUT":
                return client.put_batch(collection, elements, key, params)
            return client.post_batch(collection, elements, key, params)
        from ..xero.batch import element_results

        body = {collection: elements}
        params = {"summarizeErrors": "false"}
        data = client.put(path, body, key, params) if method == "PUT" else client.post(path, body, key, params)
        return element_results(data, collection)

    def _end_unsent(self, chunk: list[Work], outcome: str, message: str) -> None:
        """Close the items. Links stay "sending": an earlier attempt of this request (the client
        retries) may have reached Xero, so the next run settles them by natural key first."""
        for w in chunk:
            assert w.item is not None
            self.items.finish(w.item, outcome, message)
        self.ctx.commit()
