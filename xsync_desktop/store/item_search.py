"""Text search over sync items that uses the full-text index (migration 0004) where there is one.

The Runs view filters a run's items by a piece of text found anywhere in the label, the
message, Xero's messages or the Xero id (case-insensitive substring). On SQLite that is a
MATCH on the trigram FTS5 table, which answers from the index instead of reading every
item; text shorter than three characters (which trigrams cannot index) and every other
database use ILIKE (on PostgreSQL served by the pg_trgm indexes when the extension exists).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, cast, column, literal_column, or_, select, table

from .sync_models import SyncItem

MIN_INDEXED = 3  # a trigram index finds substrings of three characters or more
_FTS = table("sync_item_fts", column("rowid"))


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _phrase(text: str) -> str:
    """FTS5 query for the text as one literal phrase (a trigram phrase matches it as a substring)."""
    return '"' + text.replace('"', '""') + '"'


def uses_index(text: str, dialect: str | None) -> bool:
    return dialect == "sqlite" and len(text) >= MIN_INDEXED


def run_condition(run_id: int, text: str, dialect: str | None) -> Any:
    """The item belongs to the run. With an indexed search, written so SQLite cannot use the run's
    index for it (`run_id + 0`): otherwise it reads every item of the run and checks each against
    the matches, instead of fetching only the matches by id."""
    if uses_index(text, dialect):
        return (SyncItem.run_id + 0) == run_id
    return SyncItem.run_id == run_id


def item_text_condition(text: str, dialect: str | None) -> Any:
    """A WHERE clause: the item contains `text` (already stripped, non-empty) in any searched column."""
    if uses_index(text, dialect):
        matching = select(_FTS.c.rowid).where(literal_column("sync_item_fts").op("MATCH")(_phrase(text)))
        return SyncItem.id.in_(matching)
    pattern = _like(text)
    return or_(
        SyncItem.label.ilike(pattern, escape="\\"),
        SyncItem.message.ilike(pattern, escape="\\"),
        cast(SyncItem.xero_messages, String).ilike(pattern, escape="\\"),
        SyncItem.xero_id.ilike(pattern, escape="\\"),
    )
