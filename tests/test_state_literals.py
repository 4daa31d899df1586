"""No bare string where a typed state goes: a typo there would be a silent new state.

The sync tables' states (store/states.py) and the engine's problem (sync/run_problem.py) are
StrEnums. Their members are their strings, so a bare "needs_review" still works, and a bare
"needs_reveiw" would too: it would compare unequal to everything and quietly match nothing.
This test reads every module of the app (parsed, not imported) and refuses a string literal
in a place that holds one of those states:

- compared with (`==`, `!=`, `in`) or filtered by (`.in_(...)`) something named `outcome`,
  `outcome_now`, `problem`, `state`, `status` or `kind` (an attribute, a variable,
  `getattr(x, "outcome")`, `x["outcome"]`);
- assigned to such a name, passed as such a keyword, given as such a parameter's default or a
  dict entry under such a key;
- passed positionally to a function of the app in the place of a parameter with such a name;
- anywhere at all, for an exception kind's value ("payment_overpays"): no other vocabulary
  has those words, so a module's own `NUMBER_TAKEN = "number_taken"` is a second spelling of
  the state (`__all__`'s function names aside).

`outcome` holds nothing but these states, so any string there is refused, spelled right or
not. The other names also name other things (Xero's invoice status, an entity kind, OAuth's
state, a mapping's problem, the runs view's "settled"), so there a string is refused when it
is one of the states' values or one typo away from one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path

from xsync_desktop.store.states import ExceptionKind, ExceptionStatus, ItemOutcome, LinkState, RunOutcome
from xsync_desktop.sync.run_problem import RunProblem

ROOT = Path(__file__).resolve().parents[1] / "xsync_desktop"
#: Xero's own vocabularies and the Xero look-alike: their statuses are Xero's strings, not ours
OUTSIDE = ("sandbox", "xero", "migrations")
STATES: tuple[type[StrEnum], ...] = (RunOutcome, ItemOutcome, LinkState, ExceptionStatus, ExceptionKind, RunProblem)
KNOWN = frozenset(m.value for e in STATES for m in e)
KIND_VALUES = frozenset(m.value for m in ExceptionKind)
ONLY_STATES = frozenset({"outcome"})
ALSO_OTHER_THINGS = frozenset({"outcome_now", "problem", "state", "status", "kind"})
NAMES = ONLY_STATES | ALSO_OTHER_THINGS


def _modules() -> list[Path]:
    return [p for p in sorted(ROOT.rglob("*.py")) if not set(OUTSIDE) & set(p.relative_to(ROOT).parts)]


def _name_of(node: ast.AST) -> str | None:
    """The state name an expression reads, if it reads one (`run.outcome`, `getattr(r, "outcome")`)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
        return node.slice.value
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
            and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)):
        return str(node.args[1].value)
    return None


def _strings(node: ast.AST | None) -> Iterator[ast.Constant]:
    """The string literals an expression is (one, or a tuple/list/set of them)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node
    elif isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        for elt in node.elts:
            yield from _strings(elt)


def _one_typo(a: str, b: str) -> bool:
    """One letter wrong, missing, extra, or two neighbours swapped."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), len(a))
    if len(a) < len(b):
        return a[i:] == b[i + 1:]
    return a[i + 1:] == b[i + 1:] or (a[i + 2:] == b[i + 2:] and a[i:i + 2] == b[i:i + 2][::-1])


def _wrong(name: str | None, literal: ast.Constant) -> bool:
    if name not in NAMES:
        return False
    if name in ONLY_STATES:
        return True
    value = str(literal.value)
    return value in KNOWN or any(_one_typo(value, known) for known in KNOWN)


def _parameter_names(trees: list[ast.AST]) -> dict[tuple[str, int], str]:
    """(function name, position with self left out) -> its parameter's name, for state-named parameters."""
    names: dict[tuple[str, int], str] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                params = [a.arg for a in node.args.posonlyargs + node.args.args if a.arg not in ("self", "cls")]
                for i, arg in enumerate(params):
                    if arg in NAMES:
                        names[(node.name, i)] = arg
    return names


def _called(node: ast.Call) -> str | None:
    return node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)


def _stray(tree: ast.AST, params: dict[tuple[str, int], str]) -> Iterator[tuple[ast.Constant, str]]:
    """(literal, the name it stands for) for each bare string in a state's place."""
    exported = {id(c) for node in ast.walk(tree) if isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
                for c in _strings(node.value)}
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)}
    members = {id(stmt.value) for node in ast.walk(tree) if isinstance(node, ast.ClassDef)
               and any(isinstance(b, ast.Name) and b.id == "StrEnum" for b in node.bases)
               for stmt in node.body if isinstance(stmt, ast.Assign)}
    seen: set[int] = set()
    for node in ast.walk(tree):
        pairs: list[tuple[str | None, ast.AST | None]] = []
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            for a, b in zip(sides, sides[1:], strict=False):
                pairs += [(_name_of(a), b), (_name_of(b), a)]
        elif isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute) and node.func.attr in ("in_", "not_in", "notin_"):
                pairs += [(_name_of(node.func.value), arg) for arg in node.args]
            pairs += [(kw.arg, kw.value) for kw in node.keywords]
            pairs += [(params.get((_called(node) or "", i)), arg) for i, arg in enumerate(node.args)]
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            pairs += [(_name_of(t), node.value) for t in targets]
        elif isinstance(node, ast.Dict):
            pairs += [(k.value if isinstance(k, ast.Constant) and isinstance(k.value, str) else None, v)
                      for k, v in zip(node.keys, node.values, strict=True)]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args.posonlyargs + node.args.args
            pairs += list(zip([a.arg for a in args[len(args) - len(node.args.defaults):]], node.args.defaults,
                              strict=True))
            pairs += [(a.arg, d) for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True)]
        for name, value in pairs:
            for literal in _strings(value):
                if _wrong(name, literal) and id(literal) not in seen:
                    seen.add(id(literal))
                    yield literal, str(name)
        if (isinstance(node, ast.Constant) and node.value in KIND_VALUES and id(node) not in seen
                and not {id(node)} & (exported | docstrings | members)):
            seen.add(id(node))
            yield node, "an exception kind"


def test_no_bare_string_stands_where_a_state_goes() -> None:
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in _modules()}
    params = _parameter_names(list(trees.values()))
    found = [f"{path.relative_to(ROOT.parent)}:{literal.lineno}: {literal.value!r} as {name}"
             for path, tree in trees.items() for literal, name in _stray(tree, params)]
    assert not found, "use the state's enum member (store/states.py, sync/run_problem.py):\n" + "\n".join(found)


def test_the_scan_finds_what_it_looks_for() -> None:
    """The test above must be able to fail: each shape it refuses, spelled right and with a typo."""
    source = '''
def f(run, items, session, result, exc):
    a = run.outcome == "succeeded"
    b = getattr(result, "problem", None) in ("network", "reconect")
    c = session.query(items).where(items.outcome.in_(("failed", "skiped")))
    d = exc.status != "opne"
    run.state = "sending"
    e = dict(kind="payment_overpays")
    g = {"outcome": "failed"}
    finish(run, "succeded")
def finish(item, outcome="failed"): ...
NUMBER_TAKEN = "number_taken"
__all__ = ["allocation_changed"]
'''
    tree = ast.parse(source)
    found = sorted((literal.lineno, literal.col_offset, literal.value)
                   for literal, _ in _stray(tree, _parameter_names([tree])))
    assert [v for _, _, v in found] == ["succeeded", "network", "reconect", "failed", "skiped", "opne", "sending",
                                     "payment_overpays", "failed", "succeded", "failed", "number_taken"]
    assert _one_typo("opne", "open") and _one_typo("reconect", "reconnect") and _one_typo("faild", "failed")
    assert not _one_typo("invoice", "invoice_deleted") and not _one_typo("open", "open")
    # not states: Xero's status, an entity kind, a message
    assert not list(_stray(ast.parse('ok = inv.status == "AUTHORISED" and kind == "invoice"\nmsg = "failed"'), {}))
