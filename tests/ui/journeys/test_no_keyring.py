"""Issue 14 point 4: with no usable credential store (keyring's 'fail' backend, as on a Linux
PC without a Secret Service), the window says what is wrong and what IT must install, instead
of blaming an expired connection behind a Reconnect button that does nothing visible.

The app is started as the composition root starts the real app (`demo=False`: the OS keyring,
which the test suite pins to keyring's 'fail' backend in tests/conftest.py)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ui.journeys.conftest import Journey, MonthFacts
from xsync_desktop.profile import Profile

WHAT_IT_MUST_INSTALL = ("Credential Manager", "gnome-keyring", "Ask IT")


@pytest.fixture
def no_keyring(month_profile: MonthFacts, tmp_path: Path, qtbot: Any) -> Iterator[Journey]:
    from xsync_desktop.composition.gui import build_app

    assert os.environ.get("PYTHON_KEYRING_BACKEND") == "keyring.backends.fail.Keyring"
    root = tmp_path / "profile"
    shutil.copytree(month_profile.root, root)
    services, window = build_app(Profile(root).ensure(), demo=False, show_dialogs=False)
    window.confirm_close = lambda: True
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    yield Journey(services, window, None, month_profile, qtbot)
    window.sync.cancel()
    window.close()
    services.close()
    services.store.close()


def _says_what_to_install(text: str) -> None:
    assert "No secure credential store" in text, text
    for words in WHAT_IT_MUST_INSTALL:
        assert words in text, (words, text)
    assert "expired" not in text.replace("has not expired", ""), text  # it is not an expired connection


def test_dashboard_says_what_it_must_install_at_start(no_keyring: Journey) -> None:
    dashboard = no_keyring.shortcut(1)
    assert dashboard.banner.isVisible()
    _says_what_to_install(dashboard.banner.text())


def test_connection_view_blames_the_keyring_not_an_expired_connection(no_keyring: Journey) -> None:
    view = no_keyring.show("connection")
    no_keyring.qtbot.waitUntil(lambda: view._coalescer.refresh_count > 0)  # it loads itself when first shown
    _says_what_to_install(view.banner.text())
    assert "cannot be read on this computer" in view.status.text()
    # Reconnecting cannot help until a credential store exists: no button that does nothing.
    assert not view.connect_button.isEnabled()
    assert "credential store" in view.connect_button.toolTip()


def test_sync_says_what_it_must_install(no_keyring: Journey) -> None:
    dashboard = no_keyring.shortcut(1)
    no_keyring.sync_now()
    assert dashboard.banner.isVisible()
    _says_what_to_install(dashboard.banner.text())
    status = no_keyring.window.connection_label  # not "Last sync: just now" as if all were well
    assert "no credential store on this computer" in status.text(), status.text()
    _says_what_to_install(status.toolTip())
    assert no_keyring.window.last_sync_label.text().startswith("Last successful sync: ")
