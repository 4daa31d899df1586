"""The installer script compiles without a warning (makensis -WX) over a small stand-in bundle.

The full build (tests/packaging/test_build_bundle.py, slow) compiles it over the real bundle;
this one catches script mistakes in seconds. It checks what makensis can: syntax, defines,
includes, pages, sections, and that no warning is left. Install/uninstall behaviour needs Windows
(the GitHub workflow).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from build_bundle import NSIS_SCRIPT, build_installer

pytestmark = pytest.mark.skipif(shutil.which("makensis") is None, reason="makensis not installed (apt-get install nsis)")


@pytest.fixture
def fake_bundle(tmp_path: Path) -> Path:
    bundle = tmp_path / "dist dir ü" / "xsync-desktop"
    (bundle / "_internal" / "xsync_desktop").mkdir(parents=True)
    for name in ("xsync-desktop.exe", "xsync-desktop-cli.exe"):
        (bundle / name).write_bytes(b"MZ stand-in")
    (bundle / "_internal" / "xsync_desktop" / "__init__.pyc").write_bytes(b"\0" * 64)
    return bundle


def test_script_compiles_without_warnings(fake_bundle: Path) -> None:
    out = build_installer(fake_bundle, fake_bundle.parent, "1.2.3rc1", shutil.which("makensis") or "makensis")
    assert out.name == "xsync-desktop-1.2.3rc1-setup.exe"
    assert out.read_bytes()[:2] == b"MZ"


def test_script_refuses_to_build_without_the_version(fake_bundle: Path) -> None:
    proc = subprocess.run(["makensis", "-V1", f"-DBUNDLE_DIR={fake_bundle}", NSIS_SCRIPT.name],
                          cwd=NSIS_SCRIPT.parent, capture_output=True, text=True)
    assert proc.returncode != 0
    assert "define VERSION missing" in proc.stdout + proc.stderr
