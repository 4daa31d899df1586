"""The Xero sandbox in its own process, for the demo and the GUI benchmark.

Why a process and not a thread: real Xero is remote. A sandbox thread in the
app's process competes with the GUI thread for the GIL while it parses, renders
and saves thousands of invoices (its state file is one json.dump holding the GIL
for tens of milliseconds), and its garbage lengthens every full collection. The
window then stutters for reasons a customer never sees (measured with
tests/perf/bench_gui_stall.py --diagnose). As a child process it costs the GUI
thread nothing, like the real thing.

`SandboxProcess` offers what the demo needs of an in-process `SandboxServer`:
`base_url`, `config` (client id, redirect URIs), `approve(url)` (plays the
browser on the consent page, over HTTP) and `stop()`.

The child is the sandbox's own CLI (`python -m xsync_desktop.sandbox`) with the two things a
child needs: redirect URIs from the parent (free ports, so two demos or a test run never
fight over 8765-8767), and `--until-stdin-closes`, so a parent that crashes or is killed
never leaves a sandbox running behind it. Its admin secret is chosen here and handed over in
its environment.
"""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import sys
import threading
from pathlib import Path

from ..sandbox.browser import approve_over_http
from ..sandbox.config import ADMIN_SECRET_ENV, SandboxConfig

log = logging.getLogger(__name__)

MODULE = "xsync_desktop.sandbox"


def can_spawn() -> bool:
    """A frozen (PyInstaller) app has no `python -m`: the demo then keeps the sandbox in-process."""
    return not getattr(sys, "frozen", False)


class SandboxProcess:
    """A running sandbox child process; `stop()` ends it (and saves its state file)."""

    def __init__(self, *, state_file: Path | str | None = None, rate_limits: bool = True,
                 redirect_ports: tuple[int, ...] | None = None, start_timeout: float = 30.0) -> None:
        uris = (tuple(f"http://127.0.0.1:{p}/callback" for p in redirect_ports) if redirect_ports
                else SandboxConfig().redirect_uris)
        #: the admin surface's secret, chosen here and handed to the child in its environment
        self.admin_secret = secrets.token_urlsafe(24)
        self.config = SandboxConfig(rate_limits=rate_limits, redirect_uris=uris,
                                    state_file=str(state_file) if state_file else None,
                                    admin_secret=self.admin_secret)
        cmd = [sys.executable, "-m", MODULE, "--redirect-uris", ",".join(uris), "--until-stdin-closes"]
        if state_file:
            cmd += ["--state", str(state_file)]
        if not rate_limits:
            cmd.append("--no-rate-limits")
        creationflags = getattr(subprocess, "CREATE_NO_WINDOW", 0)  # no console flashing up on Windows
        env = dict(os.environ, **{ADMIN_SECRET_ENV: self.admin_secret})
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True, encoding="utf-8", creationflags=creationflags, env=env)
        first: list[str] = []
        reader = threading.Thread(target=lambda: first.append(self._proc.stdout.readline()),  # type: ignore[union-attr]
                                  name="sandbox-url", daemon=True)
        reader.start()
        reader.join(start_timeout)
        url = first[0].strip() if first else ""
        if not url.startswith("http"):
            self.stop()
            raise RuntimeError(f"the sandbox process did not start ({url or 'no address printed'})")
        self.base_url = url.rstrip("/")
        # Drain stderr so a chatty child never blocks on a full pipe.
        threading.Thread(target=self._drain, name="sandbox-stderr", daemon=True).start()

    def _drain(self) -> None:
        stream = self._proc.stderr
        if stream is None:
            return
        try:
            for text in stream:
                log.debug("sandbox: %s", text.rstrip())
        except (OSError, ValueError):  # closed by stop()
            return

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def running(self) -> bool:
        return self._proc.poll() is None

    def approve(self, authorize_url: str, tenant_ids: list[str] | None = None) -> str:
        """Play the browser: open the consent page, keep the organisations ticked, allow; return the redirect."""
        return approve_over_http(authorize_url, tenant_ids)

    def stop(self, timeout: float = 15.0) -> None:
        """Close the child's stdin (it saves its state and exits), then make sure it is gone."""
        if self._proc.stdin is not None and not self._proc.stdin.closed:
            try:
                self._proc.stdin.close()
            except OSError:  # pragma: no cover - the child is gone already
                pass
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("the sandbox process did not stop in %.0f s; killing it", timeout)
            self._proc.kill()
            self._proc.wait(timeout)
        for stream in (self._proc.stdout, self._proc.stderr):
            if stream is not None:
                try:
                    stream.close()
                except OSError:  # pragma: no cover
                    pass
