"""The composition root chooses Xero, the keyring and the ledger seeder; the GUI only receives them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from xsync_desktop.composition.gui import gui_environment
from xsync_desktop.composition.memory_keyring import LimitedMemoryKeyring
from xsync_desktop.profile import Profile


def test_smoke_environment_has_no_sandbox_and_an_in_memory_keyring(profile: Profile) -> None:
    env = gui_environment(profile, demo=True, smoke=True)
    assert env.seed_demo_ledger is None
    assert env.xero.sandbox_base is None and env.xero.opener is None
    assert isinstance(env.xero.token_store._backend(), LimitedMemoryKeyring)
    env.stop()


def test_demo_environment_is_a_sandbox_the_gui_signs_in_to(profile: Profile, qtbot: Any) -> None:
    """What `xsync-desktop --demo` runs: a sandbox process, the real sign-in, the demo ledger, then a stop."""
    from xsync_desktop.ui import demo
    from xsync_desktop.ui.app import build_app

    env = gui_environment(profile, demo=True, smoke=False)
    base = env.xero.sandbox_base
    assert base is not None and env.seed_demo_ledger is not None
    services, window = build_app(profile, env.xero, demo=True, show_dialogs=False)
    qtbot.addWidget(window)
    try:
        text = demo.bootstrap(services, env.seed_demo_ledger)
        assert text.startswith("Demo ready: connected to ") and "demo ledger created" in text
        tenant_id, name = services.tenant()
        assert tenant_id and name
    finally:
        window.close()
        services.close()
        services.store.close()
        env.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base}/__admin/stats", timeout=5)
