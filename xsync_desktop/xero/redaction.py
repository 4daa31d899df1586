"""Keep tokens out of logs.

httpx, authlib and our own code may log URLs, headers or bodies that hold an
authorization code, a PKCE verifier or tokens.  ``RedactingFilter`` rewrites
each record (message, args and traceback text) before any handler sees it.
Attach it to *handlers* (a filter on a logger does not see records propagated
from child loggers): ``handler.addFilter(RedactingFilter())``.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"

_SECRET_KEYS = r"refresh_token|access_token|id_token|code_verifier|client_secret|token"
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization: Bearer <token>
    (re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9\-._~+/]+=*"), r"\1" + REDACTED),
    # Any JWT (access tokens, id tokens), wherever it appears.
    (re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), REDACTED),
    # Query strings and form bodies: code=..., refresh_token=..., token=...
    (re.compile(rf"(?i)(?<![A-Za-z0-9_])((?:{_SECRET_KEYS}|code)=)[^&\s\"'<>]+"), r"\1" + REDACTED),
    # JSON or repr: "refresh_token": "...", 'access_token': '...'
    (
        re.compile(rf"(?i)([\"']?(?<![A-Za-z0-9_])(?:{_SECRET_KEYS})[\"']?\s*:\s*[\"']?)[^\"'\s,}}\]]+"),
        r"\1" + REDACTED,
    ),
)


def redact(text: str) -> str:
    """Return ``text`` with every token-like value replaced by ``[redacted]``."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that redacts secrets; it never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not hide the record
            message = f"{record.msg!r} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
