"""Finding a ledger record's own object in Xero by its number, with proof, before (re)sending it.

Three paths need "does Xero already hold this record?": settling a create whose answer was
lost (settle.py), a create Xero refused because the number is taken (documents.py), and a
database older than the organisation (a restored backup, a new PC: restore_check.py). All
of them look invoices and credit notes up by number (40 numbers a call, with lines and
4-decimal unit amounts) and decide with proof.py:
- provably ours -> linked ("adopted"), never sent again;
- someone else's object with that number -> a "number already used in Xero" exception
  (link to it, or renumber the ledger record); the record is not sent while it is open;
- nothing -> sent as usual.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..store.models import ReconException
from ..store.states import ExceptionKind, ExceptionStatus
from .context import RunContext
from .links import LinkBook
from .proof import document_differences

NUMBERS_CHUNK = 40  # InvoiceNumbers per query (a URL Xero accepts)
OR_CHUNK = 10  # natural keys per `where` (OR) query
DEAD = ("DELETED",)
ADOPTED = "Already in Xero: adopted (same number, contact, total and lines); not sent again."


def chunks(seq: list[Any], n: int) -> Iterable[list[Any]]:
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


def quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class DocKind:
    entity: str  # invoice, credit_note
    collection: str
    id_field: str
    number_field: str
    title: str


INVOICE_KIND = DocKind("invoice", "Invoices", "InvoiceID", "InvoiceNumber", "Invoice")
CREDIT_NOTE_KIND = DocKind("credit_note", "CreditNotes", "CreditNoteID", "CreditNoteNumber", "Credit note")


@dataclass(frozen=True)
class Decision:
    found: dict[str, Any] | None  # the Xero object with the record's number (None: none)
    ours: bool
    differences: tuple[str, ...] = ()


def find_documents(ctx: RunContext, kind: DocKind, numbers: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Xero's live documents by number, with their lines (unit amounts at 4 decimals)."""
    client = ctx.client
    assert client is not None
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if not numbers:
        return out
    for chunk in chunks(sorted(set(numbers)), NUMBERS_CHUNK if kind is INVOICE_KIND else OR_CHUNK):
        ctx.check_cancel()
        if kind is INVOICE_KIND:
            params = {"InvoiceNumbers": ",".join(chunk), "unitdp": "4"}
        else:
            params = {"where": " OR ".join(f"CreditNoteNumber=={quote(k)}" for k in chunk), "unitdp": "4"}
        for row in client.iter_pages(kind.collection, params):
            number = str(row.get(kind.number_field) or "")
            if number and str(row.get("Status", "")).upper() not in DEAD:
                out[number].append(row)
    return out


def decide(doc: Any, candidates: list[dict[str, Any]], contact_xero_id: str | None, claimed: set[str],
           replaced: tuple[str, ...], id_field: str, sent_at: datetime | None = None) -> Decision:
    """Which of Xero's documents numbered like ``doc`` is its own, if any."""
    free = [c for c in candidates if str(c.get(id_field) or "") not in claimed
            and str(c.get(id_field) or "") not in replaced]
    first_miss: Decision | None = None
    for c in free:
        diffs = document_differences(doc, c, contact_xero_id, sent_at)
        if not diffs:
            return Decision(c, True)
        first_miss = first_miss or Decision(c, False, tuple(diffs))
    if first_miss is not None:
        return first_miss
    taken = [c for c in candidates if c not in free and str(c.get(id_field) or "") not in replaced]
    if taken:  # the number belongs to another ledger record's object
        return Decision(taken[0], False, ("it is already linked to another ledger record",))
    return Decision(None, False)


def number_taken(ctx: RunContext, kind: DocKind, doc: Any, found: dict[str, Any],
                 differences: tuple[str, ...]) -> str:
    """Open the "number already used in Xero" exception; returns the item message."""
    label = f"{kind.title} {doc.number}"
    xero_id = str(found.get(kind.id_field) or "")
    why = "; ".join(differences) or "it is not this record's"
    detail = (f"Xero already has {kind.title.lower()} {doc.number}, but it is not the one this app sent ({why}). "
              "Link the ledger record to it if it really is the same document, or renumber the ledger record "
              "so it can be sent under a number of its own.")
    ctx.open_exception(ExceptionKind.NUMBER_TAKEN, kind.entity, doc.id, xero_id or None, label, "number", doc.number,
                       f"{found.get(kind.number_field)} ({(found.get('Contact') or {}).get('Name') or 'contact?'}, "
                       f"total {found.get('Total')})",
                       f"{ExceptionKind.NUMBER_TAKEN}|{kind.entity}|{doc.id}|{xero_id}", detail)
    return (f"The number {doc.number} is already used in Xero by another {kind.title.lower()} ({why}), so "
            f"{label} was not sent. Decide in Exceptions: link it, or renumber it in the ledger.")


def held_by_number(ctx: RunContext, entity: str) -> set[int]:
    """Records with an open "number already used" exception: not sent until someone decides."""
    return set(ctx.session.scalars(select(ReconException.local_id).where(
        ReconException.tenant_id == ctx.tenant_id, ReconException.kind == ExceptionKind.NUMBER_TAKEN,
        ReconException.entity == entity, ReconException.status == ExceptionStatus.OPEN)))


def adopt(links: LinkBook, entity: str, local_id: int, xero_id: str, content_hash: str | None,
          natural_key: str, data: dict[str, Any]) -> None:
    lk = links.ensure(entity, local_id)
    LinkBook.mark_linked(lk, xero_id, content_hash, natural_key, data)
