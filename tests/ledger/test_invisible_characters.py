"""Invisible characters in identifiers (issue 15 case 6), through the real import path.

An invoice number with a zero-width space is a second invoice that looks like a duplicate in
Xero; a right-to-left override turns a customer number round on screen. Numbers, codes and ids
are NFC-normalised and refused with a row message when they hold format, control or separator
characters; names and other free text are imported but named in a warning.
"""

from __future__ import annotations

import json
import unicodedata

import pytest
from sqlalchemy import select

from tests.fixtures.ledger import EXAMPLES, LedgerFiles, ledger_counts, ledger_snapshot
from tests.ledger.helpers import find_rejection
from xsync_desktop.cli import main
from xsync_desktop.exit_codes import ExitCode
from xsync_desktop.ledger import import_files
from xsync_desktop.store.models import Customer

ZWSP, RLO, BOM, NBSP, ZWJ, LRM, LSEP = "\u200b", "\u202e", "\ufeff", "\u00a0", "\u200d", "\u200e", "\u2028"

# (id, kind, match, field, value, expected file, row, reason fragment)
IDENTIFIER_CASES = [
    ("invoice number + ZWSP", "invoices", {"id": "inv_2"}, "number", f"INV-1000{ZWSP}02", "invoices.csv", 3,
     "invoice number contains an invisible character (U+200B ZERO WIDTH SPACE)"),
    ("customer number + RLO", "customers", {"id": "cus_2"}, "customer_number", f"C-{RLO}00002", "customers.csv", 3,
     "customer number contains an invisible character (U+202E RIGHT-TO-LEFT OVERRIDE)"),
    ("credit note number + NBSP", "credit_notes", {"id": "cn_1"}, "number", f"CN{NBSP}000001",
     "credit_notes.csv", 2, "U+00A0 NO-BREAK SPACE"),
    ("unit code + ZWJ", "units", {"id": "unit_2"}, "code", f"H00{ZWJ}02", "units.csv", 3, "U+200D ZERO WIDTH JOINER"),
    ("payment id + BOM", "payments", {"id": "pay_2"}, "id", f"pay_2{BOM}", "payments.csv", 3,
     "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
    ("customer reference + LRM", "invoices", {"id": "inv_2"}, "customer_id", f"{LRM}cus_2", "invoices.csv", 3,
     "U+200E LEFT-TO-RIGHT MARK"),
    ("invoice number + line separator", "invoices", {"id": "inv_2"}, "number", f"INV-100002{LSEP}x",
     "invoices.csv", 3, "U+2028 LINE SEPARATOR"),
    ("email + ZWSP", "customers", {"id": "cus_2"}, "email", f"jack.thompson{ZWSP}@example.net", "customers.csv", 3,
     "email contains an invisible character"),
]


@pytest.mark.parametrize("kind, match, field, value, file, row, reason",
                         [pytest.param(*c[1:], id=c[0]) for c in IDENTIFIER_CASES])
def test_invisible_character_in_an_identifier_rejects_the_row(store, ledger_files: LedgerFiles, kind: str,
                                                               match: dict[str, str], field: str, value: str,
                                                               file: str, row: int, reason: str) -> None:
    ledger_files.set(kind, match, **{field: value})
    report = import_files(store, ledger_files.write())
    assert not report.ok and not report.committed
    find_rejection(report, file, row, field, reason)
    assert set(ledger_counts(store).values()) == {0}


def test_invoice_number_with_zero_width_space_beside_the_real_one_is_refused(store, ledger_files: LedgerFiles
                                                                             ) -> None:
    """The issue's case: the ledger holds INV-100002; a later export adds "INV-100002" + ZWSP as a new invoice."""
    assert import_files(store, ledger_files.write()).ok
    before = ledger_snapshot(store), ledger_counts(store)
    header, rows = ledger_files.tables["invoices"]
    twin = dict(ledger_files.row("invoices", id="inv_2"), id="inv_twin", number=f"INV-100002{ZWSP}")
    lines = [dict(ln, invoice_id="inv_twin") for ln in ledger_files.rows("invoice_lines") if ln["invoice_id"] == "inv_2"]
    ledger_files.tables["invoices"] = (header, [twin])
    ledger_files.tables["invoice_lines"] = (ledger_files.tables["invoice_lines"][0], lines)
    report = import_files(store, ledger_files.write(["invoices", "invoice_lines"]))
    assert not report.ok and not report.committed
    find_rejection(report, "invoices.csv", 2, "number", "it would look like another invoice number in Xero")
    assert (ledger_snapshot(store), ledger_counts(store)) == before


def test_json_import_rejects_a_zero_width_space_in_a_number(store, tmp_path) -> None:
    doc = json.loads((EXAMPLES / "ledger.json").read_text(encoding="utf-8"))
    doc["invoices"][0]["number"] = doc["invoices"][0]["number"] + ZWSP
    path = tmp_path / "ledger.json"
    path.write_text(json.dumps(doc), encoding="utf-8")  # json.dumps escapes it: \u200b, as exports do
    report = import_files(store, [path])
    find_rejection(report, "ledger.json", 1, "number", "U+200B ZERO WIDTH SPACE")
    assert set(ledger_counts(store).values()) == {0}


@pytest.mark.parametrize("kind, match, field, value, char", [
    pytest.param("customers", {"id": "cus_2"}, "name", f"Jack {RLO}nosmohT", "U+202E RIGHT-TO-LEFT OVERRIDE",
                 id="customer name + RLO"),
    pytest.param("customers", {"id": "cus_2"}, "name", f"Jack{ZWSP} Thompson", "U+200B ZERO WIDTH SPACE",
                 id="customer name + ZWSP"),
    pytest.param("facilities", {"id": "fac_1"}, "name", f"Harbour{ZWJ} Storage", "U+200D ZERO WIDTH JOINER",
                 id="facility name + ZWJ"),
])
def test_invisible_character_in_a_name_is_imported_with_a_warning(store, ledger_files: LedgerFiles, kind: str,
                                                                    match: dict[str, str], field: str, value: str,
                                                                    char: str) -> None:
    ledger_files.set(kind, match, **{field: value})
    report = import_files(store, ledger_files.write())
    assert report.ok and report.committed, report.summary_text()
    notes = [w for w in report.warnings if char in w]
    assert len(notes) == 1 and f"field {field}" in notes[0] and "was imported as it is" in notes[0]
    assert f"Note: {notes[0]}" in report.summary_text()


def test_decomposed_accents_are_stored_composed(store, ledger_files: LedgerFiles) -> None:
    """NFC: "é" as e + combining accent is the same number and name as the single character."""
    decomposed = unicodedata.normalize("NFD", "C-Hélène")
    ledger_files.set("customers", {"id": "cus_2"}, customer_number=decomposed, name="Hélène Dubois")
    assert import_files(store, ledger_files.write()).ok
    with store.sessions() as s:
        number = s.scalar(select(Customer.customer_number).where(Customer.external_id == "cus_2"))
    assert number == "C-Hélène" and len(number) == 8
    ledger_files.set("customers", {"id": "cus_2"}, customer_number="C-Hélène")
    again = import_files(store, ledger_files.write(["customers"]))
    assert again.ok and again.counts("customers").updated == 0, again.summary_text()


def test_cli_import_exits_1_naming_the_row(tmp_path, ledger_files: LedgerFiles, capsys) -> None:
    ledger_files.set("invoices", {"id": "inv_2"}, number=f"INV-1000{ZWSP}02")
    profile = tmp_path / "p"
    code = main(["--profile", str(profile), "import", *map(str, ledger_files.write())])
    out = capsys.readouterr().out
    assert code == ExitCode.REJECTED
    assert "invoices.csv row 3, field number: invoice number contains an invisible character" in out
    assert ZWSP not in out  # the message names the character; it never prints it where it cannot be seen
