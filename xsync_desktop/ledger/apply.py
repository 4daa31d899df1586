"""Writing a plan in bulk: one executemany per record type and operation.

Runs inside the caller's transaction; nothing here commits. Every record added
or changed gets the same `changed_at` (the import's time), records left alone
keep theirs, which is how the sync tells what the ledger changed.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from xsync_desktop.store.models import Invoice

from .existing import LINE_FIELDS, LINE_KINDS, MODELS, Existing, chunked, table
from .plan import NewRef, Plan, target
from .schema import WRITE_ORDER
from .sources import Row

UNIQUE_COLUMNS = {"customers": ("customer_number",), "invoices": ("number",), "credit_notes": ("number",),
                  "units": ("code",)}
# Rows per INSERT/UPDATE statement: small enough that a batch's parameters are a few MB.
WRITE_BATCH = 2000
DOC_LINE_KIND = {parent: (line, fk) for line, (parent, fk) in LINE_KINDS.items()}


def apply_plan(session: Session, plan: Plan, ex: Existing, now: datetime, *, batch: int = WRITE_BATCH) -> None:
    """Write the plan, `batch` rows per statement: each batch's column values are built
    just before it is sent and dropped after, so a 50,000-invoice import never holds a
    second copy of every row (nor the driver's parameters for all of them at once)."""
    ids: dict[str, dict[str, int]] = {
        kind: {ext: rec["id"] for ext, rec in recs.items()} for kind, recs in ex.records.items()
    }

    def resolve(row: dict[str, Any]) -> dict[str, Any]:
        return {k: (ids[v.kind][v.ext] if isinstance(v, NewRef) else v) for k, v in row.items()}

    for kind in WRITE_ORDER:
        kp = plan.kinds.get(kind)
        if kp is None:
            continue
        t = table(kind)
        stamp = {"changed_at": now} if "changed_at" in t.c else {}
        known = ids.setdefault(kind, {})
        for rows in chunked(kp.inserts, batch):
            values = [{**resolve(target(kind, r, ex, plan)), **stamp} for r in rows]
            session.execute(insert(t), values)
            for new_ext in chunked(v["external_id"] for v in values):
                found = session.execute(select(t.c.external_id, t.c.id).where(t.c.external_id.in_(new_ext)))
                known.update((ext, db_id) for ext, db_id in found)
        if kp.updates:
            _free_unique_values(session, kind, kp.updates, ex, plan)
            for updates in chunked(kp.updates, batch):
                values = [
                    {"id": db_id, **({} if r is None else resolve(target(kind, r, ex, plan))), **stamp}
                    for db_id, r in updates
                ]
                session.execute(update(MODELS[kind]), values)
        if kp.replace_lines:
            line_kind, fk = DOC_LINE_KIND[kind]
            lt = table(line_kind)
            parent_ids = [ids[kind][ext] for ext in kp.replace_lines]
            for chunk in chunked(parent_ids):
                session.execute(delete(lt).where(lt.c[fk].in_(chunk)))
            lines = (
                {fk: ids[kind][ext], **{f: ln[f] for f in LINE_FIELDS}}
                for ext, doc_lines in kp.replace_lines.items() for ln in doc_lines
            )
            for values in chunked(lines, batch):
                session.execute(insert(lt), values)

    refresh_amount_paid(session, sorted(plan.touched_invoices))


def _free_unique_values(
    session: Session, kind: str, updates: list[tuple[int, Row | None]], ex: Existing, plan: Plan
) -> None:
    """Park renumbered records on a placeholder first, so two invoices can swap numbers:
    SQLite checks UNIQUE row by row during an UPDATE. Done for every update of the kind
    before the first batch, so a swap across two batches works too."""
    for col in UNIQUE_COLUMNS.get(kind, ()):
        current = {rec["id"]: rec[col] for rec in ex.records[kind].values()}
        moving = [{"id": db_id, col: f"~{db_id}~"} for db_id, r in updates
                  if r is not None and current.get(db_id) != r.values[col]]
        if len(moving) > 1:
            session.execute(update(MODELS[kind]), moving)


def refresh_amount_paid(session: Session, invoice_ids: list[int]) -> None:
    """Keep Invoice.amount_paid equal to its payments not reversed, and amount_credited to its
    credit allocations (kept apart, as Xero keeps AmountCredited). Not a change to the invoice
    itself, so changed_at is left alone."""
    fixes = []
    for chunk in chunked(sorted(set(invoice_ids))):
        current = lock_invoice_amounts(session, chunk)
        for inv_id, (new_paid, new_credited) in derived_amounts(session, chunk).items():
            if (new_paid, new_credited) != current.get(inv_id):
                fixes.append({"id": inv_id, "amount_paid": new_paid, "amount_credited": new_credited})
    if fixes:
        session.execute(update(Invoice), fixes)


def lock_invoice_amounts(session: Session, invoice_ids: list[int]) -> dict[int, tuple[Decimal, Decimal]]:
    """Lock the invoices' rows (PostgreSQL: FOR UPDATE; SQLite has one writer at a time anyway)
    and return their stored (amount_paid, amount_credited).

    Why: amounts are derived from payments and allocations; two writers (a sync pulling a Xero
    payment, an import or a decision in the GUI) must not both sum what they see and write it,
    or the second overwrites the first's payment. Whoever locks first finishes first; the other
    then sums in a new statement, which in READ COMMITTED sees the first one's committed rows.
    """
    inv = table("invoices")
    rows = session.execute(
        select(inv.c.id, inv.c.amount_paid, inv.c.amount_credited).where(inv.c.id.in_(invoice_ids))
        .with_for_update()
    )
    return {inv_id: (paid, credited) for inv_id, paid, credited in rows}


def derived_amounts(session: Session, invoice_ids: list[int]) -> dict[int, tuple[Decimal, Decimal]]:
    """(paid, credited) for each invoice: its payments not reversed, its credit allocations."""
    pay = table("payments")
    alloc = table("credit_allocations")
    out: dict[int, tuple[Decimal, Decimal]] = {}
    for chunk in chunked(sorted(set(invoice_ids))):
        paid_sums = dict(
            session.execute(
                select(pay.c.invoice_id, func.sum(pay.c.amount))
                .where(pay.c.invoice_id.in_(chunk), pay.c.reversed_at.is_(None))
                .group_by(pay.c.invoice_id)
            ).all()
        )
        credit_sums = dict(
            session.execute(
                select(alloc.c.invoice_id, func.sum(alloc.c.amount))
                .where(alloc.c.invoice_id.in_(chunk))
                .group_by(alloc.c.invoice_id)
            ).all()
        )
        for inv_id in chunk:
            # SUM() takes the Money type of its column, but be safe if a backend hands back cents.
            out[inv_id] = (_cents_to_money(paid_sums.get(inv_id)), _cents_to_money(credit_sums.get(inv_id)))
    return out


def _cents_to_money(value: Any) -> Decimal:
    if value is None:
        return Decimal("0.00")
    if isinstance(value, Decimal):
        return value.quantize(Decimal("0.01"))
    return (Decimal(int(value)) / 100).quantize(Decimal("0.01"))
