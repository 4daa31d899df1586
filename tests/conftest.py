"""Test-wide setup: Qt offscreen, an explicit keyring backend, shared fixtures.

Fixture modules live in tests/fixtures/ (one per area) and are registered here.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Never let a test reach the developer's real keyring or a plaintext fallback.
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
# Never read this machine's real preset (/etc/xsync-desktop/config.ini): tests name their own.
os.environ.setdefault("XSYNC_MACHINE_CONFIG", os.path.join(os.path.dirname(__file__), "no-machine-config.ini"))

_FIXTURE_MODULES = (
    "tests.fixtures.db",
    "tests.fixtures.openapi",
    "tests.fixtures.sandbox",
    "tests.fixtures.xero",
    "tests.fixtures.ledger",
    "tests.fixtures.sync",
    "tests.fixtures.ui",
)
# All of them, always: a fixture module that fails to import fails the run, it never turns tests into skips.
pytest_plugins = list(_FIXTURE_MODULES)
