"""A row's column values as the ledger stores them, shared by the plan (what to write), the
loading of the ledger's side (is the record already so?) and the writes.

Its own module so that `existing` (which compares while it loads) and `plan` (which imports
`existing`) both use it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from .schema import KINDS
from .sources import Row


class Existing(Protocol):
    """What a target needs of the ledger's side (existing.Existing): is a record there, its id."""

    def has(self, kind: str, ext: str) -> bool: ...

    def id_of(self, kind: str, ext: str) -> int | None: ...


class Plan(Protocol):
    """What a target needs of the plan (plan.Plan): the imported payments of new invoices."""

    paid_new: dict[str, Decimal]

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class NewRef:
    """A reference to a record this import adds: replaced by its database id once inserted."""

    kind: str
    ext: str


def target(kind_name: str, row: Row, ex: Existing, plan: Plan | None = None) -> dict[str, Any]:
    """The ledger's column values for `row`: external ids of other records resolved to
    database ids, or NewRef for records this import adds."""
    kind = KINDS[kind_name]
    values = row.values
    out: dict[str, Any] = {"external_id": values["id"]}
    for col in kind.columns:
        if col.name == "id":
            continue
        value = values[col.name]
        if col.ref and value is not None:
            value = _resolve(ex, col.ref, value)
        out[col.name] = value
    if plan is not None and kind_name == "invoices" and not ex.has("invoices", values["id"]):
        out["amount_paid"] = plan.paid_new.get(values["id"], ZERO)
    return out


def _resolve(ex: Existing, kind: str, ext: str) -> Any:
    db_id = ex.id_of(kind, ext)
    return NewRef(kind, ext) if db_id is None else db_id
