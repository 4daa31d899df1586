"""The demo CLI signs in on ports the OS chose, registered with its own sandbox.

Two demo syncs at once (or a demo beside the GUI's sign-in) must not fight over the fixed
ports 8765-8767 that the real Xero app is registered with. These tests never bind those
ports: they sign in using only the OS-chosen ones, which works only if the CLI registered
them with the sandbox it started.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from xsync_desktop.composition import headless
from xsync_desktop.exit_codes import ExitCode
from xsync_desktop.profile import Profile
from xsync_desktop.store.store import open_store
from xsync_desktop.xero.login import redirect_uris


def _demo_profile(root: Path) -> tuple[Profile, Any]:
    """A profile with a small ledger, so the demo's first-time setup generates none."""
    from xsync_desktop.ledger.demo import generate_demo_ledger

    profile = Profile(root).ensure()
    store = open_store(profile.database_url, profile.backups_dir)  # migrations: one at a time
    with store.sessions.begin() as s:
        generate_demo_ledger(s, invoices=5, seed=3)
    return profile, store


def _demo_sign_in(profile: Profile, store: Any, out: dict[str, Any]) -> None:
    ports = headless.free_loopback_ports()
    sandbox = headless.start_sandbox(profile, ports)
    try:
        out["registered"] = set(sandbox.config.redirect_uris)
        out["ports"] = ports
        setup = headless.demo_connection(store, sandbox.base_url, ports)  # only the OS-chosen ports
        out["setup"] = setup
        if not isinstance(setup, ExitCode):
            client = setup.factory()
            try:
                out["org"] = client.organisation().get("Name")
            finally:
                client.close()
    finally:
        sandbox.stop()
        store.close()


def test_free_ports_are_os_chosen_and_not_the_fixed_ones() -> None:
    ports = headless.free_loopback_ports()
    assert len(ports) == 2 and len(set(ports)) == 2
    assert not set(ports) & set(headless.DEMO_PORTS)


def test_two_demo_sign_ins_at_once_use_their_own_registered_ports(tmp_path: Path) -> None:
    results: list[dict[str, Any]] = [{}, {}]
    prepared = [_demo_profile(tmp_path / f"demo {i} ü") for i in range(2)]
    threads = [threading.Thread(target=_demo_sign_in, args=(*prepared[i], results[i])) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for r in results:
        assert set(redirect_uris(r["ports"])) <= r["registered"]
        assert set(redirect_uris(headless.DEMO_PORTS)) <= r["registered"]  # the fallback stays registered
        assert not isinstance(r["setup"], ExitCode), r
        assert r["org"]


def test_sync_demo_command_signs_in_to_its_own_sandbox_and_stops_it(tmp_path: Path, capsys: Any) -> None:
    """`xsync-desktop --demo sync` end to end: the root starts a sandbox, the CLI syncs, the root stops it."""
    from xsync_desktop.cli import main

    profile, store = _demo_profile(tmp_path / "demo cli")
    store.close()
    code = main(["--profile", str(profile.root), "--demo", "sync"])
    out = capsys.readouterr().out
    assert code == ExitCode.OK, out
    assert "failed 0" in out
    assert (profile.root / "sandbox-state.json").is_file()  # stopped, so it saved its state
