"""`python -m xsync_desktop.sandbox [--port 0] [--state FILE] [--time-scale X]`.

Prints the base URL as the first line of stdout and `admin-secret: <secret>` as the second
(what the admin surface requires in X-Sandbox-Admin-Secret; XSYNC_SANDBOX_ADMIN_SECRET sets
it, else it is new each start), then serves until killed.
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
    args = parser.parse_args(argv)
    cfg = SandboxConfig(port=args.port, state_file=args.state, time_scale=args.time_scale,
                        rate_limits=not args.no_rate_limits,
                        admin_secret=os.environ.get(ADMIN_SECRET_ENV) or None)
    srv = SandboxServer(cfg).start()
    print(srv.base_url, flush=True)
    print(f"{ADMIN_SECRET_LINE}{srv.admin_secret}", flush=True)
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
