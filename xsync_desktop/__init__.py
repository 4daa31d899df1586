"""xsync desktop: keeps a self-storage billing ledger aligned with Xero.

`__version__` is read from the installed package's metadata on first use (PEP 562), not at
import: importlib.metadata and the search for the distribution cost a cold start of the
window about a tenth of a second on an office PC, and only --version, About and the
diagnostics need it.
"""

from __future__ import annotations

from typing import Any


def _read_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("xsync-desktop")
    except PackageNotFoundError:  # running from a source tree without install
        return "0.1.0"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        value = _read_version()
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
