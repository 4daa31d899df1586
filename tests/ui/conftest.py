"""GUI tests run offscreen; Qt warnings fail them (pyproject qt_log_level_fail), except the
offscreen platform's own notice that it cannot propagate size hints, which says nothing
about our code."""

from __future__ import annotations

from typing import Any

import pytest

import xsync_desktop.ui.qt  # noqa: F401 - applies the PySide6 refcount workaround before any test runs Qt

OFFSCREEN_NOISE = ("This plugin does not support propagateSizeHints()",)


def pytest_collection_modifyitems(config: Any, items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/ui/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_ignore(*OFFSCREEN_NOISE))
