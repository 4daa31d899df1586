"""Turning one export cell into a typed value, or a message a person can act on.

Money is parsed from its text straight into Decimal: a float never exists, so
0.1 + 0.2 stays 0.30. Scientific notation, NaN, thousands separators and extra
decimal places are refused rather than guessed at: an export that writes them is
not saying what it means.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

_NUMBER = re.compile(r"^[+-]?\d+(?:\.(\d+))?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INT = re.compile(r"^\d+$")
# Deliberately loose: the operator's system owns addresses; we only stop obvious junk
# that Xero would refuse (it rejects addresses without "@" or with spaces).
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class FieldError(ValueError):
    """A cell that cannot be used; the text is shown to people as the reason."""


# Control characters (NUL and friends) never belong in billing text, and some of them
# break Xero's XML-backed storage or a CSV export later; tab/newline are allowed.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Larger than any amount a storage business bills, far below what makes Decimal slow.
MAX_MONEY_DIGITS = 15


def cell_text(raw: Any) -> str:
    """Normalise what a CSV or JSON cell holds to stripped text ("" when empty)."""
    if raw is None:
        return ""
    if isinstance(raw, str):
        bad = _CONTROL.search(raw)
        if bad:
            raise FieldError(f"contains a control character (code {ord(bad.group())}); remove it and import again")
        return raw.strip()
    if isinstance(raw, bool):
        raise FieldError(f"expected text or a number, found {str(raw).lower()}")
    if isinstance(raw, list | dict):
        raise FieldError("expected a single value, found a " + ("list" if isinstance(raw, list) else "object"))
    return str(raw).strip()


def parse_text(text: str, *, max_len: int, what: str = "text") -> str:
    if len(text) > max_len:
        raise FieldError(f"{what} is {len(text)} characters long; Xero accepts at most {max_len}")
    return text


def parse_money(
    text: str, *, places: int = 2, allow_negative: bool = False, what: str = "amount"
) -> Decimal:
    match = _NUMBER.match(text)
    if match is None:
        hint = "write it like 1234.50 (no currency sign, no thousands separator, no exponent)"
        raise FieldError(f'{what} "{text}" is not a number; {hint}')
    decimals = match.group(1) or ""
    if sum(ch.isdigit() for ch in text) > MAX_MONEY_DIGITS:
        raise FieldError(f'{what} has {sum(ch.isdigit() for ch in text)} digits; at most {MAX_MONEY_DIGITS} are accepted')
    if len(decimals) > places:
        raise FieldError(f'{what} "{text}" has more than {places} decimal places')
    value = Decimal(text)
    if value < 0 and not allow_negative:
        raise FieldError(f'{what} "{text}" is negative')
    return value


def parse_date(text: str) -> date:
    if not _DATE.match(text):
        raise FieldError(f'"{text}" is not a date in the form YYYY-MM-DD')
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FieldError(f'"{text}" is not a real date') from None


def parse_positive_int(text: str) -> int:
    if not _INT.match(text) or int(text) < 1:
        raise FieldError(f'"{text}" is not a whole number of 1 or more')
    return int(text)


def parse_choice(text: str, allowed: Iterable[str], what: str) -> str:
    value = text.lower()
    options = tuple(allowed)
    if value not in options:
        raise FieldError(f'unknown {what} "{text}"; allowed: {", ".join(options)}')
    return value


def parse_currency(text: str, allowed: Iterable[str]) -> str:
    value = text.upper()
    if value not in set(allowed):
        raise FieldError(f'currency "{text}" is not supported; use an ISO 4217 code such as NZD, AUD or USD')
    return value


def parse_email(text: str, *, max_len: int) -> str:
    parse_text(text, max_len=max_len, what="email")
    if not _EMAIL.match(text):
        raise FieldError(f'"{text}" is not an email address')
    return text
