"""The subset of Xero's `where` filter (a .NET Dynamic LINQ expression) the app relies on.

Supported: == != >= <= > <, AND/OR/NOT (and && || !), parentheses, "strings", Guid("..."),
DateTime(y,m,d[,h,m,s]), true/false/null, numbers, and the .Contains/.StartsWith/.EndsWith
string methods. Anything else is refused with a QueryParseException, as Xero refuses it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from .errors import query_parse

Getter = Callable[[dict[str, Any]], Any]

_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<num>-?\d+(?:\.\d+)?)|(?P<op>==|!=|>=|<=|&&|\|\||[<>(),.!])'
    r"|(?P<id>[A-Za-z_][A-Za-z0-9_]*))"
)


class _Guid(str):
    pass


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise query_parse(f"Syntax error '{text[pos:pos + 10]}'")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


class WhereFilter:
    """Compile once, then `matches(obj)` for each candidate."""

    def __init__(self, text: str, fields: dict[str, Getter], type_name: str) -> None:
        self.fields = {k.lower(): v for k, v in fields.items()}
        self.type_name = type_name
        self.toks = _tokens(text)
        self.i = 0
        self.tree = self._or()
        if self.i != len(self.toks):
            raise query_parse(f"Syntax error '{self.toks[self.i][1]}'")

    # -- parser -------------------------------------------------------------------------------
    def _peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def _take(self, value: str | None = None) -> tuple[str, str]:
        tok = self._peek()
        if tok is None or (value is not None and tok[1].upper() != value.upper()):
            raise query_parse(f"Expression expected{'' if value is None else f' {value}'}")
        self.i += 1
        return tok

    def _or(self) -> Any:
        node = self._and()
        while (tok := self._peek()) and tok[1].upper() in ("OR", "||"):
            self.i += 1
            node = ("or", node, self._and())
        return node

    def _and(self) -> Any:
        node = self._not()
        while (tok := self._peek()) and tok[1].upper() in ("AND", "&&"):
            self.i += 1
            node = ("and", node, self._not())
        return node

    def _not(self) -> Any:
        tok = self._peek()
        if tok and tok[1].upper() in ("NOT", "!"):
            self.i += 1
            return ("not", self._not())
        return self._comparison()

    def _comparison(self) -> Any:
        tok = self._peek()
        if tok and tok[1] == "(":
            self.i += 1
            node = self._or()
            self._take(")")
            return node
        left = self._operand()
        tok = self._peek()
        if tok and tok[0] == "op" and tok[1] in ("==", "!=", ">=", "<=", ">", "<"):
            self.i += 1
            return ("cmp", tok[1], left, self._operand())
        if left[0] == "bool":
            return left
        if left[0] == "field":
            return ("cmp", "==", left, ("lit", True))
        raise query_parse("Expression of type 'Boolean' expected")

    def _operand(self) -> Any:
        kind, value = self._take()
        if kind == "str":
            return ("lit", bytes(value[1:-1], "utf-8").decode("unicode_escape"))
        if kind == "num":
            return ("lit", Decimal(value))
        if kind != "id":
            raise query_parse(f"Expression expected at '{value}'")
        upper = value.upper()
        if upper in ("TRUE", "FALSE"):
            return ("lit", upper == "TRUE")
        if upper == "NULL":
            return ("lit", None)
        if upper == "GUID":
            self._take("(")
            kind, text = self._take()
            self._take(")")
            if kind != "str":
                raise query_parse("Guid expects a string")
            return ("lit", _Guid(text[1:-1].lower()))
        if upper == "DATETIME":
            self._take("(")
            parts = [int(self._take()[1])]
            while self._peek() and self._peek()[1] == ",":  # type: ignore[index]
                self.i += 1
                parts.append(int(self._take()[1]))
            self._take(")")
            try:
                return ("lit", datetime(*parts, tzinfo=UTC))  # type: ignore[misc]
            except (TypeError, ValueError):
                raise query_parse("Invalid DateTime") from None
        path = [value]
        while (tok := self._peek()) and tok[1] == ".":
            self.i += 1
            name = self._take()[1]
            nxt = self._peek()
            if nxt and nxt[1] == "(":
                return self._method(".".join(path), name)
            path.append(name)
        return self._field(".".join(path))

    def _field(self, path: str) -> Any:
        getter = self.fields.get(path.lower())
        if getter is None:
            raise query_parse(f"No property or field '{path.split('.')[-1]}' exists in type '{self.type_name}'")
        return ("field", getter)

    def _method(self, path: str, method: str) -> Any:
        field = self._field(path)
        if method.lower() not in ("contains", "startswith", "endswith"):
            raise query_parse(f"No applicable method '{method}' exists in type 'String'")
        self._take("(")
        kind, text = self._take()
        self._take(")")
        if kind != "str":
            raise query_parse(f"No applicable method '{method}' exists in type 'String'")
        return ("bool", method.lower(), field, text[1:-1])

    # -- evaluation ---------------------------------------------------------------------------
    def matches(self, obj: dict[str, Any]) -> bool:
        return bool(self._eval(self.tree, obj))

    def _value(self, node: Any, obj: dict[str, Any]) -> Any:
        if node[0] == "lit":
            return node[1]
        return node[1](obj)

    def _eval(self, node: Any, obj: dict[str, Any]) -> Any:
        kind = node[0]
        if kind == "or":
            return self._eval(node[1], obj) or self._eval(node[2], obj)
        if kind == "and":
            return self._eval(node[1], obj) and self._eval(node[2], obj)
        if kind == "not":
            return not self._eval(node[1], obj)
        if kind == "bool":
            value = str(node[2][1](obj) or "").lower()
            needle = node[3].lower()
            return {"contains": needle in value, "startswith": value.startswith(needle),
                    "endswith": value.endswith(needle)}[node[1]]
        op, left, right = node[1], self._value(node[2], obj), self._value(node[3], obj)
        return _compare(op, left, right)


def _norm(value: Any) -> Any:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    return value


def _compare(op: str, left: Any, right: Any) -> bool:
    left, right = _norm(left), _norm(right)
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    if left is None or right is None:
        return False
    try:
        return {">=": left >= right, "<=": left <= right, ">": left > right, "<": left < right}[op]
    except TypeError:
        raise query_parse("Operator '" + op + "' incompatible with operand types") from None
