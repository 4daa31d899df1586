"""Injected faults (admin surface): errors, delays, lost responses, limits, expired tokens."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

ACTIONS = {"status", "delay", "drop_after_commit", "rate_limit_minute", "rate_limit_day", "token_expired",
           "answer_reversed", "answer_short", "answer_value"}
# Faults that reshape a committed answer: as answers generated from Xero's own spec examples
# do, elements in another order than sent or one element left out; or, as a Xero that changed
# a field's format would, every `field` in the answer set to `value` (a value the client
# cannot read, such as a line's Quantity "one").
ANSWER_FAULTS = {"answer_reversed", "answer_short", "answer_value"}


def reshape_answer(fault: Fault, payload: Any) -> Any:
    """The committed answer reshaped as `fault` says."""
    if fault.action == "answer_value":
        return _set_everywhere(payload, str(fault.field), fault.value)
    if not isinstance(payload, dict):
        return payload
    for key, value in payload.items():
        if isinstance(value, list) and len(value) > 1:
            payload[key] = list(reversed(value)) if fault.action == "answer_reversed" else value[:-1]
            break
    return payload


def _set_everywhere(node: Any, field: str, value: Any) -> Any:
    if isinstance(node, dict):
        return {k: value if k == field else _set_everywhere(v, field, value) for k, v in node.items()}
    if isinstance(node, list):
        return [_set_everywhere(v, field, value) for v in node]
    return node


@dataclass
class Fault:
    action: str
    method: str | None = None
    path: str | None = None
    tenant: str | None = None
    status: int = 500
    seconds: float = 0.0
    count: int | None = None  # None: until cleared
    field: str | None = None  # answer_value: the key to set, wherever it appears in the answer
    value: Any = None  # answer_value: what it is set to

    def matches(self, method: str, path: str, tenant: str | None) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        if self.path and not path.lower().startswith(self.path.lower()):
            return False
        return not (self.tenant and self.tenant != tenant)


class FaultBook:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, spec: dict) -> Fault:
        action = spec.get("action")
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        if action == "answer_value" and not spec.get("field"):
            raise ValueError("answer_value needs the field to set")
        fault = Fault(
            action=action, method=spec.get("method"), path=spec.get("path"), tenant=spec.get("tenant"),
            status=int(spec.get("status") or 500), seconds=float(spec.get("seconds") or 0),
            count=None if spec.get("count") in (None, 0) else int(spec["count"]),
            field=spec.get("field"), value=spec.get("value"),
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str, tenant: str | None, actions: set[str], *,
             named_path_only: bool = False) -> Fault | None:
        """The first matching fault among `actions`, consuming one of its uses.

        `named_path_only`: only faults whose `path` names this route (the identity service's
        routes: a fault meant for the Accounting API, with no path, must not be spent on a
        token refresh or a sign-out).
        """
        with self._lock:
            for fault in self._faults:
                if named_path_only and not fault.path:
                    continue
                if fault.action in actions and fault.matches(method, path, tenant):
                    if fault.count is not None:
                        fault.count -= 1
                        if fault.count <= 0:
                            self._faults.remove(fault)
                    return fault
        return None
