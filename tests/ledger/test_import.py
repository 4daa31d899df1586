"""Import behaviour: counts, idempotency, updates, dry runs, file recognition, formats."""

from __future__ import annotations

import csv
import io
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.fixtures.ledger import EXAMPLES, LedgerFiles, ledger_counts, ledger_snapshot
from tests.ledger.helpers import find_rejection
from xsync_desktop.ledger import ImportUsageError, import_files, validate_files
from xsync_desktop.store.models import Customer, ImportBatch, Invoice, InvoiceLine, Payment

EXAMPLE_CSV = sorted((EXAMPLES / "csv").glob("*.csv"))
EXAMPLE_JSON = EXAMPLES / "ledger.json"


def _invoice(store, ext: str) -> Invoice:
    with store.sessions() as s:
        inv = s.scalars(select(Invoice).where(Invoice.external_id == ext)).one()
        inv.lines  # noqa: B018 - load while the session is open
        return inv


def test_example_csv_set_imports_every_record(store) -> None:
    report = import_files(store, EXAMPLE_CSV)
    assert report.ok and report.committed, report.summary_text()
    assert (report.added, report.updated, report.unchanged) == (20, 0, 0)
    assert report.counts("invoices").added == 4 and report.counts("payments").added == 3
    counts = ledger_counts(store)
    assert counts["InvoiceLine"] == 10 and counts["CreditAllocation"] == 1 and counts["ImportBatch"] == 1
    inv3 = _invoice(store, "inv_3")
    assert inv3.total == Decimal("387.55") and [ln.charge_type for ln in inv3.lines][-1] == "discount"
    assert inv3.lines[-1].line_amount == Decimal("-267.00")
    assert inv3.lines[2].quantity == Decimal("10") and inv3.lines[2].unit_amount == Decimal("4.50")


def test_amount_paid_is_the_sum_of_payments(store) -> None:
    import_files(store, EXAMPLE_CSV)
    paid = {ext: _invoice(store, ext).amount_paid for ext in ("inv_1", "inv_2", "inv_3", "inv_4")}
    assert paid == {"inv_1": Decimal("233.45"), "inv_2": Decimal("100.00"), "inv_3": Decimal("330.05"),
                    "inv_4": Decimal("0.00")}


def test_json_document_holds_the_same_ledger_as_the_csv_set(store) -> None:
    import_files(store, EXAMPLE_CSV)
    report = import_files(store, [EXAMPLE_JSON])
    assert report.ok and (report.added, report.updated, report.unchanged) == (0, 0, 20)


def test_second_import_changes_nothing_and_keeps_changed_at(store) -> None:
    import_files(store, EXAMPLE_CSV)
    before = ledger_snapshot(store)
    report = import_files(store, EXAMPLE_CSV)
    assert report.ok and (report.added, report.updated, report.unchanged) == (0, 0, 20)
    assert ledger_snapshot(store) == before
    with store.sessions() as s:
        assert s.scalars(select(ImportBatch.unchanged).order_by(ImportBatch.id)).all() == [0, 20]


def test_changed_invoice_is_updated_and_only_it_gets_a_new_changed_at(store, ledger_files: LedgerFiles) -> None:
    import_files(store, ledger_files.write())
    old = {e: _invoice(store, e).changed_at for e in ("inv_1", "inv_2")}
    ledger_files.set("invoices", {"id": "inv_2"}, due_date="2025-03-31", reference="Unit H0002 March 2025 (moved)")
    report = import_files(store, ledger_files.write())
    assert report.ok and report.counts("invoices").updated == 1 and report.updated == 1
    inv2 = _invoice(store, "inv_2")
    assert str(inv2.due_date) == "2025-03-31" and inv2.reference.endswith("(moved)")
    assert inv2.changed_at > old["inv_2"]
    assert _invoice(store, "inv_1").changed_at == old["inv_1"]


def test_changed_lines_replace_the_old_ones(store, ledger_files: LedgerFiles) -> None:
    import_files(store, ledger_files.write())
    old = _invoice(store, "inv_2")
    lines = ledger_files.rows("invoice_lines")
    lines[:] = [ln for ln in lines if not (ln["invoice_id"] == "inv_2" and ln["line_no"] == "2")]
    ledger_files.set("invoices", {"id": "inv_2"}, subtotal="119.00", tax_total="17.85", total="136.85")
    report = import_files(store, ledger_files.write())
    assert report.ok, report.summary_text()
    new = _invoice(store, "inv_2")
    assert [ln.charge_type for ln in new.lines] == ["rent"] and new.total == Decimal("136.85")
    assert new.changed_at > old.changed_at
    assert ledger_counts(store)["InvoiceLine"] == 9


def test_lines_alone_update_a_ledger_invoice(store, ledger_files: LedgerFiles) -> None:
    import_files(store, ledger_files.write())
    old = _invoice(store, "inv_1")
    ledger_files.set("invoice_lines", {"invoice_id": "inv_1", "line_no": "2"}, description="Protection, $5k")
    report = import_files(store, ledger_files.write(["invoice_lines"]))
    assert report.ok and report.counts("invoices").updated == 1 and report.counts("invoices").unchanged == 3
    new = _invoice(store, "inv_1")
    assert new.lines[1].description == "Protection, $5k" and new.changed_at > old.changed_at


def test_changed_payment_updates_amount_paid_without_touching_the_invoice(store, ledger_files: LedgerFiles) -> None:
    import_files(store, ledger_files.write())
    before = _invoice(store, "inv_2")
    ledger_files.set("payments", {"id": "pay_2"}, amount="154.10")
    report = import_files(store, ledger_files.write(["payments"]))
    assert report.ok and report.counts("payments").updated == 1 and report.updated == 1
    after = _invoice(store, "inv_2")
    assert after.amount_paid == Decimal("154.10") and after.amount_due == 0
    assert after.changed_at == before.changed_at


def test_changed_customer_email_is_an_update(store, ledger_files: LedgerFiles) -> None:
    import_files(store, ledger_files.write())
    ledger_files.set("customers", {"id": "cus_2"}, email="jack@example.org")
    report = import_files(store, ledger_files.write(["customers"]))
    assert report.counts("customers").updated == 1 and report.counts("customers").unchanged == 2
    with store.sessions() as s:
        assert s.scalars(select(Customer.email).where(Customer.external_id == "cus_2")).one() == "jack@example.org"


def test_dry_run_reports_but_writes_nothing(store) -> None:
    report = import_files(store, EXAMPLE_CSV, dry_run=True)
    assert report.ok and not report.committed and report.added == 20
    assert "dry run: nothing was written" in report.summary_text()
    assert set(ledger_counts(store).values()) == {0}


def test_validate_files_with_a_store_is_a_dry_run(store) -> None:
    import_files(store, EXAMPLE_CSV)
    report = validate_files([EXAMPLE_JSON], store)
    assert report.ok and report.unchanged == 20 and not report.committed


def test_validate_files_alone_checks_what_the_files_show(tmp_path: Path) -> None:
    assert validate_files(EXAMPLE_CSV).ok
    # invoices without customers.csv: the ledger may hold the customers, so no complaint...
    only = [p for p in EXAMPLE_CSV if p.stem in ("invoices", "invoice_lines")]
    assert validate_files(only).ok
    # ...but the files' own arithmetic is still checked.
    bad = validate_files([EXAMPLES / "bad-ledger.json"])
    assert not bad.ok
    find_rejection(bad, "bad-ledger.json", 1, "due_date", "before the issue date")


def test_file_type_told_by_header_or_by_name(store, tmp_path: Path) -> None:
    folder = tmp_path / "renamed"
    folder.mkdir()
    paths = []
    for p in EXAMPLE_CSV:
        name = {"invoices": "export 1.csv", "invoice_lines": "2025-03 Invoice-Lines.csv"}.get(p.stem, p.name)
        shutil.copy(p, folder / name)
        paths.append(folder / name)
    report = import_files(store, paths)
    assert report.ok and report.counts("invoices").added == 4, report.summary_text()


def test_excel_style_csv_with_bom_and_semicolons(store, tmp_path: Path) -> None:
    folder = tmp_path / "excel"
    folder.mkdir()
    for p in EXAMPLE_CSV:
        text = p.read_text(encoding="utf-8")
        rows = list(csv.reader(io.StringIO(text)))
        out = io.StringIO()
        csv.writer(out, delimiter=";").writerows(rows)
        (folder / p.name).write_text("\ufeff" + out.getvalue(), encoding="utf-8")
    report = import_files(store, sorted(folder.glob("*.csv")))
    assert report.ok and report.added == 20, report.summary_text()


def test_json_numbers_are_read_exactly(store, tmp_path: Path) -> None:
    doc = json.loads(EXAMPLE_JSON.read_text(encoding="utf-8"))
    for pay in doc["payments"]:
        pay["amount"] = float(pay["amount"])  # JSON numbers, as many exporters write them
    for line in doc["invoice_lines"]:
        line["quantity"] = int(Decimal(line["quantity"]))
    path = tmp_path / "numbers.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    report = import_files(store, [path])
    assert report.ok, report.summary_text()
    with store.sessions() as s:
        amounts = s.scalars(select(Payment.amount).order_by(Payment.id)).all()
    assert amounts == [Decimal("233.45"), Decimal("100.00"), Decimal("330.05")]


def test_json_nan_literal_is_rejected(store, tmp_path: Path) -> None:
    text = EXAMPLE_JSON.read_text(encoding="utf-8").replace('"amount": "100.00"', '"amount": NaN')
    path = tmp_path / "nan.json"
    path.write_text(text, encoding="utf-8")
    report = import_files(store, [path])
    find_rejection(report, "nan.json", 2, "amount", '"NaN" is not a number')
    assert report.rejected[0].where.startswith("nan.json payments item 2")
    assert set(ledger_counts(store).values()) == {0}


def test_unknown_columns_are_ignored_with_a_note(store, ledger_files: LedgerFiles) -> None:
    header, rows = ledger_files.tables["customers"]
    header.append("loyalty_tier")
    for r in rows:
        r["loyalty_tier"] = "gold"
    report = import_files(store, ledger_files.write())
    assert report.ok and "customers.csv: ignored column(s) loyalty_tier" in report.warnings


def test_half_up_rounding_is_accepted(store, ledger_files: LedgerFiles) -> None:
    ledger_files.set("invoice_lines", {"invoice_id": "inv_2", "line_no": "2"}, unit_amount="15.125",
                     line_amount="15.13", tax_amount="2.27")
    ledger_files.set("invoices", {"id": "inv_2"}, subtotal="134.13", tax_total="20.12", total="154.25")
    report = import_files(store, ledger_files.write())
    assert report.ok, report.summary_text()
    with store.sessions() as s:
        unit = s.scalars(select(InvoiceLine.unit_amount).where(InvoiceLine.line_amount == Decimal("15.13"))).one()
    assert unit == Decimal("15.1250")


def test_usage_errors(store, tmp_path: Path) -> None:
    with pytest.raises(ImportUsageError, match="no such file"):
        import_files(store, [tmp_path / "missing.csv"])
    odd = tmp_path / "notes.csv"
    odd.write_text("colour,flavour\nred,sweet\n", encoding="utf-8")
    with pytest.raises(ImportUsageError, match="cannot tell which records"):
        import_files(store, [odd])
    xlsx = tmp_path / "invoices.xlsx"
    xlsx.write_bytes(b"PK")
    with pytest.raises(ImportUsageError, match="not a .csv or .json"):
        import_files(store, [xlsx])


def test_rejected_rows_are_listed_in_the_summary(store) -> None:
    report = import_files(store, [EXAMPLES / "bad-ledger.json"])
    text = report.summary_text()
    assert text.startswith("Nothing was imported from bad-ledger.json")
    assert "bad-ledger.json invoices item 1, field due_date: due date 2025-01-01 is before the issue date" in text
