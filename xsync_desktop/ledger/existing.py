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
from itertools import groupby
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
from .sources import ParsedInput, Row, Values
from .targets import target

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
# The fields of a ledger record an import reads after loading it (checks.py, apply.py):
# the rest is compared with the row while loading and not kept.
_DOCUMENT = ("id", "external_id", "number", "customer_id", "currency", "status", "subtotal", "tax_total", "total")
KEPT: dict[str, tuple[str, ...]] = {
    "customers": ("id", "external_id", "customer_number"),
    "units": ("id", "external_id", "facility_id", "code"),
    "invoices": _DOCUMENT,
    "credit_notes": _DOCUMENT,
    "payments": ("id", "external_id", "invoice_id"),
    "credit_allocations": ("id", "external_id", "invoice_id"),
}


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
    # parent db id -> that parent's lines (LINE_FIELDS only), for the two line kinds, for the
    # documents whose lines the import leaves alone (the totals check sums them)
    lines: dict[str, dict[int, list[Mapping[str, Any]]]] = field(default_factory=lambda: defaultdict(dict))
    # line kind -> db ids of the documents whose imported lines differ from the ledger's;
    # compared while loading, so the ledger's copy of re-imported lines is never held
    lines_differ: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    # invoice db id -> [(payment external id, amount)] of payments not reversed
    payments_on: dict[int, list[tuple[str, Decimal]]] = field(default_factory=lambda: defaultdict(list))
    # invoice / credit note db id -> [(allocation external id, amount)]
    allocations_on_invoice: dict[int, list[tuple[str, Decimal]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    allocations_on_credit: dict[int, list[tuple[str, Decimal]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # kind -> external ids of the records whose row in the import differs from the ledger
    changed: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
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
        _load_records(session, ex, parsed, kind_name, sorted(ids), shared)

    invoice_ids = [rec["id"] for rec in ex.records["invoices"].values()]
    credit_ids = [rec["id"] for rec in ex.records["credit_notes"].values()]
    _load_lines(session, ex, parsed, "invoice_lines", invoice_ids, shared)
    _load_lines(session, ex, parsed, "credit_note_lines", credit_ids, shared)

    pay = table("payments")
    for chunk in chunked(invoice_ids):
        q = select(pay.c.external_id, pay.c.invoice_id, pay.c.amount).where(
            pay.c.invoice_id.in_(chunk), pay.c.reversed_at.is_(None)
        )
        for ext, inv, amount in session.execute(q):
            ex.payments_on[inv].append((parsed.shared.ids.get(ext, ext), shared.get(amount)))

    alloc = table("credit_allocations")
    for col, on, ids in (
        (alloc.c.invoice_id, ex.allocations_on_invoice, invoice_ids),
        (alloc.c.credit_note_id, ex.allocations_on_credit, credit_ids),
    ):
        for chunk in chunked(ids):
            for ext, key, amount in session.execute(
                select(alloc.c.external_id, col, alloc.c.amount).where(col.in_(chunk))
            ):
                on[key].append((parsed.shared.ids.get(ext, ext), shared.get(amount)))

    customer_ids = {rec["customer_id"] for k in ("invoices", "credit_notes") for rec in ex.records[k].values()}
    cust = table("customers")
    for chunk in chunked(sorted(customer_ids)):
        for cid, ext in session.execute(select(cust.c.id, cust.c.external_id).where(cust.c.id.in_(chunk))):
            ex.customer_ext[cid] = ext

    _load_owners(session, ex, parsed)
    return ex


def _load_records(session: Session, ex: Existing, parsed: ParsedInput, kind_name: str, ids: list[str],
                  shared: _Shared) -> None:
    """Fetch the records of `ids`, note which the import changes (ex.changed), and keep of
    each only the fields the checks and the writes read (KEPT), not the whole record.

    Kinds are loaded in write order, so the records a row refers to are loaded before it
    and its references resolve to database ids for the comparison."""
    t = table(kind_name)
    index = {c.name: i for i, c in enumerate(t.c)}
    kept = KEPT.get(kind_name, ("id", "external_id"))
    kept_at = [index[name] for name in kept]
    kept_index = {name: i for i, name in enumerate(kept)}
    records = ex.records[kind_name]
    rows: dict[str, Row] = {}
    for row in parsed.rows[kind_name]:
        if not row.bad:
            rows.setdefault(row.values["id"], row)
    for chunk in chunked(ids):
        for r in session.execute(select(t).where(t.c.external_id.in_(chunk))):
            ext = parsed.shared.ids.get(r.external_id, r.external_id)  # the file's string, not a copy
            records[ext] = Values(kept_index, tuple(ext if i == index["external_id"] else shared.get(r[i])
                                                    for i in kept_at))
            row = rows.get(ext)
            if row is not None and any(r[index[k]] != v for k, v in target(kind_name, row, ex).items()):
                ex.changed[kind_name].add(ext)


def _load_lines(session: Session, ex: Existing, parsed: ParsedInput, kind: str, parent_ids: Sequence[int],
                shared: _Shared) -> None:
    """The ledger's lines of the documents the import names: kept (LINE_FIELDS only) for a
    document whose lines the import leaves alone, compared at once and dropped for one whose
    lines it brings (ex.lines_differ)."""
    t = table(kind)
    parent_kind, fk = LINE_KINDS[kind]
    imported = _imported_lines(parsed, ex, kind)
    differ = ex.lines_differ[kind]
    differ.update(imported)  # until their lines in the ledger are found equal
    for chunk in chunked(parent_ids):
        q = select(t.c[fk], *(t.c[f] for f in LINE_FIELDS)).where(t.c[fk].in_(chunk)).order_by(t.c[fk], t.c.line_no)
        for parent, group in groupby(session.execute(q), key=lambda r: r[0]):
            lines = [Values(_LINE_INDEX, tuple(shared.get(v) for v in r[1:])) for r in group]
            new = imported.get(parent)
            if new is None:
                ex.lines[kind][parent] = lines
            elif not lines_differ(lines, new):
                differ.discard(parent)


def _imported_lines(parsed: ParsedInput, ex: Existing, kind: str) -> dict[int, list[Mapping[str, Any]]]:
    """Lines in the import of documents already in the ledger: their db id -> lines by line_no."""
    parent_kind, fk = LINE_KINDS[kind]
    out: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
    for row in parsed.rows[kind]:
        db_id = ex.id_of(parent_kind, row.values.get(fk))  # type: ignore[arg-type]
        if db_id is not None:
            out[db_id].append(row.values)
    for lines in out.values():
        lines.sort(key=lambda ln: ln.get("line_no") or 0)
    return out


def lines_differ(old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]) -> bool:
    if len(old) != len(new):
        return True
    return any(o[f] != n.get(f) for o, n in zip(old, new, strict=True) for f in LINE_FIELDS)


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
            # value -> the first row using it, as checks.check_unique sees them: a number held by
            # the record that brings it (every one on a re-import) is not kept, as the check skips it
            users: dict[Any, str] = {}
            for r in rows:
                v = r.values
                if v.get(col) and v.get("id"):
                    users.setdefault(v[col], v["id"])
            if not users:
                continue
            t = table(kind_name)
            owners = ex.owners[(kind_name, col)]
            for chunk in chunked(sorted(users)):
                for value, ext in session.execute(
                    select(t.c[col], t.c.external_id).where(t.c[col].in_(chunk))
                ):
                    if users[value] != ext:
                        owners[value] = ext
