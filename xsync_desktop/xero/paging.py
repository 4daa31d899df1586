"""Walking Xero's paged lists safely.

Xero pages with ``page=N`` (and ``pageSize`` up to 1000 since July 2024).  We stop
on a short page or when ``pagination.pageCount`` says so, and raise if a page
repeats: an endpoint that ignores ``page`` would otherwise loop forever.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from typing import Any

from .errors import XeroError

MAX_PAGE_SIZE = 1000


class RepeatedPage(XeroError):
    def __init__(self, collection: str, page: int) -> None:
        super().__init__(
            f"Xero returned the same {collection} twice while paging; the sync stopped to avoid looping. "
            "Try again later.",
            detail=f"page {page}",
        )


def _id_key(collection: str) -> str:
    singular = collection[:-1] if collection.endswith("s") else collection
    return f"{singular}ID"


def page_fingerprint(collection: str, items: list[Any]) -> str:
    key = _id_key(collection)
    ids = [str(i.get(key)) if isinstance(i, dict) and i.get(key) else repr(i) for i in items]
    return hashlib.sha256("\n".join(ids).encode("utf-8")).hexdigest()


def iter_pages(
    fetch: Callable[[int], dict[str, Any]], collection: str, page_size: int
) -> Iterator[dict[str, Any]]:
    """Yield every element of ``collection``; ``fetch(page)`` returns one decoded response."""
    seen: set[str] = set()
    page = 1
    while True:
        body = fetch(page)
        items = [i for i in (body.get(collection) or [])]
        if not items:
            return
        fingerprint = page_fingerprint(collection, items)
        if fingerprint in seen:
            raise RepeatedPage(collection, page)
        seen.add(fingerprint)
        yield from items
        pagination = body.get("pagination") or {}
        page_count = pagination.get("pageCount") if isinstance(pagination, dict) else None
        if len(items) < page_size or (isinstance(page_count, int) and page >= page_count):
            return
        page += 1
