"""The frozen entry script: a windowed exe's missing stdio must not break prints or logging."""

from __future__ import annotations

import sys

import launcher


def test_windowed_exe_gets_harmless_stdio(monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    launcher._give_windowed_exe_harmless_stdio()
    print("goes nowhere, raises nothing")
    sys.stderr.write("neither does this\n")


def test_console_stdio_is_left_alone() -> None:
    before = sys.stdout
    launcher._give_windowed_exe_harmless_stdio()
    assert sys.stdout is before
