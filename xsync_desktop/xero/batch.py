"""Per-element outcomes of a batch PUT/POST sent with ``summarizeErrors=false``.

In that mode Xero answers 200 even when some elements failed; each element says
for itself whether it was saved.  (Without it, one bad element turns the whole
answer into a 400 while the good ones are still created, IDs unknown.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ElementResult:
    """The outcome for ``elements[index]`` of the request."""

    index: int
    ok: bool
    data: dict[str, Any]
    messages: list[str] = field(default_factory=list)  # Xero's ValidationErrors, verbatim
    warnings: list[str] = field(default_factory=list)


def _messages(items: Any) -> list[str]:
    out: list[str] = []
    for item in items or []:
        if isinstance(item, dict) and item.get("Message"):
            out.append(str(item["Message"]))
        elif isinstance(item, str):
            out.append(item)
    return out


def element_results(body: dict[str, Any], collection: str) -> list[ElementResult]:
    results: list[ElementResult] = []
    for index, element in enumerate(body.get(collection) or []):
        if not isinstance(element, dict):
            continue
        messages = _messages(element.get("ValidationErrors"))
        failed = bool(
            messages
            or element.get("HasErrors")
            or element.get("HasValidationErrors")
            or str(element.get("StatusAttributeString", "")).upper() == "ERROR"
        )
        results.append(
            ElementResult(
                index=index,
                ok=not failed,
                data=element,
                messages=messages,
                warnings=_messages(element.get("Warnings")),
            )
        )
    return results


def validation_messages(body: Any) -> list[str]:
    """All human messages in a 400 ValidationException (top-level and per element)."""
    if not isinstance(body, dict):
        return []
    messages: list[str] = []
    for element in body.get("Elements") or []:
        if isinstance(element, dict):
            messages.extend(_messages(element.get("ValidationErrors")))
    if not messages and body.get("Message"):
        messages.append(str(body["Message"]))
    return messages
