"""Deciding, record by record, whether an import adds, updates or leaves it alone.

The plan is made before anything is written, so a dry run reports exactly what a
real run would do. References to records that do not exist yet are NewRef
placeholders, replaced by database ids as the parents are inserted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .existing import LINE_KINDS, Existing
from .schema import WRITE_ORDER
from .sources import ParsedInput, Row
from .targets import ZERO, NewRef, target

__all__ = ["KindPlan", "NewRef", "Plan", "make_plan", "target"]

@dataclass
class KindPlan:
    """What to write for one record type. Rows are the parsed rows themselves, not copies:
    apply.py builds each one's column values (target) a chunk at a time as it writes."""

    inserts: list[Row] = field(default_factory=list)
    # (db id, the row to write over it, or None when only the document's lines change)
    updates: list[tuple[int, Row | None]] = field(default_factory=list)
    unchanged: int = 0
    # document external id -> its new lines (documents kinds only)
    replace_lines: dict[str, list[Mapping[str, Any]]] = field(default_factory=dict)


@dataclass
class Plan:
    kinds: dict[str, KindPlan] = field(default_factory=dict)
    # ledger invoices (db ids) whose amount paid may change
    touched_invoices: set[int] = field(default_factory=set)
    # new invoice external id -> the sum of its imported payments (inserted with it)
    paid_new: dict[str, Decimal] = field(default_factory=dict)


def make_plan(parsed: ParsedInput, ex: Existing) -> Plan:
    plan = Plan()
    lines_by_parent: dict[str, dict[str, list[Mapping[str, Any]]]] = {}
    for line_kind, (parent_kind, parent_col) in LINE_KINDS.items():
        grouped: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
        for row in parsed.rows[line_kind]:
            grouped[row.values[parent_col]].append(row.values)
        for lines in grouped.values():
            lines.sort(key=lambda ln: ln["line_no"])
        lines_by_parent[parent_kind] = grouped

    # New invoices are inserted with their amount paid already right (no second pass).
    for row in parsed.rows["payments"]:
        inv = row.values["invoice_id"]
        if not ex.has("invoices", inv):
            plan.paid_new[inv] = plan.paid_new.get(inv, ZERO) + row.values["amount"]

    for kind_name in WRITE_ORDER:
        if kind_name in LINE_KINDS:
            continue
        kp = plan.kinds[kind_name] = KindPlan()
        doc_lines = lines_by_parent.get(kind_name)
        seen: set[str] = set()
        for row in parsed.rows[kind_name]:
            ext = row.values["id"]
            seen.add(ext)
            current = ex.records[kind_name].get(ext)
            new_lines = doc_lines.get(ext) if doc_lines is not None else None
            if current is None:
                kp.inserts.append(row)
                if new_lines is not None:
                    kp.replace_lines[ext] = new_lines
                continue
            changed = ext in ex.changed[kind_name]  # compared while loading (existing._load_records)
            if new_lines is not None and _lines_differ(ex, kind_name, current["id"], new_lines):
                changed = True
                kp.replace_lines[ext] = new_lines
            if changed:
                kp.updates.append((current["id"], row))
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
                    kp.updates.append((current["id"], None))
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


def _lines_differ(ex: Existing, kind: str, parent_id: int, new_lines: list[Mapping[str, Any]]) -> bool:
    """Compared while the ledger's lines were loaded (existing._load_lines)."""
    line_kind = "invoice_lines" if kind == "invoices" else "credit_note_lines"
    return parent_id in ex.lines_differ[line_kind]
