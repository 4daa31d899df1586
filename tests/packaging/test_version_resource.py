"""One version source: pyproject -> package metadata, Windows version resource, NSIS defines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import version_resource as vr

import xsync_desktop

NSI = Path(__file__).resolve().parents[2] / "installers" / "windows" / "xsync-desktop.nsi"


@pytest.mark.parametrize(
    ("text", "quad"),
    [
        ("0.1.0", (0, 1, 0, 0)),
        ("1.2", (1, 2, 0, 0)),
        ("1.2.3.4", (1, 2, 3, 4)),
        ("1.2.3rc1", (1, 2, 3, 0)),
        ("2.0.0.dev7", (2, 0, 0, 0)),
        ("1.4.2+local.5", (1, 4, 2, 0)),
    ],
)
def test_numeric_version_keeps_release_numbers(text: str, quad: tuple[int, int, int, int]) -> None:
    assert vr.numeric_version(text) == quad


@pytest.mark.parametrize("text", ["", "latest", "1.70000.0"])
def test_numeric_version_refuses_what_windows_cannot_hold(text: str) -> None:
    with pytest.raises(ValueError):
        vr.numeric_version(text)


def test_installed_package_reports_the_pyproject_version() -> None:
    # A stale editable install would give the frozen app (which copies this metadata) the wrong version.
    assert xsync_desktop.__version__ == vr.read_version()


def _evaluate(text: str) -> dict:
    """Evaluate the VSVersionInfo text the way PyInstaller does, with recording stand-ins for its classes."""

    def record(kind: str):
        return lambda *args, **kwargs: {"kind": kind, "args": args, **kwargs}

    names = ["VSVersionInfo", "FixedFileInfo", "StringFileInfo", "StringTable", "StringStruct",
             "VarFileInfo", "VarStruct"]
    return eval(text, {n: record(n) for n in names})  # noqa: S307 (our own generated text)


def test_version_info_carries_the_version_in_both_forms(tmp_path: Path) -> None:
    path = vr.write_version_info(tmp_path, "1.2.3rc1")
    info = _evaluate(path.read_text(encoding="utf-8"))
    assert info["ffi"]["filevers"] == (1, 2, 3, 0)
    assert info["ffi"]["prodvers"] == (1, 2, 3, 0)
    strings = {s["args"][0]: s["args"][1] for s in info["kids"][0]["args"][0][0]["args"][1]}
    assert strings["ProductVersion"] == "1.2.3rc1"
    assert strings["FileVersion"] == "1.2.3.0"
    assert strings["OriginalFilename"] == vr.EXE_NAME


def test_nsis_script_requires_exactly_the_defines_the_build_passes() -> None:
    required = set(re.findall(r"^!insertmacro _require (\w+)", NSI.read_text(encoding="utf-8"), re.M))
    passed_by_build = set(vr.nsis_defines("0.1.0")) | {"DATA_SUBDIR", "BUNDLE_DIR"}
    assert required == passed_by_build
