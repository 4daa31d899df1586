"""The installer is built only from the locked versions (issue 17, point 7).

scripts/build_bundle.py compares the environment with requirements/lock.txt before PyInstaller
runs and refuses a build from anything else, naming each difference and the fix.
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from lock_check import LOCK_FILE, LockFileError, Pin, differences, lock_digest, read_pins

ROOT = Path(__file__).resolve().parents[2]


def test_the_lock_file_pins_the_build_tools_with_hashes() -> None:
    pins = {p.name: p for p in read_pins(LOCK_FILE.read_text(encoding="utf-8"))}  # raises on an unhashed pin
    for name in ("pyinstaller", "pyside6-essentials", "pytest", "sqlalchemy", "psycopg", "pip", "setuptools"):
        assert name in pins, name
        assert pins[name].hashes >= 1


def test_pins_for_another_platform_are_left_out_and_an_unhashed_pin_is_refused() -> None:
    text = ("alpha==1.0 \\\n    --hash=sha256:aa\n    # via xsync-desktop\n"
            "pywin32-ctypes==0.2.3 ; sys_platform == 'nonesuch' \\\n    --hash=sha256:bb\n")
    assert read_pins(text) == [Pin("alpha", "1.0", 1)]
    with pytest.raises(LockFileError, match="exact version with hashes"):
        read_pins("alpha==1.0\n")
    with pytest.raises(LockFileError, match="bash scripts/lock.sh"):
        read_pins("alpha>=1.0 --hash=sha256:aa\n")


def test_differences_name_what_is_missing_or_at_another_version() -> None:
    installed = {"alpha": "1.0", "beta": "2.1", "pip": "23.2"}.get
    pins = [Pin("alpha", "1.0", 1), Pin("beta", "2.0", 1), Pin("gamma", "3.0", 1), Pin("pip", "26.3", 1)]
    assert differences(pins, installed) == [  # pip installs; it is not frozen into the bundle
        "beta: 2.1 installed, the lock file pins 2.0",
        "gamma: not installed, the lock file pins 3.0",
    ]


def test_the_build_refuses_an_environment_the_lock_file_does_not_pin(tmp_path: Path) -> None:
    have = metadata.version("pyinstaller")
    lock = tmp_path / "lock.txt"
    lock.write_text(f"pyinstaller==0.0.1 \\\n    --hash=sha256:{'0' * 64}\n", encoding="utf-8")
    dist = tmp_path / "dist"
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_bundle.py"), "--dist", str(dist),
                           "--work", str(tmp_path / "work"), "--lock", str(lock), "--skip-installer"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"pyinstaller: {have} installed, the lock file pins 0.0.1" in proc.stderr
    assert "pip install --require-hashes -r requirements/lock.txt" in proc.stderr
    assert not (dist / "xsync-desktop").exists()  # refused before PyInstaller ran
    report = json.loads((dist / "build-report.json").read_text(encoding="utf-8"))
    assert report["lock"]["sha256"] == lock_digest(lock)
    assert "pyinstaller" not in report["timings_s"]
