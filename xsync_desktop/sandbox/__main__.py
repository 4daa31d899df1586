"""`python -m xsync_desktop.sandbox [--port 0] [--state FILE] [--time-scale X] [--redirect-uris A,B]
[--until-stdin-closes]`.

Prints the base URL as the first line of stdout and `admin-secret: <secret>` as the second
(what the admin surface requires in X-Sandbox-Admin-Secret; XSYNC_SANDBOX_ADMIN_SECRET sets
it, else it is new each start), then serves until killed (SIGTERM, Ctrl+C), or with
`--until-stdin-closes` until its stdin closes: a parent that stops it, or dies, never leaves a
sandbox running behind it (the demo's child process, composition/sandbox_process.py).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from .config import ADMIN_SECRET_ENV, ADMIN_SECRET_LINE, SandboxConfig
from .server import SandboxServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m xsync_desktop.sandbox")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--state", default=None, help="JSON file that keeps the sandbox's data across restarts")
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--no-rate-limits", action="store_true")
    parser.add_argument("--redirect-uris", default="", help="comma-separated sign-in redirect URIs to accept")
    parser.add_argument("--until-stdin-closes", action="store_true",
                        help="serve until stdin closes (the parent process stopped us, or died)")
    args = parser.parse_args(argv)
    options: dict[str, object] = {}
    if args.redirect_uris:
        options["redirect_uris"] = tuple(u for u in args.redirect_uris.split(",") if u)
    cfg = SandboxConfig(port=args.port, state_file=args.state, time_scale=args.time_scale,
                        rate_limits=not args.no_rate_limits,
                        admin_secret=os.environ.get(ADMIN_SECRET_ENV) or None, **options)  # type: ignore[arg-type]
    srv = SandboxServer(cfg).start()
    print(srv.base_url, flush=True)
    print(f"{ADMIN_SECRET_LINE}{srv.admin_secret}", flush=True)
    if args.until_stdin_closes:
        try:
            while sys.stdin.readline():  # nothing is ever sent: EOF is the signal to stop
                pass
        except KeyboardInterrupt:  # pragma: no cover
            pass
        finally:
            srv.stop()
        return 0
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    finally:
        srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
