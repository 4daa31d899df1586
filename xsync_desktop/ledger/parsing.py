"""Turning one export cell into a typed value, or a message a person can act on.

Money is parsed from its text straight into Decimal: a float never exists, so
0.1 + 0.2 stays 0.30. Scientific notation, NaN, thousands separators and extra
decimal places are refused rather than guessed at: an export that writes them is
not saying what it means.
"""

from __future__ import annotations

import re
import unicodedata
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
    """Normalise what a CSV or JSON cell holds to stripped NFC text ("" when empty).

    NFC: "é" typed as one character and as "e" + a combining accent are the same text to a
    person, so they must be the same value here (one customer number, not two).
    """
    if raw is None:
        return ""
    if isinstance(raw, str):
        bad = _CONTROL.search(raw)
        if bad:
            raise FieldError(f"contains a control character (code {ord(bad.group())}); remove it and import again")
        return unicodedata.normalize("NFC", raw).strip()
    if isinstance(raw, bool):
        raise FieldError(f"expected text or a number, found {str(raw).lower()}")
    if isinstance(raw, list | dict):
        raise FieldError("expected a single value, found a " + ("list" if isinstance(raw, list) else "object"))
    return str(raw).strip()


def parse_text(text: str, *, max_len: int, what: str = "text") -> str:
    if len(text) > max_len:
        raise FieldError(f"{what} is {len(text)} characters long; Xero accepts at most {max_len}")
    return text


# Unicode categories that show nothing (or only move text about) yet make two values differ:
# format characters (zero-width space and joiners, BOM, bidi overrides such as RLO), controls,
# line/paragraph separators, and surrogates a JSON escape can smuggle in.
_INVISIBLE_IN_IDS = frozenset({"Cf", "Cc", "Zl", "Zp", "Cs"})
# In names they may be wanted (a joiner in a Persian or Indic name) but still deserve a look.
_INVISIBLE_IN_TEXT = frozenset({"Cf", "Zl", "Zp", "Cs"})


def _describe_char(ch: str) -> str:
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed character')}"


def invisible_characters(text: str, *, identifier: bool = False) -> list[str]:
    """The invisible characters in `text`, described as "U+200B ZERO WIDTH SPACE" (first of each).

    In an identifier a space other than the plain one (no-break, thin, ideographic...) counts
    too: "INV 1" and "INV\u00a01" look identical and are different numbers.
    """
    cats = _INVISIBLE_IN_IDS if identifier else _INVISIBLE_IN_TEXT
    found: dict[str, None] = {}
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in cats or (identifier and cat == "Zs" and ch != " "):
            found.setdefault(_describe_char(ch), None)
    return list(found)


def parse_identifier(text: str, *, max_len: int, what: str) -> str:
    """An id or number: NFC text (cell_text made it so) without invisible characters.

    Xero compares numbers character by character: "INV-1" and "INV-1" with a zero-width
    space are two invoices that look like one duplicate to the bookkeeper.
    """
    parse_text(text, max_len=max_len, what=what)
    hidden = invisible_characters(text, identifier=True)
    if hidden:
        raise FieldError(f"{what} contains an invisible character ({', '.join(hidden)}); it would look "
                         f"like another {what} in Xero. Remove it in the billing system and import again")
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
    hidden = invisible_characters(text, identifier=True)
    if hidden:  # contacts are matched by email: an invisible character makes it another address
        raise FieldError(f"email contains an invisible character ({', '.join(hidden)}); remove it in the billing "
                         "system and import again")
    return text
