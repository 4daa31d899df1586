"""Reading a big table a page at a time, so a run's memory holds a page of the ledger, not all of it.

Keyset paging (id > the last id seen, never OFFSET): each page costs what the first does.
The session holds unchanged objects weakly (expire_on_commit is off, but the identity map
is weak), so a page the caller kept nothing of is freed once the next is read; a caller
that needs records later keeps their ids and loads them again in slices (`slices`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

PAGE = 1000
# Records loaded, built and sent at a time: a multiple of the batch size (50), so batches stay full.
SLICE = 500


def iter_pages(session: Session, model: Any, *criteria: Any, options: tuple[Any, ...] = (),
               page: int | None = None, on_page: Callable[[list[Any]], None] | None = None) -> Iterator[Any]:
    """Every row of `model` matching `criteria`, in id order, `page` (default PAGE) rows per query.

    `on_page` sees each page before its rows are yielded: the caller reads what the page's rows
    need (their links: LinkBook.prefetch) in one query instead of one per row.
    """
    page = page or PAGE
    after = 0
    while True:
        rows = list(session.scalars(select(model).options(*options).where(model.id > after, *criteria)
                                    .order_by(model.id).limit(page)))
        if on_page is not None and rows:
            on_page(rows)
        yield from rows
        if len(rows) < page:
            return
        after = rows[-1].id
        del rows


def by_ids(session: Session, model: Any, ids: list[int], options: tuple[Any, ...] = ()) -> list[Any]:
    """These rows, in the order of `ids` (missing ones left out)."""
    found = {r.id: r for r in session.scalars(select(model).options(*options).where(model.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def slices(ids: list[Any], size: int | None = None) -> Iterator[list[Any]]:
    size = size or SLICE
    for start in range(0, len(ids), size):
        yield ids[start:start + size]
