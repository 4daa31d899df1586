"""Deciding, record by record, whether an import adds, updates or leaves it alone.

The plan is made before anything is written, so a dry run reports exactly what a
real run would do. References to records that do not exist yet are NewRef
placeholders, replaced by database ids as the parents are inserted.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .existing import LINE_KINDS, Existing
from .schema import KINDS, WRITE_ORDER
from .sources import ParsedInput

LINE_FIELDS = ("line_no", "charge_type", "description", "quantity", "unit_amount", "tax_amount", "line_amount")


@dataclass(frozen=True)
class NewRef:
    kind: str
    ext: str


@dataclass
class KindPlan:
    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0
    # document external id -> its new lines (documents kinds only)
    replace_lines: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass
class Plan:
    kinds: dict[str, KindPlan] = field(default_factory=dict)
    # ledger invoices (db ids) whose amount paid may change
    touched_invoices: set[int] = field(default_factory=set)


def make_plan(parsed: ParsedInput, ex: Existing) -> Plan:
    plan = Plan()
    lines_by_parent: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for line_kind, (parent_kind, parent_col) in LINE_KINDS.items():
        grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in parsed.rows[line_kind]:
            grouped[row.values[parent_col]].append({f: row.values[f] for f in LINE_FIELDS})
        for lines in grouped.values():
            lines.sort(key=lambda ln: ln["line_no"])
        lines_by_parent[parent_kind] = grouped

    # New invoices are inserted with their amount paid already right (no second pass).
    paid_new: dict[str, Any] = defaultdict(lambda: Decimal("0.00"))
    for row in parsed.rows["payments"]:
        paid_new[row.values["invoice_id"]] += row.values["amount"]

    for kind_name in WRITE_ORDER:
        if kind_name in LINE_KINDS:
            continue
        kind = KINDS[kind_name]
        kp = plan.kinds[kind_name] = KindPlan()
        refs = {c.name: c.ref for c in kind.columns if c.ref}
        doc_lines = lines_by_parent.get(kind_name)
        seen: set[str] = set()
        for row in parsed.rows[kind_name]:
            values = row.values
            ext = values["id"]
            seen.add(ext)
            target: dict[str, Any] = {"external_id": ext}
            for name in kind.names:
                if name == "id":
                    continue
                value = values[name]
                ref_kind = refs.get(name)
                if ref_kind and value is not None:
                    value = _resolve(ex, ref_kind, value)
                target[name] = value
            current = ex.records[kind_name].get(ext)
            new_lines = doc_lines.get(ext) if doc_lines is not None else None
            if current is None:
                if kind_name == "invoices":
                    target["amount_paid"] = paid_new.get(ext, Decimal("0.00"))
                kp.inserts.append(target)
                if new_lines is not None:
                    kp.replace_lines[ext] = new_lines
                continue
            changed = any(current[k] != v for k, v in target.items())
            if new_lines is not None and _lines_differ(ex, kind_name, current["id"], new_lines):
                changed = True
                kp.replace_lines[ext] = new_lines
            if changed:
                kp.updates.append({"id": current["id"], **target})
            else:
                kp.unchanged += 1
        # Lines imported for a document already in the ledger, without its header row.
        if doc_lines is not None:
            for ext, new_lines in doc_lines.items():
                if ext in seen:
                    continue
                current = ex.records[kind_name][ext]
                if _lines_differ(ex, kind_name, current["id"], new_lines):
                    kp.replace_lines[ext] = new_lines
                    kp.updates.append({"id": current["id"]})
                else:
                    kp.unchanged += 1

    # Invoices already in the ledger whose amount paid may have moved.
    # Both the invoice a row names now and the one it named before (a row moved between invoices).
    for kind_name in ("payments", "credit_allocations"):
        for row in parsed.rows[kind_name]:
            db_id = ex.id_of("invoices", row.values["invoice_id"])
            if db_id is not None:
                plan.touched_invoices.add(db_id)
            old = ex.records[kind_name].get(row.values["id"])
            if old is not None:
                plan.touched_invoices.add(old["invoice_id"])
    return plan


def _resolve(ex: Existing, kind: str, ext: str) -> Any:
    db_id = ex.id_of(kind, ext)
    return NewRef(kind, ext) if db_id is None else db_id


def _lines_differ(ex: Existing, kind: str, parent_id: int, new_lines: list[dict[str, Any]]) -> bool:
    line_kind = "invoice_lines" if kind == "invoices" else "credit_note_lines"
    old = ex.lines[line_kind].get(parent_id, [])
    if len(old) != len(new_lines):
        return True
    return any(o[f] != n[f] for o, n in zip(old, new_lines, strict=True) for f in LINE_FIELDS)
