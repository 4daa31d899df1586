"""Reading export files into typed rows, one list per record type.

Every cell is parsed here, so later checks work on Decimals and dates. A cell
that cannot be parsed becomes a Rejection and its row is marked bad; the row's
id still counts as present, so one typo does not cascade into a page of
"unknown customer" messages.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, TextIO

from .json_stream import JsonSyntaxError, NotAnObject, members
from .parsing import FieldError, cell_text, invisible_characters
from .report import Rejection
from .schema import KINDS, Column, Kind, kind_for_filename, kind_for_header

# JSON keys that describe the document rather than hold records.
_JSON_META = frozenset({"format", "version", "exported_at", "source", "generator"})


class ImportUsageError(Exception):
    """The files cannot be read as an export at all (missing, unknown type): a usage error, exit 2."""


class Values(Mapping[str, Any]):
    """A row's typed values as one tuple, read like a dict.

    Why not a dict: an import of 50,000 invoices holds about 210,000 rows at once (the
    checks read across files), and a dict per row cost twice what a tuple does. The
    name-to-position index is shared by every row of a record type.
    """

    __slots__ = ("_index", "_data")

    def __init__(self, index: Mapping[str, int], data: tuple[Any, ...]) -> None:
        self._index = index
        self._data = data

    def __getitem__(self, name: str) -> Any:
        return self._data[self._index[name]]

    def get(self, name: str, default: Any = None) -> Any:
        i = self._index.get(name)
        return default if i is None else self._data[i]

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)


_NO_COLUMNS: Mapping[str, int] = MappingProxyType({})  # a row whose item was not an object


@dataclass(slots=True)
class Row:
    kind: str
    file: str
    row: int
    # The typed values in column order (parse_cells) and the kind's name -> position.
    data: tuple[Any, ...] = ()
    index: Mapping[str, int] = field(default_factory=lambda: _NO_COLUMNS)
    collection: str | None = None
    bad: bool = False

    @property
    def values(self) -> Values:
        """Read like a dict. A view made on each use: holding one per row would cost
        210,000 objects in a 50,000-invoice import."""
        return Values(self.index, self.data)

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
    shared: SharedValues = field(default_factory=lambda: SharedValues())

    def mark(self) -> tuple[dict[str, int], int, int]:
        """Where the lists stand now, to undo a file found unreadable part-way (undo)."""
        return {k: len(v) for k, v in self.rows.items()}, len(self.rejected), len(self.warnings)

    def undo(self, mark: tuple[dict[str, int], int, int]) -> None:
        rows, rejected, warnings = mark
        for kind, n in rows.items():
            del self.rows[kind][n:]
        del self.rejected[rejected:]
        del self.warnings[warnings:]


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
                warnings: list[str] | None = None, shared: SharedValues | None = None) -> None:
    """Set `row.values` from raw cells, adding a Rejection per bad cell.

    Free text with invisible characters is kept (a name may need a joiner) but gets a
    warning in the report: in Xero it may look like another name, or display reversed.
    """
    values: list[Any] = []
    for col in kind.columns:
        try:
            text = cell_text(raw.get(col.name))
            if not text:
                if col.required:
                    out.append(row.reject(col.name, f"{col.name.replace('_', ' ')} is required"))
                    values.append(None)
                    continue
                values.append(col.default)
                continue
            values.append(col.parse(text) if shared is None else shared.parse(col, text))
            if col.free_text and warnings is not None:
                hidden = invisible_characters(text)
                if hidden:
                    warnings.append(f"{row.where}, field {col.name}: {col.name.replace('_', ' ')} contains an "
                                    f"invisible character ({', '.join(hidden)}); it was imported as it is, but in "
                                    "Xero it may look like another or display reversed. Check it in the billing system")
        except FieldError as exc:
            out.append(row.reject(col.name, str(exc)))
            values.append(None)
    row.data, row.index = tuple(values), kind.index


class SharedValues:
    """One object per distinct value where values repeat, so 210,000 rows do not hold
    210,000 copies of "authorised", of the same date or amount, or of a customer's id.

    Ids are kept once each for the whole import (an invoice's id and its lines' and
    payments' references are then one string); amounts, dates and choices are kept in a
    cache keyed by their text, emptied when it grows past `limit` so it stays small however
    many distinct values a file has. Free text and numbers are left alone: they rarely repeat.
    """

    def __init__(self, limit: int = 20_000) -> None:
        self.limit = limit
        self.ids: dict[str, str] = {}
        self.cache: dict[tuple[int, str], Any] = {}

    def parse(self, col: Column, text: str) -> Any:
        if col.shared == "none":
            return col.parse(text)
        if col.shared == "id":
            value = col.parse(text)
            return self.ids.setdefault(value, value)
        key = (id(col), text)
        value = self.cache.get(key, _MISSING)
        if value is _MISSING:
            value = col.parse(text)
            if len(self.cache) >= self.limit:
                self.cache.clear()
            self.cache[key] = value
        return value


_MISSING = object()


def _read_csv(path: Path, parsed: ParsedInput) -> None:
    """Parse the file row by row (never a list of every raw row); a file-level problem
    found part-way (not UTF-8, not CSV) undoes this file's rows and reports only that."""
    name = path.name
    mark = parsed.mark()
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as fh:
            first = fh.readline()
            delimiter = ";" if first.count(";") > first.count(",") else ","
            fh.seek(0)
            _parse_csv(csv.reader(fh, delimiter=delimiter), path, parsed)
    except csv.Error as exc:  # e.g. a field over the csv module's size limit: no text field is that long
        parsed.undo(mark)
        parsed.rejected.append(Rejection(name, 0, None, f"the file is not readable CSV ({exc}); check it was "
                                                         "exported as CSV, not pasted or corrupted"))
    except UnicodeDecodeError:
        parsed.undo(mark)
        parsed.rejected.append(
            Rejection(name, 0, None, "the file is not UTF-8 text; save it as \"CSV UTF-8\" and import again")
        )


def _parse_csv(records: Iterator[list[str]], path: Path, parsed: ParsedInput) -> None:
    name = path.name
    raw_header = next(records, None)
    if raw_header is None:
        parsed.rejected.append(Rejection(name, 0, None, "the file is empty; it needs a header row"))
        return
    header = [h.strip().lower() for h in raw_header]
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
    for index, cells in enumerate(records, start=2):
        if not any(c.strip() for c in cells):
            continue  # blank lines at the end of hand-edited files
        row = Row(kind.name, name, index)
        if len(cells) > width:
            out.append(row.reject(None, f"the row has {len(cells)} cells but the header has {width} columns"))
        parse_cells(kind, dict(zip(header, cells, strict=False)), row, out, parsed.warnings, parsed.shared)
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
    """Parse the document item by item (json_stream); a problem with the file as a whole
    (not UTF-8, not JSON, not an object) undoes this file's rows and reports only that."""
    name = path.name
    mark = parsed.mark()
    try:
        with path.open("r", encoding="utf-8-sig") as fh:
            # Numbers stay text so money never passes through float, and NaN/1e3 reach the parser.
            unknown = _parse_json(fh, name, parsed)
    except UnicodeDecodeError:
        problem = "the file is not UTF-8 text"
    except RecursionError:
        problem = "not valid ledger JSON: it is nested far too deeply"
    except JsonSyntaxError as exc:
        problem = f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    except NotAnObject:
        problem = "the document must be an object with arrays such as \"invoices\""
    else:
        if unknown:
            parsed.warnings.insert(mark[2], f"{name}: ignored key(s) {', '.join(unknown)}")
        return
    parsed.undo(mark)
    parsed.rejected.append(Rejection(name, 0, None, problem))


def _parse_json(fh: TextIO, name: str, parsed: ParsedInput) -> list[str]:
    """Parse every collection of the document into rows; returns the keys it ignored."""
    unknown: list[str] = []
    out = parsed.rejected
    for key, value in members(fh, lambda k: k in KINDS, parse_float=str, parse_int=str, parse_constant=str):
        kind = KINDS.get(key)
        if kind is None:
            if key not in _JSON_META and key not in unknown:
                unknown.append(key)
            continue
        if not isinstance(value, Iterator):
            parsed.rejected.append(Rejection(name, 0, kind.name, f'"{kind.name}" must be an array'))
            continue
        rows = parsed.rows[kind.name]
        for index, item in enumerate(value, start=1):
            row = Row(kind.name, name, index, collection=kind.name)
            if not isinstance(item, dict):
                out.append(row.reject(None, "each item must be an object"))
                rows.append(row)
                continue
            parse_cells(kind, item, row, out, parsed.warnings, parsed.shared)
            rows.append(row)
    return unknown
