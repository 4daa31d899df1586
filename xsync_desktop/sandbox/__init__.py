"""A Xero-compatible sandbox (identity + Accounting API) for tests and the offline demo.

Imports nothing else of xsync_desktop. Truth: the vendored OpenAPI spec and the research facts.
"""

from .clock import SandboxClock
from .config import SandboxConfig
from .server import SandboxServer

__all__ = ["SandboxClock", "SandboxConfig", "SandboxServer"]
