"""Xero's error bodies, in one place so every endpoint refuses in the same words.

Shapes follow the research facts §10: 400 ValidationException (spec `Error`), 401/403
problem documents, 500 UnknownErrorException, 503 plain text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .wire import new_id

NOT_FOUND_TEXT = "The resource you're looking for cannot be found"
MAINTENANCE_TEXT = "The Xero API is currently offline for maintenance"


@dataclass
class ApiError(Exception):
    """A complete HTTP answer that aborts the current request."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    text: str | None = None

    def __str__(self) -> str:  # keeps tracebacks readable without leaking tokens
        return f"ApiError({self.status})"


def problem(status: int, title: str, detail: str) -> dict[str, Any]:
    return {
        "Type": None,
        "Title": title,
        "Status": status,
        "Detail": detail,
        "Instance": new_id(),
        "Extensions": {},
    }


def unauthorized(detail: str = "AuthenticationUnsuccessful") -> ApiError:
    return ApiError(401, problem(401, "Unauthorized", detail), {"WWW-Authenticate": "Bearer"})


def token_expired(expired_at: datetime) -> ApiError:
    stamp = expired_at.strftime("%m/%d/%Y %H:%M:%S")
    return unauthorized(f"TokenExpired: token expired at {stamp}")


def forbidden(detail: str = "AuthenticationUnsuccessful") -> ApiError:
    return ApiError(403, problem(403, "Forbidden", detail))


def insufficient_scope() -> ApiError:
    # Xero answers a missing scope with the same problem shape; the detail names the cause.
    return ApiError(403, problem(403, "Forbidden", "AuthorizationUnsuccessful"))


def not_found() -> ApiError:
    return ApiError(404, text=NOT_FOUND_TEXT)


def validation_body(elements: list[dict[str, Any]], message: str = "A validation exception occurred") -> dict:
    return {
        "ErrorNumber": 10,
        "Type": "ValidationException",
        "Message": message,
        "Elements": elements,
    }


def validation(message: str, element: dict[str, Any] | None = None) -> ApiError:
    """A single-message ValidationException (e.g. a bad query parameter)."""
    el = dict(element or {})
    el["ValidationErrors"] = [{"Message": message}]
    return ApiError(400, validation_body([el]))


def query_parse(message: str) -> ApiError:
    return ApiError(400, {"ErrorNumber": 16, "Type": "QueryParseException", "Message": message})


def internal_error() -> ApiError:
    return ApiError(
        500,
        {
            "ErrorNumber": 500,
            "Type": "UnknownErrorException",
            "Message": "An error occurred in Xero. Check the API Status page "
            "http://status.developer.xero.com for current service status.",
        },
    )


def maintenance() -> ApiError:
    return ApiError(503, text=MAINTENANCE_TEXT)


class ElementError(Exception):
    """One element of a batch failed validation; carries Xero's message(s)."""

    def __init__(self, *messages: str) -> None:
        super().__init__(messages[0] if messages else "")
        self.messages = list(messages)
