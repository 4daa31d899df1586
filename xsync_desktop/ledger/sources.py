"""Reading export files into typed rows, one list per record type.

Every cell is parsed here, so later checks work on Decimals and dates. A cell
that cannot be parsed becomes a Rejection and its row is marked bad; the row's
id still counts as present, so one typo does not cascade into a page of
"unknown customer" messages.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .parsing import FieldError, cell_text, invisible_characters
from .report import Rejection
from .schema import KINDS, Kind, kind_for_filename, kind_for_header

# JSON keys that describe the document rather than hold records.
_JSON_META = frozenset({"format", "version", "exported_at", "source", "generator"})


class ImportUsageError(Exception):
    """The files cannot be read as an export at all (missing, unknown type): a usage error, exit 2."""


@dataclass(slots=True)
class Row:
    kind: str
    file: str
    row: int
    values: dict[str, Any]
    collection: str | None = None
    bad: bool = False

    def reject(self, field: str | None, reason: str) -> Rejection:
        """A problem that makes the row's values unusable for further checks."""
        self.bad = True
        return self.problem(field, reason)

    def problem(self, field: str | None, reason: str) -> Rejection:
        """A problem with the record; its values are still sound enough for other rules."""
        return Rejection(self.file, self.row, field, reason, self.collection)

    @property
    def where(self) -> str:
        if self.collection:
            return f"{self.file} {self.collection} item {self.row}"
        return f"{self.file} row {self.row}"


@dataclass
class ParsedInput:
    rows: dict[str, list[Row]] = field(default_factory=lambda: {k: [] for k in KINDS})
    rejected: list[Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def read_files(paths: Iterable[Path]) -> ParsedInput:
    parsed = ParsedInput()
    paths = [Path(p) for p in paths]
    if not paths:
        raise ImportUsageError("no files given")
    for path in paths:
        if not path.exists():
            raise ImportUsageError(f"{path}: no such file")
        if path.is_dir():
            raise ImportUsageError(f"{path}: is a folder; give the export files themselves")
    for path in paths:
        parsed.files.append(path.name)
        suffix = path.suffix.lower()
        if suffix == ".json":
            _read_json(path, parsed)
        elif suffix in (".csv", ".txt"):
            _read_csv(path, parsed)
        else:
            raise ImportUsageError(f"{path.name}: not a .csv or .json file")
    return parsed


def parse_cells(kind: Kind, raw: Mapping[str, Any], row: Row, out: list[Rejection],
                warnings: list[str] | None = None) -> None:
    """Fill `row.values` from raw cells, adding a Rejection per bad cell.

    Free text with invisible characters is kept (a name may need a joiner) but gets a
    warning in the report: in Xero it may look like another name, or display reversed.
    """
    for col in kind.columns:
        try:
            text = cell_text(raw.get(col.name))
            if not text:
                if col.required:
                    out.append(row.reject(col.name, f"{col.name.replace('_', ' ')} is required"))
                    row.values[col.name] = None
                    continue
                row.values[col.name] = col.default
                continue
            row.values[col.name] = col.parse(text)
            if col.free_text and warnings is not None:
                hidden = invisible_characters(text)
                if hidden:
                    warnings.append(f"{row.where}, field {col.name}: {col.name.replace('_', ' ')} contains an "
                                    f"invisible character ({', '.join(hidden)}); it was imported as it is, but in "
                                    "Xero it may look like another or display reversed. Check it in the billing system")
        except FieldError as exc:
            out.append(row.reject(col.name, str(exc)))
            row.values[col.name] = None


def _read_csv(path: Path, parsed: ParsedInput) -> None:
    name = path.name
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as fh:
            first = fh.readline()
            delimiter = ";" if first.count(";") > first.count(",") else ","
            fh.seek(0)
            records = list(csv.reader(fh, delimiter=delimiter))
    except csv.Error as exc:  # e.g. a field over the csv module's size limit: no text field is that long
        parsed.rejected.append(Rejection(name, 0, None, f"the file is not readable CSV ({exc}); check it was "
                                                         "exported as CSV, not pasted or corrupted"))
        return
    except UnicodeDecodeError:
        parsed.rejected.append(
            Rejection(name, 0, None, "the file is not UTF-8 text; save it as \"CSV UTF-8\" and import again")
        )
        return
    if not records:
        parsed.rejected.append(Rejection(name, 0, None, "the file is empty; it needs a header row"))
        return
    header = [h.strip().lower() for h in records[0]]
    kind = kind_for_filename(path.stem) or kind_for_header(header)
    if kind is None:
        known = ", ".join(k.filename for k in KINDS.values())
        raise ImportUsageError(
            f"{name}: cannot tell which records this file holds from its name or header; "
            f"name it one of {known}"
        )
    problems = _check_header(kind, header, name)
    if problems:
        parsed.rejected += problems
        return
    unknown = [h for h in header if h and h not in kind.names]
    if unknown:
        parsed.warnings.append(f"{name}: ignored column(s) {', '.join(unknown)}")
    out = parsed.rejected
    rows = parsed.rows[kind.name]
    width = len(header)
    for index, cells in enumerate(records[1:], start=2):
        if not any(c.strip() for c in cells):
            continue  # blank lines at the end of hand-edited files
        row = Row(kind.name, name, index, {})
        if len(cells) > width:
            out.append(row.reject(None, f"the row has {len(cells)} cells but the header has {width} columns"))
        parse_cells(kind, dict(zip(header, cells, strict=False)), row, out, parsed.warnings)
        rows.append(row)


def _check_header(kind: Kind, header: list[str], name: str) -> list[Rejection]:
    problems = []
    seen: set[str] = set()
    for h in header:
        if h in seen and h:
            problems.append(Rejection(name, 1, h, "the column appears twice in the header"))
        seen.add(h)
    for col in kind.columns:
        if col.required and col.name not in seen:
            problems.append(
                Rejection(name, 1, col.name, f"the column is missing; {kind.filename} needs it")
            )
    return problems


def _read_json(path: Path, parsed: ParsedInput) -> None:
    name = path.name
    try:
        # Numbers stay text so money never passes through float, and NaN/1e3 reach the parser.
        doc = json.loads(
            path.read_text(encoding="utf-8-sig"), parse_float=str, parse_int=str, parse_constant=str
        )
    except UnicodeDecodeError:
        parsed.rejected.append(Rejection(name, 0, None, "the file is not UTF-8 text"))
        return
    except RecursionError:
        parsed.rejected.append(Rejection(name, 0, None, "not valid ledger JSON: it is nested far too deeply"))
        return
    except json.JSONDecodeError as exc:
        parsed.rejected.append(
            Rejection(name, 0, None, f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
        )
        return
    if not isinstance(doc, dict):
        parsed.rejected.append(
            Rejection(name, 0, None, "the document must be an object with arrays such as \"invoices\"")
        )
        return
    unknown = [k for k in doc if k not in KINDS and k not in _JSON_META]
    if unknown:
        parsed.warnings.append(f"{name}: ignored key(s) {', '.join(unknown)}")
    for kind in KINDS.values():
        # pop: each collection is freed once read, so the raw document and the rows
        # never both sit in memory whole.
        items = doc.pop(kind.name, None)
        if items is None:
            continue
        if not isinstance(items, list):
            parsed.rejected.append(Rejection(name, 0, kind.name, f'"{kind.name}" must be an array'))
            continue
        out = parsed.rejected
        rows = parsed.rows[kind.name]
        for index, item in enumerate(items, start=1):
            row = Row(kind.name, name, index, {}, collection=kind.name)
            if not isinstance(item, dict):
                out.append(row.reject(None, "each item must be an object"))
                rows.append(row)
                continue
            parse_cells(kind, item, row, out, parsed.warnings)
            rows.append(row)
        items.clear()
