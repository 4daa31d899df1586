"""Status accents and time formats shared by the table models.

The accents are the only fixed colours in the app: mid-tone hues readable on
both a light and a dark palette. Everything else uses palette roles.
"""

from __future__ import annotations

from datetime import datetime

from ...store.states import ItemOutcome, RunOutcome
from ..qt import QtGui

#: the runs list's word for a failed run whose failures were all retried or skipped since (never stored)
SETTLED = "settled"

# Keyed by run and item outcomes alike: the two share "succeeded" and "failed" (a StrEnum member
# is its string, so either enum's member, or the stored string, finds the same entry).
OUTCOME_COLOURS: dict[str, str] = {
    RunOutcome.SUCCEEDED: "#2e9d5b",
    RunOutcome.FAILED: "#d64545",
    RunOutcome.CANCELLED: "#c07a1a",
    RunOutcome.PAUSED: "#c07a1a",
    ItemOutcome.NEEDS_REVIEW: "#c07a1a",
    ItemOutcome.SKIPPED: "#8a8f98",
    RunOutcome.RUNNING: "#3a7bd5",
    ItemOutcome.PENDING: "#3a7bd5",
}
OUTCOME_LABELS: dict[str, str] = {
    RunOutcome.SUCCEEDED: "Succeeded",
    RunOutcome.FAILED: "Failed",
    ItemOutcome.SKIPPED: "Skipped",
    ItemOutcome.NEEDS_REVIEW: "Needs review",
    ItemOutcome.PENDING: "In progress",
    RunOutcome.RUNNING: "Running",
    RunOutcome.CANCELLED: "Cancelled",
    RunOutcome.PAUSED: "Paused",
    SETTLED: "Settled",
}
ENTITY_LABELS = {
    "contact": "Contact",
    "invoice": "Invoice",
    "credit_note": "Credit note",
    "allocation": "Allocation",
    "payment": "Payment",
}


def outcome_brush(outcome: str | None) -> QtGui.QBrush | None:
    colour = OUTCOME_COLOURS.get(outcome or "")
    return QtGui.QBrush(QtGui.QColor(colour)) if colour else None


def local_time(moment: datetime | None, seconds: bool = True) -> str:
    if moment is None:
        return ""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def relative_time(moment: datetime | None, now: datetime | None = None) -> str:
    """'2 min ago', '1 hr ago', 'Yesterday' - the product page's wording."""
    if moment is None:
        return "never"
    now = now or datetime.now(moment.tzinfo)
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} hr ago"
    if seconds < 2 * 86400:
        return "Yesterday"
    return moment.astimezone().strftime("%d %b %Y")


def duration_text(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return ""
    seconds = max(0, int((end - start).total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
