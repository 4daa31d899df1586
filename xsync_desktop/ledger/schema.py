"""The export format: which record types exist, their columns, and how each is read.

Column names are the ledger's own field names, except that `id` is the export's
id for the record (stored as `external_id`) and `*_id` columns hold the export's
ids of other records. The same names are CSV headers and JSON keys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any

from . import rules
from .parsing import (
    FieldError,
    parse_choice,
    parse_currency,
    parse_date,
    parse_email,
    parse_identifier,
    parse_money,
    parse_positive_int,
    parse_text,
)


@dataclass(frozen=True)
class Column:
    name: str
    parse: Callable[[str], Any]
    required: bool = True
    default: Any = None
    # For `*_id` columns: the record type the id refers to.
    ref: str | None = None
    # Free text (names, references...): invisible characters are kept but reported as a warning.
    free_text: bool = False
    # How a large import keeps one object per repeated value (sources.SharedValues):
    # "id" for ids (a record's own and the references to it), "cache" for amounts, dates
    # and choices, "none" for text that rarely repeats (names, numbers, descriptions).
    shared: str = "cache"


@dataclass(frozen=True)
class Kind:
    """One record type: `customers`, `invoice_lines`..."""

    name: str
    columns: tuple[Column, ...]
    # The columns that identify a row within its type (the export id, or parent + line_no).
    key: tuple[str, ...] = ("id",)
    # Columns checked for uniqueness across the ledger (besides the key).
    unique: tuple[str, ...] = ()

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    @cached_property
    def required_names(self) -> frozenset[str]:
        return frozenset(c.name for c in self.columns if c.required)

    @cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @cached_property
    def index(self) -> dict[str, int]:
        """Column name -> position in a row's values tuple (sources.Values)."""
        return {c.name: i for i, c in enumerate(self.columns)}

    @property
    def label(self) -> str:
        """Singular, for messages: "invoice", "credit note line"."""
        return SINGULAR[self.name]


def _text(max_len: int, what: str = "text") -> Callable[[str], str]:
    return partial(parse_text, max_len=max_len, what=what)


def _identifier(max_len: int, what: str) -> Callable[[str], str]:
    return partial(parse_identifier, max_len=max_len, what=what)


def _number(name: str, max_len: int, what: str) -> Column:
    """A document or customer number, a unit code: unique, so not worth sharing."""
    return Column(name, _identifier(max_len, what), shared="none")


def _free(name: str, max_len: int, what: str, required: bool = True, shared: str = "none") -> Column:
    return Column(name, _text(max_len, what), required=required, free_text=True, shared=shared)


_ID = _identifier(rules.EXTERNAL_ID_MAX, "id")
_money = partial(parse_money, places=2)
_signed_money = partial(parse_money, places=2, allow_negative=True)


def _positive_money(text: str, what: str = "amount") -> Any:
    value = parse_money(text, places=2, what=what)
    if value == 0:
        raise FieldError(f"{what} must be more than 0")
    return value


def _id(name: str = "id", ref: str | None = None, required: bool = True) -> Column:
    return Column(name, _ID, required=required, ref=ref, shared="id")


def _status(text: str) -> str:
    return parse_choice(text, rules.STATUSES, "status")


def _currency(text: str) -> str:
    return parse_currency(text, rules.CURRENCIES)


def _charge_type(text: str) -> str:
    return parse_choice(text, rules.CHARGE_TYPES, "charge type")


def _method(text: str) -> str:
    return parse_choice(text, rules.PAYMENT_METHODS, "payment method")


def _quantity(text: str) -> Any:
    value = parse_money(text, places=4, what="quantity")
    if value == 0:
        raise FieldError("quantity must be more than 0")
    return value


def _line_columns(parent: str, parent_kind: str) -> tuple[Column, ...]:
    return (
        _id(parent, ref=parent_kind),
        Column("line_no", parse_positive_int),
        Column("charge_type", _charge_type),
        # Lines repeat descriptions ("Contents protection", a unit's rent each month): shared.
        _free("description", rules.LINE_DESCRIPTION_MAX, "description", shared="cache"),
        Column("quantity", _quantity),
        Column("unit_amount", partial(parse_money, places=4, allow_negative=True, what="unit amount")),
        Column("tax_amount", partial(parse_money, places=2, allow_negative=True, what="tax amount")),
        Column("line_amount", partial(parse_money, places=2, allow_negative=True, what="line amount")),
    )


def _document_totals() -> tuple[Column, ...]:
    return (
        Column("subtotal", partial(_money, what="subtotal")),
        Column("tax_total", partial(_money, what="tax total")),
        Column("total", partial(_money, what="total")),
    )


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("facilities", (_id(), _free("name", rules.FACILITY_NAME_MAX, "name"))),
        Kind(
            "customers",
            (
                _id(),
                _number("customer_number", rules.CUSTOMER_NUMBER_MAX, "customer number"),
                _free("name", rules.CONTACT_NAME_MAX, "name"),
                Column("email", partial(parse_email, max_len=rules.EMAIL_MAX), required=False, shared="none"),
                _free("phone", rules.PHONE_MAX, "phone", required=False),
                _free("address", rules.ADDRESS_MAX, "address", required=False),
            ),
            unique=("customer_number",),
        ),
        Kind(
            "units",
            (
                _id(),
                _id("facility_id", ref="facilities"),
                _number("code", rules.UNIT_CODE_MAX, "unit code"),
                _free("size", rules.UNIT_SIZE_MAX, "size", required=False),
            ),
        ),
        Kind(
            "tenancies",
            (
                _id(),
                _id("customer_id", ref="customers"),
                _id("unit_id", ref="units"),
                Column("start_date", parse_date),
                Column("end_date", parse_date, required=False),
                Column("monthly_rent", partial(_money, what="monthly rent")),
            ),
        ),
        Kind(
            "invoices",
            (
                _id(),
                _number("number", rules.DOCUMENT_NUMBER_MAX, "invoice number"),
                _id("customer_id", ref="customers"),
                _id("tenancy_id", ref="tenancies", required=False),
                _id("facility_id", ref="facilities", required=False),
                Column("issue_date", parse_date),
                Column("due_date", parse_date),
                Column("currency", _currency),
                Column("status", _status, required=False, default="authorised"),
                _free("reference", rules.REFERENCE_MAX, "reference", required=False),
                *_document_totals(),
            ),
            unique=("number",),
        ),
        Kind("invoice_lines", _line_columns("invoice_id", "invoices"), key=("invoice_id", "line_no")),
        Kind(
            "payments",
            (
                _id(),
                _id("invoice_id", ref="invoices"),
                Column("date", parse_date),
                Column("amount", _positive_money),
                Column("method", _method),
                _free("reference", rules.REFERENCE_MAX, "reference", required=False),
            ),
        ),
        Kind(
            "credit_notes",
            (
                _id(),
                _number("number", rules.DOCUMENT_NUMBER_MAX, "credit note number"),
                _id("customer_id", ref="customers"),
                _id("facility_id", ref="facilities", required=False),
                Column("issue_date", parse_date),
                Column("currency", _currency),
                Column("status", _status, required=False, default="authorised"),
                _free("reference", rules.REFERENCE_MAX, "reference", required=False),
                *_document_totals(),
            ),
            unique=("number",),
        ),
        Kind(
            "credit_note_lines",
            _line_columns("credit_note_id", "credit_notes"),
            key=("credit_note_id", "line_no"),
        ),
        Kind(
            "credit_allocations",
            (
                _id(),
                _id("credit_note_id", ref="credit_notes"),
                _id("invoice_id", ref="invoices"),
                Column("date", parse_date),
                Column("amount", _positive_money),
            ),
        ),
    )
}

SINGULAR = {
    "facilities": "facility",
    "customers": "customer",
    "units": "unit",
    "tenancies": "tenancy",
    "invoices": "invoice",
    "invoice_lines": "invoice line",
    "payments": "payment",
    "credit_notes": "credit note",
    "credit_note_lines": "credit note line",
    "credit_allocations": "credit allocation",
}

# Order in which records are written: every record after the records it refers to.
WRITE_ORDER: tuple[str, ...] = tuple(KINDS)


def kind_for_header(header: list[str]) -> Kind | None:
    """The record type whose required columns a CSV header holds; the most specific wins.

    Used when a file's name does not say what it is ("export-2024-06.csv").
    """
    names = {h.strip().lower() for h in header}
    fits = [k for k in KINDS.values() if k.required_names <= names]
    if not fits:
        return None
    fits.sort(key=lambda k: len(k.required_names), reverse=True)
    if len(fits) > 1 and len(fits[0].required_names) == len(fits[1].required_names):
        return None
    return fits[0]


def kind_for_filename(stem: str) -> Kind | None:
    """`invoices.csv`, `Invoice-Lines.csv` and `2024-06 invoices.csv` all name their type."""
    norm = stem.strip().lower().replace("-", "_").replace(" ", "_")
    if norm in KINDS:
        return KINDS[norm]
    # The longest type name the file name ends with: "june_invoice_lines" is lines, not invoices.
    for name in sorted(KINDS, key=len, reverse=True):
        if norm.endswith("_" + name):
            return KINDS[name]
    return None
