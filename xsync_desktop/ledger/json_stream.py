"""Reading a ledger JSON document one array item at a time, with the standard library's decoder.

Why: `json.loads` of a 50,000-invoice export (55 MB) builds every item at once, about
four times the file in Python objects, before a single row is parsed. Here the text is
read in chunks and each item of a top-level array is decoded on its own
(`JSONDecoder.raw_decode` at a position), so only one item and one chunk are in memory
beyond the rows already parsed. The decoder is the one `json.loads` uses, so numbers
still arrive as text (money never passes through float), NaN still reaches the money
parser, and a syntax error is reported with the line and column in the whole file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any, TextIO

_WS = re.compile(r"[ \t\n\r]*")
CHUNK_CHARS = 1 << 20
# What may follow a value in valid JSON; anything else, before the end of the file, means
# the value may go on past the chunk.
_AFTER_VALUE = frozenset(" \t\n\r,]}:")


class JsonSyntaxError(ValueError):
    """Not valid JSON; `msg`, `lineno` and `colno` as json.JSONDecodeError gives them, for the whole file."""

    def __init__(self, msg: str, lineno: int, colno: int) -> None:
        super().__init__(f"{msg}: line {lineno} column {colno}")
        self.msg, self.lineno, self.colno = msg, lineno, colno


class NotAnObject(ValueError):
    """The document is valid JSON so far but is not an object at the top."""


class _Reader:
    """A window on the text: what is consumed is dropped when the next chunk is read."""

    def __init__(self, fh: TextIO, decoder: json.JSONDecoder, chunk: int) -> None:
        self.fh, self.decoder, self.chunk = fh, decoder, chunk
        self.buf, self.pos, self.eof = "", 0, False
        self.lines_before = 0  # newlines in the text dropped so far
        self.col_before = 0  # characters after the last dropped newline

    def more(self) -> bool:
        if self.eof:
            return False
        data = self.fh.read(self.chunk)
        if not data:
            self.eof = True
            return False
        newlines = self.buf.count("\n", 0, self.pos)
        if newlines:
            self.lines_before += newlines
            self.col_before = self.pos - self.buf.rfind("\n", 0, self.pos) - 1
        else:
            self.col_before += self.pos
        self.buf = self.buf[self.pos:] + data
        self.pos = 0
        return True

    def peek(self) -> str:
        """The next character that is not white space ("" at the end of the file)."""
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.more():
                return ""

    def take(self, ch: str, msg: str) -> None:
        if self.peek() != ch:
            raise self.error(msg, self.pos)
        self.pos += 1

    def value(self) -> Any:
        self.peek()
        while True:
            try:
                obj, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if self.more():  # maybe only cut off by the chunk's end: try with more text
                    continue
                raise self.error(exc.msg, exc.pos) from None
            if (end >= len(self.buf) or self.buf[end] not in _AFTER_VALUE) and self.more():
                continue  # a number cut by the chunk's end ("1." of "1.5") must see what follows
            self.pos = end
            return obj

    def error(self, msg: str, pos: int) -> JsonSyntaxError:
        newline = self.buf.rfind("\n", 0, pos)
        line = self.lines_before + self.buf.count("\n", 0, pos) + 1
        col = pos - newline if newline >= 0 else self.col_before + pos + 1
        return JsonSyntaxError(msg, line, col)


def members(fh: TextIO, streamed: Callable[[str], bool], *, chunk: int | None = None,
            **decoder_options: Any) -> Iterator[tuple[str, Any]]:
    """Yield (key, value) for each member of the top-level object, in file order.

    For a key where `streamed(key)` is true and the value is an array, the value is an
    iterator over its items, decoded one at a time; it must be used up before the next
    member is asked for. Raises JsonSyntaxError, NotAnObject, UnicodeDecodeError, and
    RecursionError for nesting deeper than the decoder takes, as json.loads would.
    """
    r = _Reader(fh, json.JSONDecoder(**decoder_options), chunk or CHUNK_CHARS)
    first = r.peek()
    if first != "{":
        r.value()  # a syntax error in it is reported as such, as json.loads would
        raise NotAnObject()
    r.pos += 1
    if r.peek() == "}":
        r.pos += 1
    else:
        while True:
            if r.peek() != '"':
                raise r.error("Expecting property name enclosed in double quotes", r.pos)
            key = r.value()
            r.take(":", "Expecting ':' delimiter")
            if streamed(key) and r.peek() == "[":
                r.pos += 1
                items = _items(r)
                yield key, items
                for _ in items:  # whatever the caller left
                    pass
            else:
                yield key, r.value()
            sep = r.peek()
            r.pos += 1
            if sep == "}":
                break
            if sep != ",":
                raise r.error("Expecting ',' delimiter", r.pos - 1)
    if r.peek():
        raise r.error("Extra data", r.pos)


def _items(r: _Reader) -> Iterator[Any]:
    if r.peek() == "]":
        r.pos += 1
        return
    while True:
        yield r.value()
        sep = r.peek()
        r.pos += 1
        if sep == "]":
            return
        if sep != ",":
            raise r.error("Expecting ',' delimiter", r.pos - 1)
