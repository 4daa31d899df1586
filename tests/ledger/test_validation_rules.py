"""Each import rule, broken by one edit to an otherwise valid export; nothing may be written."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.fixtures.ledger import LedgerFiles, ledger_counts, ledger_snapshot
from tests.ledger.helpers import find_rejection
from xsync_desktop.ledger import import_files

Edit = Callable[[LedgerFiles], None]


def _set(kind: str, match: dict[str, str], **changes: str) -> Edit:
    return lambda f: f.set(kind, match, **changes)


def _add(kind: str, **values: str) -> Edit:
    return lambda f: f.add(kind, **values)


def _drop_column(kind: str, column: str) -> Edit:
    def edit(f: LedgerFiles) -> None:
        header, rows = f.tables[kind]
        header.remove(column)
        for r in rows:
            r.pop(column, None)

    return edit


def _both(*edits: Edit) -> Edit:
    def edit(f: LedgerFiles) -> None:
        for e in edits:
            e(f)

    return edit


INV2 = {"id": "inv_2"}
PAY2 = {"id": "pay_2"}
LINE = {"invoice_id": "inv_2", "line_no": "2"}  # invoice_lines.csv row 5

CASES: list[tuple[str, Edit, tuple[str, int, str | None, str]]] = [
    ("invoice for unknown customer", _set("invoices", INV2, customer_id="cus_404"),
     ("invoices.csv", 3, "customer_id", 'customer "cus_404" is neither in this import nor already in the ledger')),
    ("line for unknown invoice",
     _add("invoice_lines", invoice_id="inv_404", line_no="1", charge_type="rent", description="x",
          quantity="1", unit_amount="1.00", tax_amount="0.15", line_amount="1.00"),
     ("invoice_lines.csv", 12, "invoice_id", 'invoice "inv_404" is neither in this import')),
    ("payment for unknown invoice", _set("payments", PAY2, invoice_id="inv_404"),
     ("payments.csv", 3, "invoice_id", 'invoice "inv_404" is neither')),
    ("tenancy for unknown unit", _set("tenancies", {"id": "ten_2"}, unit_id="unit_404"),
     ("tenancies.csv", 3, "unit_id", 'unit "unit_404"')),
    ("negative payment", _set("payments", PAY2, amount="-100.00"),
     ("payments.csv", 3, "amount", 'amount "-100.00" is negative')),
    ("zero payment", _set("payments", PAY2, amount="0.00"), ("payments.csv", 3, "amount", "must be more than 0")),
    ("non-numeric amount", _set("payments", PAY2, amount="one hundred"),
     ("payments.csv", 3, "amount", "is not a number")),
    ("NaN total", _set("invoices", INV2, total="NaN"), ("invoices.csv", 3, "total", '"NaN" is not a number')),
    ("exponent amount", _set("payments", PAY2, amount="1e2"), ("payments.csv", 3, "amount", '"1e2" is not a number')),
    ("thousands separator", _set("payments", PAY2, amount="1,000.00"),
     ("payments.csv", 3, "amount", "is not a number")),
    ("currency sign", _set("payments", PAY2, amount="$100.00"), ("payments.csv", 3, "amount", "is not a number")),
    ("three decimal places", _set("payments", PAY2, amount="100.005"),
     ("payments.csv", 3, "amount", "more than 2 decimal places")),
    ("lines do not sum to subtotal", _set("invoice_lines", LINE, unit_amount="16.00", line_amount="16.00"),
     ("invoices.csv", 3, "subtotal", "subtotal 134.00 is not the sum of its line amounts 135.00")),
    ("line tax does not sum to tax total", _set("invoice_lines", LINE, tax_amount="2.26"),
     ("invoices.csv", 3, "tax_total", "tax total 20.10 is not the sum of its lines' tax 20.11")),
    ("subtotal plus tax is not total", _set("invoices", INV2, total="154.11"),
     ("invoices.csv", 3, "total", "total 154.11 is not subtotal 134.00 + tax 20.10 = 154.10")),
    ("quantity times unit amount", _set("invoice_lines", {"invoice_id": "inv_3", "line_no": "3"}, line_amount="46.00"),
     ("invoice_lines.csv", 8, "line_amount", "line amount 46.00 is not quantity 10 × unit amount 4.50 = 45.00")),
    ("rounding is half up, not half even",
     _both(_set("invoice_lines", LINE, unit_amount="15.125", line_amount="15.12"),
           _set("invoices", INV2, subtotal="134.12", total="154.22")),
     ("invoice_lines.csv", 5, "line_amount", "= 15.13")),
    ("quantity zero", _set("invoice_lines", LINE, quantity="0"), ("invoice_lines.csv", 5, "quantity", "more than 0")),
    ("negative amount on a non-discount line",
     _both(_set("invoice_lines", LINE, unit_amount="-15.00", line_amount="-15.00", tax_amount="-2.25"),
           _set("invoices", INV2, subtotal="104.00", tax_total="15.60", total="119.60")),
     ("invoice_lines.csv", 5, "unit_amount", "only discount lines may be negative")),
    ("date not ISO", _set("invoices", INV2, issue_date="01/03/2025"),
     ("invoices.csv", 3, "issue_date", '"01/03/2025" is not a date in the form YYYY-MM-DD')),
    ("date does not exist", _set("payments", PAY2, date="2025-02-30"),
     ("payments.csv", 3, "date", '"2025-02-30" is not a real date')),
    ("tenancy ends before it starts", _set("tenancies", {"id": "ten_2"}, end_date="2025-01-31"),
     ("tenancies.csv", 3, "end_date", "end date 2025-01-31 is before the start date 2025-02-01")),
    ("duplicate invoice number in the file", _set("invoices", INV2, number="INV-100001"),
     ("invoices.csv", 3, "number", "invoice number INV-100001 is also used by invoices.csv row 2")),
    ("duplicate customer number in the file", _set("customers", {"id": "cus_2"}, customer_number="C-00001"),
     ("customers.csv", 3, "customer_number", "is also used by customers.csv row 2")),
    ("duplicate unit code in a facility", _set("units", {"id": "unit_2"}, code="H0001"),
     ("units.csv", 3, "code", "unit code H0001 is also used in facility fac_1 by units.csv row 2")),
    ("duplicate id in the file",
     _add("payments", id="pay_1", invoice_id="inv_2", date="2025-03-21", amount="1.00", method="card", reference=""),
     ("payments.csv", 5, "id", 'payment "pay_1" appears twice (also payments.csv row 2)')),
    ("duplicate line number", _set("invoice_lines", LINE, line_no="1"),
     ("invoice_lines.csv", 5, "line_no", "appears twice")),
    ("unknown charge type", _set("invoice_lines", LINE, charge_type="parking"),
     ("invoice_lines.csv", 5, "charge_type", 'unknown charge type "parking"; allowed: rent, insurance')),
    ("unknown payment method", _set("payments", PAY2, method="paypal"),
     ("payments.csv", 3, "method", 'unknown payment method "paypal"; allowed: card, bank_transfer')),
    ("contact name too long", _set("customers", {"id": "cus_2"}, name="N" * 256),
     ("customers.csv", 3, "name", "name is 256 characters long; Xero accepts at most 255")),
    ("invoice reference too long", _set("invoices", INV2, reference="R" * 256),
     ("invoices.csv", 3, "reference", "at most 255")),
    ("payment reference too long", _set("payments", PAY2, reference="R" * 256),
     ("payments.csv", 3, "reference", "at most 255")),
    ("line description too long", _set("invoice_lines", LINE, description="D" * 4001),
     ("invoice_lines.csv", 5, "description", "description is 4001 characters long; Xero accepts at most 4000")),
    ("unsupported currency", _set("invoices", INV2, currency="XYZ"),
     ("invoices.csv", 3, "currency", 'currency "XYZ" is not supported')),
    ("payments exceed the invoice total", _set("payments", PAY2, amount="154.11"),
     ("payments.csv", 3, "amount", "payments and credits on invoice INV-100002 come to 154.11, more than its total 154.10")),
    ("unknown invoice status", _set("invoices", INV2, status="sent"),
     ("invoices.csv", 3, "status", 'unknown status "sent"; allowed: draft, authorised, void')),
    ("payment on a void invoice",
     _add("payments", id="pay_9", invoice_id="inv_4", date="2025-04-07", amount="10.00", method="cash", reference=""),
     ("payments.csv", 5, "invoice_id", "invoice INV-100004 is void")),
    ("payment on a draft invoice", _set("invoices", INV2, status="draft"),
     ("payments.csv", 3, "invoice_id", "invoice INV-100002 is a draft")),
    ("allocation exceeds the credit note", _set("credit_allocations", {"id": "alloc_1"}, amount="60.00"),
     ("credit_allocations.csv", 2, "amount", "allocations from credit note CN-000001 come to 60.00, more than its total 57.50")),
    ("allocation to another customer's invoice", _set("credit_allocations", {"id": "alloc_1"}, invoice_id="inv_2"),
     ("credit_allocations.csv", 2, "invoice_id", "belong to different customers")),
    ("invoice without lines",
     _add("invoices", id="inv_5", number="INV-100005", customer_id="cus_1", tenancy_id="", facility_id="",
          issue_date="2025-05-06", due_date="2025-05-20", currency="NZD", status="authorised", reference="",
          subtotal="0.00", tax_total="0.00", total="0.00"),
     ("invoices.csv", 6, None, "invoice INV-100005 has no lines")),
    ("required value empty", _set("invoices", INV2, number=""), ("invoices.csv", 3, "number", "number is required")),
    ("bad email", _set("customers", {"id": "cus_2"}, email="jack at example"),
     ("customers.csv", 3, "email", "is not an email address")),
    ("required column missing", _drop_column("invoices", "due_date"),
     ("invoices.csv", 1, "due_date", "the column is missing")),
]


@pytest.mark.parametrize("edit, expected", [pytest.param(e, x, id=i) for i, e, x in CASES])
def test_rule_rejects_and_writes_nothing(store, ledger_files: LedgerFiles, edit: Edit, expected) -> None:
    edit(ledger_files)
    report = import_files(store, ledger_files.write())
    assert not report.ok and not report.committed
    find_rejection(report, *expected)
    assert set(ledger_counts(store).values()) == {0}


def test_message_reads_as_a_sentence(store, ledger_files: LedgerFiles) -> None:
    ledger_files.set("invoices", INV2, due_date="2025-02-01")
    report = import_files(store, ledger_files.write())
    assert [str(r) for r in report.rejected] == [
        "invoices.csv row 3, field due_date: due date 2025-02-01 is before the issue date 2025-03-01"
    ]
    assert ledger_counts(store)["Invoice"] == 0


# -- rules that need something already in the ledger ---------------------------------------


@pytest.fixture
def imported(store, ledger_files: LedgerFiles):
    report = import_files(store, ledger_files.write())
    assert report.ok, report.summary_text()
    return store


def _reimport(store, files: LedgerFiles):
    before = ledger_snapshot(store), ledger_counts(store)
    report = import_files(store, files.write())
    assert not report.ok and not report.committed
    assert (ledger_snapshot(store), ledger_counts(store)) == before
    return report


def test_invoice_number_taken_by_another_invoice_in_the_ledger(imported, ledger_files: LedgerFiles) -> None:
    ledger_files.set("invoices", INV2, id="inv_new")  # same number, a different export id
    for line in ledger_files.rows("invoice_lines"):
        if line["invoice_id"] == "inv_2":
            line["invoice_id"] = "inv_new"
    ledger_files.set("payments", PAY2, invoice_id="inv_new")
    report = _reimport(imported, ledger_files)
    find_rejection(report, "invoices.csv", 3, "number",
                   'invoice number INV-100002 already belongs to another invoice in the ledger (id "inv_2")')


def test_swapping_numbers_between_two_ledger_invoices_is_allowed(imported, ledger_files: LedgerFiles) -> None:
    ledger_files.set("invoices", {"id": "inv_1"}, number="INV-100002")
    ledger_files.set("invoices", INV2, number="INV-100001")
    report = import_files(imported, ledger_files.write(["invoices"]))
    assert report.ok, report.summary_text()
    assert report.counts("invoices").updated == 2


def test_payment_in_a_later_file_overpays_with_ledger_payments(imported, ledger_files: LedgerFiles) -> None:
    # pay_2 (100.00 of 154.10) is in the ledger; a new 60.00 payment would overpay.
    ledger_files.tables["payments"] = (ledger_files.tables["payments"][0], [
        {"id": "pay_7", "invoice_id": "inv_2", "date": "2025-03-28", "amount": "60.00", "method": "cash",
         "reference": ""}])
    report = _reimport(imported, ledger_files)
    find_rejection(report, "payments.csv", 2, "amount", "come to 160.00, more than its total 154.10")


def test_lowering_a_paid_invoice_below_its_payments(imported, ledger_files: LedgerFiles) -> None:
    ledger_files.set("invoice_lines", {"invoice_id": "inv_1", "line_no": "2"}, unit_amount="4.00",
                     line_amount="4.00", tax_amount="0.60")
    ledger_files.set("invoices", {"id": "inv_1"}, subtotal="193.00", tax_total="28.95", total="221.95")
    files = ledger_files.write(["invoices", "invoice_lines"])
    before = ledger_snapshot(imported)
    report = import_files(imported, files)
    assert ledger_snapshot(imported) == before
    find_rejection(report, "invoices.csv", 2, "total", "total 221.95 is less than the 233.45 already paid")


def test_lines_alone_must_match_the_ledger_invoice(imported, ledger_files: LedgerFiles) -> None:
    ledger_files.set("invoice_lines", LINE, unit_amount="16.00", line_amount="16.00", tax_amount="2.40")
    before = ledger_snapshot(imported)
    report = import_files(imported, ledger_files.write(["invoice_lines"]))
    assert ledger_snapshot(imported) == before
    find_rejection(report, "invoice_lines.csv", 4, "line_amount",
                   "subtotal 134.00 of invoice INV-100002 in the ledger is not the sum of its line amounts 135.00")


def test_unit_code_taken_in_the_ledger(imported, ledger_files: LedgerFiles) -> None:
    ledger_files.tables["units"] = (ledger_files.tables["units"][0], [
        {"id": "unit_9", "facility_id": "fac_1", "code": "H0002", "size": ""}])
    before = ledger_counts(imported)
    report = import_files(imported, ledger_files.write(["units"]))
    assert ledger_counts(imported) == before
    find_rejection(report, "units.csv", 2, "code",
                   'unit code H0002 in facility fac_1 already belongs to another unit in the ledger (id "unit_2")')
