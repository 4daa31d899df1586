"""What the ledger already holds that an import touches, fetched in a few bulk queries.

Only records the import names (as their own id or as a reference) are read, in
chunks of ids, so a small daily import into a large ledger stays quick and a
50,000-invoice import costs a few hundred queries rather than one per row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from xsync_desktop.store.models import (
    CreditAllocation,
    CreditNote,
    CreditNoteLine,
    Customer,
    Facility,
    Invoice,
    InvoiceLine,
    Payment,
    Tenancy,
    Unit,
)

from .schema import KINDS
from .sources import ParsedInput, Values

MODELS: dict[str, type] = {
    "facilities": Facility,
    "customers": Customer,
    "units": Unit,
    "tenancies": Tenancy,
    "invoices": Invoice,
    "invoice_lines": InvoiceLine,
    "payments": Payment,
    "credit_notes": CreditNote,
    "credit_note_lines": CreditNoteLine,
    "credit_allocations": CreditAllocation,
}
# Line kinds: (parent kind, foreign key column on the line table).
LINE_KINDS: dict[str, tuple[str, str]] = {
    "invoice_lines": ("invoices", "invoice_id"),
    "credit_note_lines": ("credit_notes", "credit_note_id"),
}
CHUNK = 500
# Fields of a document line an import compares with the file (and sums for the totals check).
LINE_FIELDS = ("line_no", "charge_type", "description", "quantity", "unit_amount", "tax_amount", "line_amount")
_LINE_INDEX = {name: i for i, name in enumerate(LINE_FIELDS)}
# Columns whose values are unique (or nearly) per record: not worth sharing (_Shared).
_UNIQUE_VALUES = frozenset({"id", "external_id", "number", "customer_number", "name", "email", "phone",
                            "address", "reference", "description", "code"})


def table(kind: str) -> Table:
    return MODELS[kind].__table__  # type: ignore[attr-defined,no-any-return]


def chunked(items: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class Existing:
    """The ledger's side of an import. `complete` is False when no database was given
    (a preview of files alone), and checks that need the ledger are then skipped."""

    complete: bool = True
    records: dict[str, dict[str, Mapping[str, Any]]] = field(default_factory=lambda: defaultdict(dict))
    # db id -> external id, for records fetched above
    ext_of: dict[str, dict[int, str]] = field(default_factory=lambda: defaultdict(dict))
    # parent db id -> that parent's lines (LINE_FIELDS only), for the two line kinds
    lines: dict[str, dict[int, list[Mapping[str, Any]]]] = field(default_factory=lambda: defaultdict(dict))
    # invoice db id -> [(payment external id, amount)] of payments not reversed
    payments_on: dict[int, list[tuple[str, Decimal]]] = field(default_factory=lambda: defaultdict(list))
    # invoice / credit note db id -> [(allocation external id, amount)]
    allocations_on_invoice: dict[int, list[tuple[str, Decimal]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    allocations_on_credit: dict[int, list[tuple[str, Decimal]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # (kind, column) -> {value: external id owning it in the ledger}
    owners: dict[tuple[str, str], dict[Any, str]] = field(default_factory=lambda: defaultdict(dict))
    # customer db id -> external id for customers of fetched invoices / credit notes
    customer_ext: dict[int, str] = field(default_factory=dict)

    def id_of(self, kind: str, ext: str) -> int | None:
        rec = self.records[kind].get(ext)
        return None if rec is None else int(rec["id"])

    def has(self, kind: str, ext: str) -> bool:
        return ext in self.records[kind]


def wanted_ids(parsed: ParsedInput) -> dict[str, set[str]]:
    """Every external id the import mentions, by the record type it belongs to."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for kind_name, rows in parsed.rows.items():
        kind = KINDS[kind_name]
        refs = [c for c in kind.columns if c.ref]
        own = "id" in kind.key
        for row in rows:
            values = row.values
            if own and values.get("id"):
                wanted[kind_name].add(values["id"])
            for col in refs:
                ref = values.get(col.name)
                if ref:
                    wanted[col.ref].add(ref)  # type: ignore[index]
    return wanted


def load_existing(session: Session, parsed: ParsedInput) -> Existing:
    ex = Existing()
    shared = _Shared()
    wanted = wanted_ids(parsed)
    for kind_name in KINDS:
        if kind_name in LINE_KINDS:
            continue
        ids = wanted.get(kind_name)
        if not ids:
            continue
        t = table(kind_name)
        index = {c.name: i for i, c in enumerate(t.c)}
        keep = [c.name not in _UNIQUE_VALUES for c in t.c]
        for chunk in chunked(sorted(ids)):
            for r in session.execute(select(t).where(t.c.external_id.in_(chunk))):
                rec = Values(index, tuple(shared.get(v) if k else v for k, v in zip(keep, r, strict=True)))
                ex.records[kind_name][rec["external_id"]] = rec
                ex.ext_of[kind_name][rec["id"]] = rec["external_id"]

    invoice_ids = list(ex.ext_of["invoices"])
    credit_ids = list(ex.ext_of["credit_notes"])
    _load_lines(session, ex, "invoice_lines", invoice_ids, shared)
    _load_lines(session, ex, "credit_note_lines", credit_ids, shared)

    pay = table("payments")
    for chunk in chunked(invoice_ids):
        q = select(pay.c.external_id, pay.c.invoice_id, pay.c.amount).where(
            pay.c.invoice_id.in_(chunk), pay.c.reversed_at.is_(None)
        )
        for ext, inv, amount in session.execute(q):
            ex.payments_on[inv].append((ext, amount))

    alloc = table("credit_allocations")
    for col, target, ids in (
        (alloc.c.invoice_id, ex.allocations_on_invoice, invoice_ids),
        (alloc.c.credit_note_id, ex.allocations_on_credit, credit_ids),
    ):
        for chunk in chunked(ids):
            for ext, key, amount in session.execute(
                select(alloc.c.external_id, col, alloc.c.amount).where(col.in_(chunk))
            ):
                target[key].append((ext, amount))

    customer_ids = {rec["customer_id"] for k in ("invoices", "credit_notes") for rec in ex.records[k].values()}
    cust = table("customers")
    for chunk in chunked(sorted(customer_ids)):
        for cid, ext in session.execute(select(cust.c.id, cust.c.external_id).where(cust.c.id.in_(chunk))):
            ex.customer_ext[cid] = ext

    _load_owners(session, ex, parsed)
    return ex


def _load_lines(session: Session, ex: Existing, kind: str, parent_ids: Sequence[int], shared: _Shared) -> None:
    """Only the fields an import compares and sums (LINE_FIELDS), one tuple per line."""
    t = table(kind)
    fk = LINE_KINDS[kind][1]
    for chunk in chunked(parent_ids):
        q = select(t.c[fk], *(t.c[f] for f in LINE_FIELDS)).where(t.c[fk].in_(chunk)).order_by(t.c[fk], t.c.line_no)
        for parent, *values in session.execute(q):
            rec = Values(_LINE_INDEX, tuple(shared.get(v) for v in values))
            ex.lines[kind].setdefault(parent, []).append(rec)


class _Shared:
    """One object per repeated value read from the ledger (amounts, dates, the stamp every
    record of an import got, statuses, references to a customer), so the ledger's side of a
    50,000-invoice import does not hold each of them once per record. Emptied when it
    grows past `limit`. Keyed by type and text: Decimal("1.5") == Decimal("1.50"), and both
    must keep their own form."""

    def __init__(self, limit: int = 20_000) -> None:
        self.limit = limit
        self.cache: dict[Any, Any] = {}

    def get(self, value: Any) -> Any:
        if value is None:
            return None
        key = (type(value), str(value) if isinstance(value, Decimal) else value)
        found = self.cache.get(key)
        if found is None:
            if len(self.cache) >= self.limit:
                self.cache.clear()
            self.cache[key] = found = value
        return found


def _load_owners(session: Session, ex: Existing, parsed: ParsedInput) -> None:
    """Who already holds each customer / invoice / credit note number (and unit code) the import uses."""
    codes = {r.values["code"] for r in parsed.rows["units"] if r.values.get("code")}
    t = table("units")
    for chunk in chunked(sorted(codes)):
        for fac, code, ext in session.execute(
            select(t.c.facility_id, t.c.code, t.c.external_id).where(t.c.code.in_(chunk))
        ):
            ex.owners[("units", "code")][(fac, code)] = ext
    for kind_name, rows in parsed.rows.items():
        kind = KINDS[kind_name]
        for col in kind.unique:
            values = {r.values[col] for r in rows if r.values.get(col)}
            if not values:
                continue
            t = table(kind_name)
            for chunk in chunked(sorted(values)):
                for value, ext in session.execute(
                    select(t.c[col], t.c.external_id).where(t.c[col].in_(chunk))
                ):
                    ex.owners[(kind_name, col)][value] = ext
