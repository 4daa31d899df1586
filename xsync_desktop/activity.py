"""The activity log: one plain line per thing that happened, for a person reading it later.

The profile's main log (xsync-desktop.log) is for developers: HTTP lines, migrations,
tracebacks. A reviewer with no network needs the story instead: when each sync started
and ended with its counts, each failed record with the plain message and Xero's own
words, imports, retries, skips, decisions on exceptions, sign-offs, and when Xero did
not answer. The engine, the importer and the checklist emit those lines through the
plain `logging` logger "xsync.activity" (no Qt, no file handling); whoever runs them
(the GUI, the command line) opens the file with `open_activity_log`: rotated, in local
time with the zone named, through the Xero client's redaction filter.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

LOGGER_NAME = "xsync.activity"
FILE_NAME = "activity.log"

log = logging.getLogger(LOGGER_NAME)


def open_activity_log(logs_dir: Path, *, max_bytes: int = 1_000_000, backups: int = 10) -> logging.Handler:
    """Write the activity lines to `logs_dir`/activity.log (rotated); returns the handler to close."""
    from .xero.redaction import RedactingFilter

    logs_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(logs_dir / FILE_NAME, maxBytes=max_bytes, backupCount=backups,
                                                   encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s  %(message)s", datefmt="%Y-%m-%d %H:%M:%S %Z"))
    handler.addFilter(RedactingFilter())
    handler.setLevel(logging.INFO)
    log.addHandler(handler)
    if log.level == logging.NOTSET or log.level > logging.INFO:
        log.setLevel(logging.INFO)
    return handler


def close_activity_log(handler: logging.Handler) -> None:
    log.removeHandler(handler)
    handler.close()


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 payment', '2 payments' ('1 credit note', '3 credit notes')."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"
