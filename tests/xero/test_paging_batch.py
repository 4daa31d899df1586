from __future__ import annotations

import pytest

from xsync_desktop.xero.batch import element_results, validation_messages
from xsync_desktop.xero.paging import RepeatedPage, iter_pages


def _pages(n_items: int, size: int) -> dict[int, dict]:
    items = [{"InvoiceID": f"id-{i}"} for i in range(n_items)]
    return {p + 1: {"Invoices": items[p * size:(p + 1) * size]} for p in range(n_items // size + 1)}


def test_stops_on_short_page() -> None:
    pages = _pages(5, 2)
    fetched = []

    def fetch(page: int) -> dict:
        fetched.append(page)
        return pages[page]

    assert [i["InvoiceID"] for i in iter_pages(fetch, "Invoices", 2)] == [f"id-{i}" for i in range(5)]
    assert fetched == [1, 2, 3]


def test_exact_multiple_stops_on_empty_page() -> None:
    pages = _pages(4, 2)
    assert len(list(iter_pages(lambda p: pages[p], "Invoices", 2))) == 4


def test_repeated_page_raises() -> None:
    same = {"Invoices": [{"InvoiceID": "a"}, {"InvoiceID": "b"}]}
    with pytest.raises(RepeatedPage):
        list(iter_pages(lambda p: same, "Invoices", 2))


def test_element_results() -> None:
    body = {"Invoices": [
        {"InvoiceID": "x", "StatusAttributeString": "OK"},
        {"StatusAttributeString": "ERROR", "HasErrors": True, "ValidationErrors": [{"Message": "Invoice # must be unique."}]},
        {"StatusAttributeString": "WARNING", "Warnings": [{"Message": "Rounded"}]},
    ]}
    r = element_results(body, "Invoices")
    assert [e.ok for e in r] == [True, False, True]
    assert r[1].messages == ["Invoice # must be unique."] and r[1].index == 1
    assert r[2].warnings == ["Rounded"]


def test_validation_messages() -> None:
    body = {"ErrorNumber": 10, "Type": "ValidationException", "Message": "A validation exception occurred",
            "Elements": [{"ValidationErrors": [{"Message": "Contact name must be unique"}]}]}
    assert validation_messages(body) == ["Contact name must be unique"]
    assert validation_messages({"Message": "Bad"}) == ["Bad"]


def test_query_conventions() -> None:
    from datetime import date

    from xsync_desktop.xero.client import _query

    assert _query({"Statuses": ["AUTHORISED", "PAID"], "includeArchived": True, "x": None, "d": date(2024, 1, 2)}) == {
        "Statuses": "AUTHORISED,PAID", "includeArchived": "true", "d": "2024-01-02"}
