"""Connection view against the sandbox: disconnecting an organisation and signing out, clicked
in the UI, change Xero's connections, the keyring and what the window says."""

from __future__ import annotations

from typing import Any

from xsync_desktop.ui.qt import Qt


def _sandbox_connections(sandbox: Any) -> set[str]:
    """Tenant ids the sandbox (Xero) still has a connection to, for the app's client id."""
    with sandbox.state.lock:
        return {c["tenantId"] for c in sandbox.state.connections.values()
                if c["client_id"] == sandbox.config.client_id}


def _keyring_entries(services: Any) -> dict[tuple[str, str], str]:
    return services.xero.token_store._backend().entries()


def _connection_view(window: Any, qtbot: Any) -> Any:
    window.show_view("connection")
    view = window.view("connection")
    qtbot.waitUntil(lambda: view._coalescer.refresh_count > 0)  # it loads itself when first shown
    return view


def test_disconnect_organisation_removes_only_its_connection(demo_app: Any, ui_sandbox: Any, qtbot: Any) -> None:
    services, window = demo_app
    sandbox = ui_sandbox
    tenant_id, name = services.tenant()
    before = _sandbox_connections(sandbox)
    assert tenant_id in before
    view = _connection_view(window, qtbot)
    assert view.status.text() == f"Connected to {name}"
    assert view.disconnect_button.isEnabled()

    qtbot.mouseClick(view.disconnect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: services.tenant() == (None, None), timeout=20_000)

    assert _sandbox_connections(sandbox) == before - {tenant_id}  # other organisations stay connected
    grant = services.xero.token_store.load(services.profile.profile_id)
    assert grant is not None and grant.refresh_token  # still signed in at Xero...
    assert grant.tenant_id is None  # ...but the organisation is forgotten, in the keyring too
    qtbot.waitUntil(lambda: window.connection_label.text() == "Not connected")
    assert view.status.text() == "Signed in \u2014 choose an organisation"
    assert not view.disconnect_button.isEnabled() and view.sign_out_button.isEnabled()
    assert view.last_error is None


def test_sign_out_revokes_at_xero_and_empties_the_keyring(demo_app: Any, ui_sandbox: Any, qtbot: Any) -> None:
    services, window = demo_app
    sandbox = ui_sandbox
    assert _sandbox_connections(sandbox)
    assert _keyring_entries(services)  # the tokens are in the (test) keyring
    view = _connection_view(window, qtbot)
    assert view.sign_out_button.isEnabled()

    qtbot.mouseClick(view.sign_out_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: services.tenant() == (None, None), timeout=20_000)

    assert _sandbox_connections(sandbox) == set()  # revoking the refresh token removed every connection
    assert _keyring_entries(services) == {}
    assert services.xero.token_store.load(services.profile.profile_id) is None
    qtbot.waitUntil(lambda: window.connection_label.text() == "Not connected")
    assert view.status.text() == "Not connected"
    assert view.connect_button.isVisible() and view.connect_button.text() == "Connect to Xero\u2026"
    assert not view.sign_out_button.isEnabled() and not view.disconnect_button.isEnabled()
    assert view.orgs.count() == 0
    # A sync now says it needs a connection instead of trying.
    assert window.sync.sync_now("manual")
    qtbot.waitUntil(lambda: not window.sync.running, timeout=20_000)
    assert window.sync.last_error


def test_sign_out_xero_could_not_be_told_says_so_and_keeps_saying_it(
    demo_app: Any, ui_sandbox: Any, qtbot: Any
) -> None:
    """Xero's identity service down at sign-out: local secrets go anyway, and the window says Xero was
    not told. The failure is Xero's answer (a sandbox fault on the revocation route), not a stand-in."""
    from xsync_desktop.sandbox.admin_client import SandboxAdmin

    services, window = demo_app
    view = _connection_view(window, qtbot)
    with SandboxAdmin.of(ui_sandbox) as admin:
        admin.faults("status", method="POST", path="/identity/connect/revocation", status=503)
    refreshes = view._coalescer.refresh_count
    qtbot.mouseClick(view.sign_out_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: services.tenant() == (None, None), timeout=20_000)
    assert _keyring_entries(services) == {}
    assert _sandbox_connections(ui_sandbox)  # Xero was not told: its connections are still there
    qtbot.waitUntil(lambda: window.connection_label.text() == "Not connected")
    # Past the coalesced refresh that "connection changed" triggers (it ran, and none is pending):
    # it must not wipe the notice.
    qtbot.waitUntil(lambda: view._coalescer.refresh_count > refreshes and not view._coalescer.pending)
    assert "could not be told" in view.detail.text()


def test_unknown_keyring_backend_is_a_plain_banner_not_a_crash(profile: Any, qtbot: Any,
                                                                 monkeypatch: Any) -> None:
    """Issue 15 case 10: the real (not in-memory) keyring path with a backend name that does not exist.

    The window opens; the Connection view, reached through the sidebar, says which setting to fix.
    """
    import keyring.core

    from tests.ui.test_views_support import open_view
    from xsync_desktop.composition.gui import build_app

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "nonsense.Backend")
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)  # keyring reads the variable on first use
    services, window = build_app(profile, demo=False, smoke=False, show_dialogs=False)
    try:
        window.confirm_close = lambda: True
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        open_view(qtbot, window, "connection", signal=None)  # a click in the sidebar
        view = window.view("connection")
        qtbot.waitUntil(view.banner.isVisible)
        assert "PYTHON_KEYRING_BACKEND ('nonsense.Backend') cannot be loaded" in view.banner.text()
        assert "Something went wrong" not in view.banner.text()
        assert services.reporter.last is None  # no bug dialog was raised anywhere
    finally:
        window.close()
        services.close()
        services.store.close()


def test_choosing_another_organisation_than_the_databases_is_refused(demo_app: Any, qtbot: Any) -> None:
    """A desk whose person picks a second organisation (their sign-in offers several) while the
    (shared) database already keeps the first one's books: refused, nothing changes."""
    services, window = demo_app
    tenant_id, name = services.tenant()
    with qtbot.waitSignal(window.sync.finished, timeout=120_000) as sig:
        qtbot.mouseClick(window.view("dashboard").sync_button, Qt.MouseButton.LeftButton)
    assert sig.args[0].outcome == "succeeded", sig.args[0].message
    from tests.fixtures.ui import click_sidebar

    click_sidebar(qtbot, window, "connection")
    view = window.view("connection")
    qtbot.mouseClick(view.reload_orgs_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.orgs.count() > 1, timeout=20_000)
    other = next(i for i in range(view.orgs.count()) if view.orgs.itemData(i) != tenant_id)
    other_name = view.orgs.itemText(other)
    view.orgs.setCurrentIndex(other)
    qtbot.mouseClick(view.use_org_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(view.banner.isVisible)
    assert view.banner.text().startswith(
        f"This database keeps the books of the Xero organisation \u201c{name}\u201d, but this desk is connected "
        f"to \u201c{other_name}\u201d. Nothing was sent.")
    assert services.tenant() == (tenant_id, name)
    grant = services.xero.token_store.load(services.profile.profile_id)
    assert grant is not None and grant.tenant_id == tenant_id  # the keyring kept the right one too
