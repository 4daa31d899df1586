"""The sync settings a person may change (Settings page, `xsync-desktop config`), one set of rules.

Each setting has its key in the database (store/settings.py), a title, the line that says
what changing it does, and a parser that accepts the values the engine understands and
refuses anything else with a sentence saying what would be accepted. The Settings page
and the command line both go through `parse_changes` then `save_changes`: every value is
checked before any is written, so a bad value leaves the database as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from .. import activity
from ..store.settings import get_setting, set_setting

SCHEDULE_MAX_MINUTES = 24 * 60
SCHEDULE_MIN_MINUTES = 5  # more often would spend Xero's daily call limit on nothing


class SettingError(ValueError):
    """A value (or key) that cannot be saved; the message says what would be accepted."""


def _choice(key: str, allowed: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        wanted = text.strip().casefold()
        for value in allowed:
            if value.casefold() == wanted:
                return value
        raise SettingError(f"{key}: {text.strip()!r} is not allowed; use one of {', '.join(allowed)}.")
    return parse


def _start_date(text: str) -> str | None:
    text = text.strip()
    if not text:
        return None  # no start date: everything is sent
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise SettingError(f"sync_start_date: {text!r} is not a date; write it as YYYY-MM-DD "
                           "(e.g. 2026-01-01), or leave it empty to send every record.") from None


def _schedule(text: str) -> str:
    text = text.strip() or "0"
    if not text.isdigit() or not (int(text) == 0 or SCHEDULE_MIN_MINUTES <= int(text) <= SCHEDULE_MAX_MINUTES):
        raise SettingError(f"schedule_minutes: {text!r} is not allowed; use 0 (off) or a number of minutes from "
                           f"{SCHEDULE_MIN_MINUTES} to {SCHEDULE_MAX_MINUTES}.")
    return str(int(text))


@dataclass(frozen=True)
class SettingSpec:
    key: str
    title: str
    explains: str  # one line: what changing it does
    parse: Callable[[str], str | None]
    choices: tuple[str, ...] = ()


SYNC_SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec("invoice_status", "New invoices in Xero",
                "AUTHORISED: invoices and credit notes are approved in Xero at once and take payments. "
                "DRAFT: they wait for the bookkeeper to approve them in Xero, and a payment on one fails until "
                "it is approved (then retry it).",
                _choice("invoice_status", ("AUTHORISED", "DRAFT")), ("AUTHORISED", "DRAFT")),
    SettingSpec("line_amount_types", "Line amounts",
                "How the ledger's line amounts reach Xero: Exclusive (before tax, Xero adds it), Inclusive "
                "(tax included) or NoTax. Changing it re-sends the unpaid invoices already in Xero.",
                _choice("line_amount_types", ("Exclusive", "Inclusive", "NoTax")),
                ("Exclusive", "Inclusive", "NoTax")),
    SettingSpec("sync_start_date", "Sync start date",
                "Nothing dated before it is sent to Xero (YYYY-MM-DD; empty: every record), for books that "
                "already hold the months before it.",
                _start_date),
    SettingSpec("schedule_minutes", "Scheduled sync",
                f"While the app is open, sync every this many minutes (0: off; {SCHEDULE_MIN_MINUTES} to "
                f"{SCHEDULE_MAX_MINUTES}).",
                _schedule),
)
BY_KEY: dict[str, SettingSpec] = {s.key: s for s in SYNC_SETTINGS}


def current_settings(session: Session) -> dict[str, str | None]:
    """Every sync setting's value as the engine will read it (the default where none was saved)."""
    return {s.key: get_setting(session, s.key) for s in SYNC_SETTINGS}


def parse_changes(values: Mapping[str, str]) -> dict[str, str | None]:
    """Check every key and value; the normalised values, or SettingError naming every problem."""
    problems: list[str] = []
    out: dict[str, str | None] = {}
    for key, text in values.items():
        spec = BY_KEY.get(key.strip())
        if spec is None:
            problems.append(f"{key.strip()!r} is not a setting; the settings are {', '.join(BY_KEY)}.")
            continue
        try:
            out[spec.key] = spec.parse(text)
        except SettingError as exc:
            problems.append(str(exc))
    if problems:
        raise SettingError(" ".join(problems))
    return out


def parse_assignments(pairs: Iterable[str]) -> dict[str, str | None]:
    """`key=value` strings (the command line's form) checked as `parse_changes` does."""
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SettingError(f"{pair!r} is not key=value (e.g. invoice_status=DRAFT).")
        values[key.strip()] = value
    return parse_changes(values)


def save_changes(session: Session, changes: Mapping[str, str | None], who: str = "") -> dict[str, str | None]:
    """Write the (already parsed) changes; returns the ones that differ from before, each logged."""
    before = current_settings(session)
    changed = {k: v for k, v in changes.items() if before.get(k) != v}
    for key, value in changed.items():
        set_setting(session, key, value)
        activity.log.info("Setting %s changed from %s to %s%s", key, before.get(key) or "(none)", value or "(none)",
                 f" by {who}" if who else "")
    return changed
