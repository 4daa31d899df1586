"""Checks across rows and against the ledger: references, totals, numbers, payments.

Cell-level problems were found while reading (sources.py). Here each rule looks
at whole records; a row already marked bad is left out of the rules that need
its values, so one mistake gives one message.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .existing import Existing
from .report import Rejection
from .rules import NEGATIVE_CHARGE_TYPES
from .schema import KINDS, SINGULAR
from .sources import ParsedInput, Row

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
DOC_LINES = {"invoices": ("invoice_lines", "invoice_id"), "credit_notes": ("credit_note_lines", "credit_note_id")}


def money(value: Decimal) -> str:
    return f"{value.quantize(CENT):.2f}"


def line_amount_for(quantity: Decimal, unit_amount: Decimal) -> Decimal:
    """Xero's rule: quantity × unit amount, rounded half up to the cent."""
    return (quantity * unit_amount).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(slots=True)
class Doc:
    """An invoice or credit note as it will be after the import (imported or already in the ledger)."""

    ext: str
    number: str
    total: Decimal
    status: str
    currency: str
    customer: str | None
    db_id: int | None
    row: Row | None


class Checker:
    def __init__(self, parsed: ParsedInput, existing: Existing) -> None:
        self.parsed = parsed
        self.ex = existing
        self.out: list[Rejection] = parsed.rejected
        # kind -> external id -> first row with that id (bad rows included: their ids are known)
        self.index: dict[str, dict[str, Row]] = defaultdict(dict)

    def run(self) -> None:
        self.check_keys()
        self.check_unique()
        self.check_unit_codes()
        self.check_references()
        self.check_dates()
        for kind in DOC_LINES:
            self.check_totals(kind)
        self.check_money_applied()

    # -- identity -----------------------------------------------------------------
    def check_keys(self) -> None:
        for kind_name, rows in self.parsed.rows.items():
            kind = KINDS[kind_name]
            seen: dict[tuple[Any, ...], Row] = {}
            for row in rows:
                key = tuple(row.values.get(k) for k in kind.key)
                if any(v is None for v in key):
                    continue
                first = seen.get(key)
                if first is not None:
                    what = "id" if kind.key == ("id",) else "line_no"
                    self.out.append(
                        row.reject(what, f"{kind.label} {_key_text(kind.key, key)} appears twice (also {first.where})")
                    )
                    continue
                seen[key] = row
                if kind.key == ("id",):
                    self.index[kind_name][key[0]] = row

    def check_unique(self) -> None:
        for kind_name, rows in self.parsed.rows.items():
            kind = KINDS[kind_name]
            for col in kind.unique:
                label = col.replace("_", " ")
                users: dict[Any, Row] = {}
                owners = self.ex.owners.get((kind_name, col), {})
                for row in rows:
                    value, ext = row.values.get(col), row.values.get("id")
                    if value is None or ext is None:
                        continue
                    other = users.get(value)
                    if other is not None and other.values.get("id") != ext:
                        self.out.append(
                            row.problem(col, f'{SINGULAR[kind_name]} {label} {value} is also used by {other.where}')
                        )
                        continue
                    users[value] = row
                    owner = owners.get(value)
                    if owner is None or owner == ext:
                        continue
                    moving = self.index[kind_name].get(owner)
                    if moving is not None and moving.values.get(col) != value:
                        continue  # the current holder is renumbered by this same import
                    self.out.append(
                        row.problem(
                            col,
                            f"{SINGULAR[kind_name]} {label} {value} already belongs to another "
                            f'{SINGULAR[kind_name]} in the ledger (id "{owner}")',
                        )
                    )

    def check_unit_codes(self) -> None:
        """A unit code is unique within its facility (the ledger's own constraint)."""
        seen: dict[tuple[str, str], Row] = {}
        owners = self.ex.owners.get(("units", "code"), {})
        for row in self.parsed.rows["units"]:
            v = row.values
            fac, code, ext = v.get("facility_id"), v.get("code"), v.get("id")
            if fac is None or code is None or ext is None:
                continue
            other = seen.setdefault((fac, code), row)
            if other is not row and other.values.get("id") != ext:
                self.out.append(row.problem("code", f"unit code {code} is also used in facility {fac} "
                                            f"by {other.where}"))
                continue
            fac_id = self.ex.id_of("facilities", fac)
            owner = owners.get((fac_id, code)) if fac_id is not None else None
            if owner is None or owner == ext:
                continue
            moving = self.index["units"].get(owner)
            if moving is not None and (moving.values.get("code"), moving.values.get("facility_id")) != (code, fac):
                continue
            self.out.append(row.problem("code", f"unit code {code} in facility {fac} already belongs to "
                                        f'another unit in the ledger (id "{owner}")'))

    def check_references(self) -> None:
        for kind_name, rows in self.parsed.rows.items():
            refs = [c for c in KINDS[kind_name].columns if c.ref]
            for row in rows:
                for col in refs:
                    ref = row.values.get(col.name)
                    if ref is None or ref in self.index[col.ref] or self.ex.has(col.ref, ref):  # type: ignore[arg-type]
                        continue
                    if not self.ex.complete:
                        continue  # previewing files alone: the ledger may hold it
                    target = SINGULAR[col.ref]  # type: ignore[index]
                    self.out.append(
                        row.problem(col.name, f'{target} "{ref}" is neither in this import nor already in the ledger')
                    )

    def check_dates(self) -> None:
        for row in self.parsed.rows["invoices"]:
            issue, due = row.values.get("issue_date"), row.values.get("due_date")
            if issue and due and due < issue:
                self.out.append(row.problem("due_date", f"due date {due} is before the issue date {issue}"))
        for row in self.parsed.rows["tenancies"]:
            start, end = row.values.get("start_date"), row.values.get("end_date")
            if start and end and end < start:
                self.out.append(row.problem("end_date", f"end date {end} is before the start date {start}"))

    # -- documents ------------------------------------------------------------------
    def docs(self, kind: str) -> dict[str, Doc]:
        out: dict[str, Doc] = {}
        for ext, rec in self.ex.records[kind].items():
            out[ext] = Doc(
                ext, rec["number"], rec["total"], rec["status"], rec["currency"],
                self.ex.customer_ext.get(rec["customer_id"]), rec["id"], None,
            )
        for ext, row in self.index[kind].items():
            v = row.values
            if row.bad:
                out.pop(ext, None)  # unusable: rules that need it are skipped
                continue
            db = out.get(ext)
            out[ext] = Doc(
                ext, v["number"], v["total"], v["status"], v["currency"], v["customer_id"],
                db.db_id if db else None, row,
            )
        return out

    def check_totals(self, kind: str) -> None:
        line_kind, parent_col = DOC_LINES[kind]
        label = SINGULAR[kind]
        imported: dict[str, list[Row]] = defaultdict(list)
        for line in self.parsed.rows[line_kind]:
            if line.values.get(parent_col):
                imported[line.values[parent_col]].append(line)
            self._check_line(line)
        parents = set(self.index[kind]) | set(imported)
        for row in self.index[kind].values():
            h = row.values
            if row.bad or h["subtotal"] + h["tax_total"] == h["total"]:
                continue
            self.out.append(row.problem("total",
                f"total {money(h['total'])} is not subtotal {money(h['subtotal'])} + tax "
                f"{money(h['tax_total'])} = {money(h['subtotal'] + h['tax_total'])}"))
        for ext in sorted(parents):
            row = self.index[kind].get(ext)
            existing = self.ex.records[kind].get(ext)
            if row is None and existing is None:
                continue  # unknown parent: reported by check_references
            lines = imported.get(ext)
            if lines is not None:
                if any(ln.bad for ln in lines):
                    continue
                values = [ln.values for ln in lines]
            elif existing is not None:
                values = self.ex.lines[line_kind].get(existing["id"], [])
            else:
                values = []
            if row is not None and row.bad:
                continue
            header = row.values if row is not None else existing
            assert header is not None
            if not values:
                self.out.append(
                    _at(row, lines, None, f"{label} {header['number']} has no lines; add them to "
                        f"{KINDS[line_kind].filename}")
                )
                continue
            subtotal = sum((v["line_amount"] for v in values), ZERO)
            tax = sum((v["tax_amount"] for v in values), ZERO)
            in_ledger = "" if row is not None else f" of {label} {header['number']} in the ledger"
            if subtotal != header["subtotal"]:
                self.out.append(_at(row, lines, "subtotal",
                    f"subtotal {money(header['subtotal'])}{in_ledger} is not the sum of its line amounts "
                    f"{money(subtotal)}"))
            if tax != header["tax_total"]:
                self.out.append(_at(row, lines, "tax_total",
                    f"tax total {money(header['tax_total'])}{in_ledger} is not the sum of its lines' tax "
                    f"{money(tax)}"))

    def _check_line(self, line: Row) -> None:
        v = line.values
        if line.bad:
            return
        if v["charge_type"] not in NEGATIVE_CHARGE_TYPES:
            for col in ("unit_amount", "tax_amount", "line_amount"):
                if v[col] < 0:
                    self.out.append(line.problem(col, f"{col.replace('_', ' ')} {v[col]} is negative; only "
                                                f"{', '.join(sorted(NEGATIVE_CHARGE_TYPES))} lines may be negative"))
                    return
        expected = line_amount_for(v["quantity"], v["unit_amount"])
        if expected != v["line_amount"]:
            self.out.append(line.problem("line_amount",
                f"line amount {money(v['line_amount'])} is not quantity {v['quantity']} × unit amount "
                f"{v['unit_amount']} = {money(expected)}"))

    # -- payments and credit -------------------------------------------------------
    def check_money_applied(self) -> None:
        invoices = self.docs("invoices")
        credits = self.docs("credit_notes")
        pay_rows = [r for r in self.parsed.rows["payments"] if not r.bad]
        alloc_rows = [r for r in self.parsed.rows["credit_allocations"] if not r.bad]
        imported_pay = {r.values["id"] for r in self.parsed.rows["payments"]}
        imported_alloc = {r.values["id"] for r in self.parsed.rows["credit_allocations"]}

        applied: dict[str, Decimal] = defaultdict(lambda: ZERO)  # invoice ext -> paid + credited
        credited: dict[str, Decimal] = defaultdict(lambda: ZERO)  # credit note ext -> allocated
        last_row: dict[str, Row] = {}
        for ext, doc in invoices.items():
            if doc.db_id is None:
                continue
            for pay_ext, amount in self.ex.payments_on.get(doc.db_id, []):
                if pay_ext not in imported_pay:
                    applied[ext] += amount
            for al_ext, amount in self.ex.allocations_on_invoice.get(doc.db_id, []):
                if al_ext not in imported_alloc:
                    applied[ext] += amount
        for ext, doc in credits.items():
            if doc.db_id is None:
                continue
            for al_ext, amount in self.ex.allocations_on_credit.get(doc.db_id, []):
                if al_ext not in imported_alloc:
                    credited[ext] += amount

        for row in pay_rows:
            inv = invoices.get(row.values["invoice_id"])
            if inv is None:
                continue
            if inv.status != "authorised":
                self.out.append(row.problem("invoice_id", f"invoice {inv.number} is {_status_text(inv.status)}; "
                                           "Xero takes payments only on authorised invoices"))
                continue
            applied[inv.ext] += row.values["amount"]
            last_row[inv.ext] = row

        for row in alloc_rows:
            v = row.values
            inv, cn = invoices.get(v["invoice_id"]), credits.get(v["credit_note_id"])
            if inv is None or cn is None:
                continue
            problem = None
            if cn.status != "authorised":
                problem = ("credit_note_id", f"credit note {cn.number} is {_status_text(cn.status)}; "
                           "only authorised credit notes can be allocated")
            elif inv.status != "authorised":
                problem = ("invoice_id", f"invoice {inv.number} is {_status_text(inv.status)}; "
                           "credit can be allocated only to authorised invoices")
            elif cn.customer is not None and inv.customer is not None and cn.customer != inv.customer:
                problem = ("invoice_id", f"credit note {cn.number} and invoice {inv.number} belong to "
                           "different customers")
            elif cn.currency != inv.currency:
                problem = ("invoice_id", f"credit note {cn.number} is in {cn.currency} but invoice "
                           f"{inv.number} is in {inv.currency}")
            if problem:
                self.out.append(row.problem(*problem))
                continue
            applied[inv.ext] += v["amount"]
            last_row[inv.ext] = row
            credited[cn.ext] += v["amount"]
            if credited[cn.ext] > cn.total:
                self.out.append(row.problem("amount", f"allocations from credit note {cn.number} come to "
                                           f"{money(credited[cn.ext])}, more than its total {money(cn.total)}"))

        for ext, amount in applied.items():
            inv = invoices.get(ext)
            if inv is None or amount <= inv.total:
                continue
            row = last_row.get(ext)
            if row is not None:
                self.out.append(row.problem("amount", f"payments and credits on invoice {inv.number} come to "
                                           f"{money(amount)}, more than its total {money(inv.total)}"))
            elif inv.row is not None:
                self.out.append(inv.row.problem("total", f"total {money(inv.total)} is less than the "
                                               f"{money(amount)} already paid or credited on it"))
        for ext, inv in invoices.items():
            if inv.row is not None and inv.status != "authorised" and applied.get(ext, ZERO) > 0 and ext not in last_row:
                self.out.append(inv.row.problem("status", f"invoice {inv.number} cannot be "
                                               f"{_status_text(inv.status)}: it has payments or credit applied"))


def _status_text(status: str) -> str:
    return "a draft" if status == "draft" else status


def _key_text(names: Iterable[str], key: tuple[Any, ...]) -> str:
    if len(key) == 1:
        return f'"{key[0]}"'
    return " ".join(f"{n} {v}" for n, v in zip(names, key, strict=True))


def _at(row: Row | None, lines: list[Row] | None, field: str | None, reason: str) -> Rejection:
    """Report on the document row, or on its first line when only lines were imported."""
    if row is not None:
        return row.problem(field, reason)
    assert lines
    line_field = {"subtotal": "line_amount", "tax_total": "tax_amount"}.get(field or "", field)
    return lines[0].problem(line_field, reason)


def check(parsed: ParsedInput, existing: Existing) -> None:
    Checker(parsed, existing).run()
