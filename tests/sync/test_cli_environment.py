"""`xsync-desktop sync` as a real process when the machine's setup is wrong: a plain message and
exit 6 (environment problem), never a traceback (issue 15)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from xsync_desktop.exit_codes import ExitCode

ROOT = Path(__file__).resolve().parents[2]


def run_cli(profile: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("XSYNC_PROFILE", "XSYNC_DATABASE_URL",
                                                             "XSYNC_DEMO_SANDBOX")}
    return subprocess.run([sys.executable, "-m", "xsync_desktop", "--profile", str(profile), *args],
                          cwd=ROOT, env=dict(base, PYTHONPATH=str(ROOT), **env), capture_output=True,
                          text=True, timeout=120)


def test_unknown_keyring_backend_in_the_environment_exits_6_with_a_plain_message(tmp_path: Path) -> None:
    proc = run_cli(tmp_path / "profile ü", "sync", PYTHON_KEYRING_BACKEND="nonsense.Backend",
                   XSYNC_XERO_CLIENT_ID="some-client")
    out = proc.stdout + proc.stderr
    assert proc.returncode == ExitCode.ENVIRONMENT, out
    assert "Traceback" not in out
    assert "PYTHON_KEYRING_BACKEND ('nonsense.Backend') cannot be loaded" in out
    assert "Remove that setting" in out
