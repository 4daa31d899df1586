"""`xsync-desktop sandbox [--port N] [--state FILE]`: the Xero sandbox on its own, in the foreground.

Routed through the composition root so that nothing else of the app imports the sandbox.
"""

from __future__ import annotations

from typing import Any


def run_sandbox_command(args: Any) -> int:
    from ..sandbox.__main__ import main as sandbox_main

    extra = ["--port", str(args.port)] + (["--state", args.state] if args.state else [])
    return sandbox_main(extra) or 0
