"""Assertions shared by the ledger tests."""

from __future__ import annotations

from xsync_desktop.ledger import ImportReport, Rejection


def find_rejection(report: ImportReport, file: str, row: int, field: str | None, text: str) -> Rejection:
    for r in report.rejected:
        if r.file == file and r.row == row and r.field == field and text in r.reason:
            return r
    listing = "\n".join(str(r) for r in report.rejected) or "(no rejections)"
    raise AssertionError(f"expected {file} row {row} field {field}: ...{text}... among:\n{listing}")
