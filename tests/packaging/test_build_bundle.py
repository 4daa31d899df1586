"""The whole packaging pipeline: PyInstaller bundle, smoke tests of the frozen program, NSIS installer.

Slow (a few minutes: PyInstaller ~30 s, makensis 1-2 min of LZMA), so it runs with `-m slow`.
It is the test that fails when a module is imported in a way PyInstaller cannot see, a data file
is not bundled, a migration cannot be found by the frozen Alembic, or the installer script breaks.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lock_check import LOCK_FILE, lock_digest

ROOT = Path(__file__).resolve().parents[2]
EXE = ".exe" if sys.platform == "win32" else ""

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run scripts/build_bundle.py once for the module; (process, dist folder)."""
    dist = tmp_path_factory.mktemp("packaging") / "dist"
    cmd = [sys.executable, str(ROOT / "scripts" / "build_bundle.py"), "--dist", str(dist),
           "--work", str(dist.parent / "work")]
    if shutil.which("makensis") is None:
        cmd.append("--skip-installer")
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True), dist


def test_build_bundle_smoke_tests_and_installer(build: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    proc, dist = build
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-6000:]
    report = json.loads((dist / "build-report.json").read_text(encoding="utf-8"))
    assert set(report["smoke"]) == {"version", "cli --smoke-test", "gui --smoke-test", "sandbox", "--demo sync",
                                "--demo sync again"}
    assert report["sizes_mb"]["bundle"] > 0
    # Frozen from exactly the locked versions (installers/lock_check.py), and the report says which lock.
    assert report["lock"]["environment"] == "matches"
    assert report["lock"]["sha256"] == lock_digest(LOCK_FILE)
    if shutil.which("makensis"):
        installer = Path(report["artifacts"]["installer"])
        assert installer.is_file() and installer.read_bytes()[:2] == b"MZ"


def test_frozen_cli_keeps_the_usage_exit_code(build: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    """Exit codes survive freezing (scripts and scheduled tasks branch on them)."""
    cli = build[1] / "xsync-desktop" / f"xsync-desktop-cli{EXE}"
    if not cli.is_file():
        pytest.fail("the bundle was not built:\n" + build[0].stderr[-4000:])
    proc = subprocess.run([str(cli), "no-such-command"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "invalid choice" in proc.stderr
