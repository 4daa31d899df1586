"""Transport-neutral request/response records used by every sandbox handler."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from .errors import ApiError
from .wire import dumps


@dataclass
class Request:
    method: str
    path: str
    raw_query: str
    headers: dict[str, str]  # lower-cased names
    body: bytes
    params: dict[str, str] = field(default_factory=dict)  # path parameters

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(self.raw_query, keep_blank_values=True)

    def q(self, name: str, default: str | None = None) -> str | None:
        """A query parameter, matched case-insensitively as Xero does."""
        for key, values in self.query.items():
            if key.lower() == name.lower():
                return values[-1]
        return default

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.body.decode("utf-8"), keep_blank_values=True).items()}


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the socket without answering (fault injection)


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    h = {"Content-Type": "application/json; charset=utf-8"}
    h.update(headers or {})
    return Response(status, dumps(payload), h)


def text_response(status: int, text: str, content_type: str = "text/plain; charset=utf-8") -> Response:
    return Response(status, text.encode("utf-8"), {"Content-Type": content_type})


def error_response(err: ApiError) -> Response:
    if err.text is not None:
        resp = text_response(err.status, err.text)
    elif err.body is None:
        resp = Response(err.status)
    else:
        resp = json_response(err.status, err.body)
    resp.headers.update(err.headers)
    return resp
