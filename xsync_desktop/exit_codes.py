"""The process exit codes: part of the command line's interface (scripts and schedulers branch on them).

An `IntEnum` so `sys.exit(code)` and comparisons with plain ints keep working, while a typo
(`ExitCode.FAILUER`) is an error at import time instead of a silent new code. It lives in its
own module so `cli.py` and the commands it dispatches to (sync, ledger, ui) all import it from
below, never from each other.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What a headless command (or the GUI refusing to start) tells its caller."""

    OK = 0
    #: `import` found rejected rows; nothing was written
    REJECTED = 1
    #: bad arguments, a missing file, a file that is no billing export
    USAGE = 2
    #: the sync finished, but some items failed (or it was cancelled)
    FAILURES = 3
    #: Xero's daily limit paused the sync; the message says when it resumes
    PAUSED = 4
    #: the Xero connection must be made again in the app
    RECONNECT = 5
    #: database locked, disk full, no keyring, another copy running...
    ENVIRONMENT = 6
