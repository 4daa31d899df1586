"""Times as the people reading an export see them: local time, with the zone named.

The database keeps UTC; a PDF signed-off line or a CSV handed to an accountant says the
office's own time and which zone that is, so nobody has to guess whether 03:28 was UTC.
"""

from __future__ import annotations

from datetime import datetime


def local_stamp(moment: datetime | None, seconds: bool = False) -> str:
    """'2026-11-29 16:28 NZDT (UTC+13:00)': local time, the zone's name and its offset."""
    if moment is None:
        return ""
    local = moment.astimezone()
    offset = local.strftime("%z")
    offset = f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"
    zone = local.tzname() or ""
    shown = local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    return f"{shown} {zone} ({offset})" if zone and zone != offset else f"{shown} ({offset})"


def local_iso(moment: datetime | None) -> str:
    """ISO 8601 in local time with its offset ('2026-11-29T16:28:05+13:00'), for CSV columns."""
    return moment.astimezone().isoformat(timespec="seconds") if moment is not None else ""
