"""A bookkeeping month ('2024-03') as the date range the checklist and the Xero comparison read.

Its own module because both the checklist and verify need it, and the checklist reads
verify's results: neither may import the other for it.
"""

from __future__ import annotations

from datetime import date


def month_bounds(month: str) -> tuple[date, date]:
    """'2024-03' -> (2024-03-01, 2024-04-01): start inclusive, end exclusive."""
    try:
        year, mon = (int(p) for p in month.split("-"))
        start = date(year, mon, 1)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"month must be YYYY-MM, not {month!r}") from exc
    end = date(year + 1, 1, 1) if mon == 12 else date(year, mon + 1, 1)
    return start, end
