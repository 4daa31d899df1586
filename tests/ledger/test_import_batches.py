"""An import larger than one write batch or one read chunk: every row written, every
cross-file rule still seen across batch borders, nothing written when a rule fails.

Issue 16 made the import write in batches (apply.WRITE_BATCH rows a statement, all in one
transaction), read JSON one item at a time in chunks of text (json_stream), and compare
the ledger's records while loading them. The sizes here are set small so a 40-invoice
demo ledger crosses many borders; the benchmark (tests/perf/bench_import.py) runs 50,000.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.fixtures.ledger import ledger_counts, ledger_snapshot
from tests.ledger.helpers import find_rejection
from xsync_desktop.ledger import import_files, json_stream
from xsync_desktop.ledger.demo import generate_demo_ledger
from xsync_desktop.ledger.export import export_ledger_csv, export_ledger_json
from xsync_desktop.profile import Profile
from xsync_desktop.store.models import Invoice, InvoiceLine, Payment
from xsync_desktop.store.store import open_store

BATCH = 7  # rows a write statement: far below the demo ledger's 40 invoices and ~75 lines


@pytest.fixture
def export(tmp_path: Path) -> dict[str, Any]:
    """A 40-invoice demo ledger made in another profile (the billing system), exported as a
    JSON document and as a CSV set, with its own counts and amounts to compare with."""
    profile = Profile(tmp_path / "billing system").ensure()
    source = open_store(profile.database_url, profile.backups_dir)
    try:
        with source.sessions.begin() as s:
            generate_demo_ledger(s, invoices=40, seed=11, today=date(2025, 6, 15))
        with source.sessions() as s:
            export_ledger_json(s, tmp_path / "ledger.json")
            export_ledger_csv(s, tmp_path / "csv")
        counts = ledger_counts(source)
        paid = _amounts(source)
    finally:
        source.close()
    return {"json": tmp_path / "ledger.json", "csv": sorted((tmp_path / "csv").glob("*.csv")),
            "counts": counts, "paid": paid}


def _amounts(store) -> dict[str, tuple[Any, ...]]:
    with store.sessions() as s:
        rows = s.execute(select(Invoice.external_id, Invoice.number, Invoice.total, Invoice.amount_paid,
                                Invoice.amount_credited)).all()
        return {r[0]: tuple(r[1:]) for r in rows}


@pytest.fixture
def small_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """JSON text read 64 characters at a time, so items are cut across chunk borders."""
    monkeypatch.setattr(json_stream, "CHUNK_CHARS", 64)


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_every_row_is_written_across_batches_and_a_reimport_finds_all_unchanged(
        store, export: dict[str, Any], small_reads: None, fmt: str) -> None:
    files = [export["json"]] if fmt == "json" else export["csv"]
    report = import_files(store, files, batch=BATCH)
    assert report.ok and report.committed, report.summary_text(10)
    counts = ledger_counts(store)
    expected = dict(export["counts"], ImportBatch=1)
    assert counts == expected
    assert counts["Invoice"] == 40 and counts["InvoiceLine"] > 5 * BATCH and counts["Payment"] > 3 * BATCH
    assert _amounts(store) == export["paid"]  # every payment and allocation summed onto its invoice
    with store.sessions() as s:  # each line on its own invoice, not shifted by a batch
        lines = s.execute(select(Invoice.external_id, InvoiceLine.line_no, InvoiceLine.line_amount)
                          .join(InvoiceLine, InvoiceLine.invoice_id == Invoice.id)).all()
    assert len({(ext, no) for ext, no, _ in lines}) == counts["InvoiceLine"]

    before = ledger_snapshot(store)
    again = import_files(store, files, batch=BATCH)
    assert again.ok and (again.added, again.updated) == (0, 0)
    assert again.unchanged == report.added
    assert ledger_snapshot(store) == before


def _doc(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _write(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    return path


def test_a_reference_and_a_duplicate_far_apart_are_refused_and_nothing_is_written(
        store, export: dict[str, Any], small_reads: None, tmp_path: Path) -> None:
    doc = _doc(export["json"])
    last_payment = len(doc["payments"])
    doc["payments"][-1]["invoice_id"] = "inv_gone"  # refers to an invoice in neither file nor ledger
    doc["invoices"][-1]["id"] = doc["invoices"][0]["id"]  # the first invoice's id again, 39 items on
    doc["invoices"][-1]["number"] = "INV-LAST"
    report = import_files(store, [_write(tmp_path / "bad.json", doc)], batch=BATCH)
    assert not report.ok and not report.committed
    find_rejection(report, "bad.json", last_payment, "invoice_id", "is neither in this import nor already in the ledger")
    find_rejection(report, "bad.json", 40, "id", "appears twice (also bad.json invoices item 1)")
    assert sum(ledger_counts(store).values()) == 0


def test_an_overpayment_split_over_batches_is_refused_with_nothing_written(
        store, export: dict[str, Any], tmp_path: Path) -> None:
    """Payments on one invoice, spread through the file, that together pass its total."""
    import_files(store, [export["json"]], batch=BATCH)
    before = ledger_snapshot(store)
    doc = _doc(export["json"])
    inv = doc["invoices"][0]
    extra = [{"id": f"pay_extra_{i}", "invoice_id": inv["id"], "date": "2025-06-01", "amount": inv["total"],
              "method": "cash"} for i in range(2)]
    doc["payments"] = [extra[0], *doc["payments"], extra[1]]
    report = import_files(store, [_write(tmp_path / "over.json", doc)], batch=BATCH)
    assert not report.ok and not report.committed
    assert any("come to" in r.reason and inv["number"] in r.reason for r in report.rejected), report.summary_text(5)
    assert ledger_snapshot(store) == before


def test_two_invoices_in_different_batches_swap_numbers(store, export: dict[str, Any], tmp_path: Path) -> None:
    import_files(store, [export["json"]], batch=BATCH)
    doc = _doc(export["json"])
    first, last = doc["invoices"][0], doc["invoices"][-1]
    first["number"], last["number"] = last["number"], first["number"]
    report = import_files(store, [_write(tmp_path / "swap.json", doc)], batch=2)
    assert report.ok and report.committed, report.summary_text(5)
    assert report.counts("invoices").updated == 2
    with store.sessions() as s:
        numbers = dict(s.execute(select(Invoice.external_id, Invoice.number)
                                 .where(Invoice.external_id.in_([first["id"], last["id"]]))).all())
    assert numbers == {first["id"]: first["number"], last["id"]: last["number"]}


def test_changed_lines_and_a_moved_payment_in_later_batches_are_written(
        store, export: dict[str, Any], tmp_path: Path) -> None:
    import_files(store, [export["json"]], batch=BATCH)
    doc = _doc(export["json"])
    paid_inv = next(p for p in reversed(doc["payments"]))  # a payment near the end, moved to another invoice
    target = next(i for i in doc["invoices"] if i["id"] != paid_inv["invoice_id"] and i["status"] == "authorised"
                  and not any(p["invoice_id"] == i["id"] for p in doc["payments"])
                  and not any(a["invoice_id"] == i["id"] for a in doc["credit_allocations"]))
    paid_inv["invoice_id"] = target["id"]
    paid_inv["amount"] = target["total"]
    line = doc["invoice_lines"][-1]  # the last line: its description only
    line["description"] = "Changed by the billing system"
    report = import_files(store, [_write(tmp_path / "changed.json", doc)], batch=BATCH)
    assert report.ok and report.committed, report.summary_text(5)
    assert (report.counts("payments").updated, report.counts("invoices").updated) == (1, 1)
    with store.sessions() as s:
        inv = s.scalars(select(Invoice).where(Invoice.external_id == target["id"])).one()
        assert str(inv.amount_paid) == target["total"]
        pay = s.scalars(select(Payment).where(Payment.external_id == paid_inv["id"])).one()
        assert pay.invoice_id == inv.id
        descriptions = s.scalars(select(InvoiceLine.description).join(Invoice)
                                 .where(Invoice.external_id == line["invoice_id"])).all()
    assert "Changed by the billing system" in descriptions


def _members(text: str, chunk: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in json_stream.members(io.StringIO(text), lambda k: k != "format", chunk=chunk,
                                          parse_float=str, parse_int=str, parse_constant=str):
        out[key] = list(value) if isinstance(value, Iterator) else value
    return out


@pytest.mark.parametrize("chunk", [1, 3, 64, 1 << 20])
def test_json_read_in_chunks_is_what_json_loads_reads(export: dict[str, Any], chunk: int) -> None:
    text = export["json"].read_text(encoding="utf-8")
    text = text.replace('"invoices"', '"format": 1.50e1, "note": "caf\\u00e9 \\"quoted\\"", "empty": [],\n"invoices"', 1)
    expected = json.loads(text, parse_float=str, parse_int=str, parse_constant=str)
    assert _members(text, chunk) == expected


@pytest.mark.parametrize("broken", [
    '{"invoices": [{"id": "a"},\n {"id": "b"} {"id": "c"}]}',
    '{"invoices": [{"id": "a"}],\n\n  "payments": [{"id": "p", "amount": 1.}]}',
    '{"invoices": [{"id": "a"}]}\n  extra',
    '{"invoices": [{"id": "a"},]}',
    '{"invoices" [1]}',
    '{"a": 1,}',
    '{"invoices": [{"id": "a"}',
])
def test_a_syntax_error_is_placed_where_json_loads_places_it(broken: str) -> None:
    with pytest.raises(json.JSONDecodeError) as want:
        json.loads(broken)
    with pytest.raises(json_stream.JsonSyntaxError) as got:
        _members(broken, 4)
    assert (got.value.msg, got.value.lineno, got.value.colno) == (want.value.msg, want.value.lineno, want.value.colno)


def test_a_csv_unreadable_part_way_keeps_none_of_its_rows(store, export: dict[str, Any], tmp_path: Path) -> None:
    """A row cut by a NUL-free but over-long field late in the file: the file's earlier rows are undone."""
    folder = tmp_path / "late error"
    folder.mkdir()
    files = []
    for path in export["csv"]:
        target = folder / path.name
        text = path.read_text(encoding="utf-8")
        if path.name == "payments.csv":
            rows = list(csv.reader(io.StringIO(text)))
            text += ",".join(["pay_big", rows[1][1], "2025-06-01", "1.00", "cash", "x" * (csv.field_size_limit() + 1)]) + "\n"
        target.write_text(text, encoding="utf-8")
        files.append(target)
    report = import_files(store, files, batch=BATCH)
    assert not report.committed
    payment_rejections = [r for r in report.rejected if r.file == "payments.csv"]
    assert len(payment_rejections) == 1 and "not readable CSV" in payment_rejections[0].reason
    assert sum(ledger_counts(store).values()) == 0
