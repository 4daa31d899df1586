"""What an import did, or would do, in words a person can act on."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from typing import TextIO

from ..activity import plural


@dataclass(frozen=True)
class Rejection:
    """One reason a row cannot be imported.

    `row` is the spreadsheet row number for CSV (the header is row 1) and the
    1-based item number within `collection` for JSON; 0 means the whole file.
    """

    file: str
    row: int
    field: str | None
    reason: str
    collection: str | None = None

    @property
    def where(self) -> str:
        if self.row == 0:
            place = self.file
        elif self.collection:
            place = f"{self.file} {self.collection} item {self.row}"
        else:
            place = f"{self.file} row {self.row}"
        return f"{place}, field {self.field}" if self.field else place

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


def problems_on_rows(problems: int, rows: int) -> str:
    """'7 problems on 2 rows': the two counts differ as soon as one row breaks two rules."""
    return f"{plural(problems, 'problem')} on {plural(rows, 'row')}"


REJECTIONS_CSV_HEADER = ("File", "Row", "Field", "Problem")


def write_rejections_csv(rejected: list[Rejection], fh: TextIO, dialect: str = "excel") -> int:
    """The full list of rejected rows with their problems, one problem a line; returns the lines written.

    Row is the spreadsheet row (or "<collection> item N" for JSON, "whole file" for 0), so the
    person fixing the export finds each one without knowing how the app numbers them.
    """
    w = csv.writer(fh, dialect=dialect)
    w.writerow(REJECTIONS_CSV_HEADER)
    for r in rejected:
        w.writerow([r.file, row_text(r), r.field or "", r.reason])
    return len(rejected)


def row_text(r: Rejection) -> str:
    if r.row == 0:
        return "whole file"
    return f"{r.collection} item {r.row}" if r.collection else str(r.row)


@dataclass
class KindCounts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportReport:
    """Counts are of records (an invoice with its lines is one record).

    For a dry run or a rejected import the counts say what *would* have happened;
    `committed` says whether anything was written.
    """

    files: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    by_kind: dict[str, KindCounts] = field(default_factory=dict)
    dry_run: bool = False
    committed: bool = False
    batch_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.rejected

    @property
    def rejected_rows(self) -> int:
        """How many rows (or JSON items, or whole files) the problems fall on: one row may have several."""
        return len({(r.file, r.collection, r.row) for r in self.rejected})

    @property
    def added(self) -> int:
        return sum(c.added for c in self.by_kind.values())

    @property
    def updated(self) -> int:
        return sum(c.updated for c in self.by_kind.values())

    @property
    def unchanged(self) -> int:
        return sum(c.unchanged for c in self.by_kind.values())

    def counts(self, kind: str) -> KindCounts:
        return self.by_kind.setdefault(kind, KindCounts())

    def summary_text(self, max_rejections: int | None = 200) -> str:
        """The report in words; up to `max_rejections` problems listed (None: none, the caller lists them all)."""
        files = ", ".join(self.files) or "no files"
        lines: list[str] = []
        if self.rejected:
            n = len(self.rejected)
            lines.append(f"Nothing was imported from {files}: {problems_on_rows(n, self.rejected_rows)}."
                         " Fix them and import again.")
            if max_rejections is not None:
                lines += [f"  {r}" for r in self.rejected[:max_rejections]]
            if max_rejections is not None and n > max_rejections:
                lines.append(f"  ... and {n - max_rejections} more")
        else:
            verb = "Checked" if not self.committed else "Imported"
            tail = " (dry run: nothing was written)" if self.dry_run else ""
            lines.append(
                f"{verb} {files}: {self.added} added, {self.updated} updated, "
                f"{self.unchanged} unchanged{tail}."
            )
            for kind, c in self.by_kind.items():
                if c.added or c.updated or c.unchanged:
                    lines.append(
                        f"  {kind.replace('_', ' ')}: {c.added} added, {c.updated} updated, "
                        f"{c.unchanged} unchanged"
                    )
        lines += [f"Note: {w}" for w in self.warnings]
        return "\n".join(lines)
