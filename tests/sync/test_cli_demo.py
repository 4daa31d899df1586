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

from xsync_desktop.profile import Profile
from xsync_desktop.store.store import open_store
from xsync_desktop.sync import cli
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
    ports = cli._free_loopback_ports()
    sandbox = cli._start_sandbox(profile, ports)
    try:
        out["registered"] = set(sandbox.config.redirect_uris)
        out["ports"] = ports
        setup = cli._demo_connection(store, sandbox.base_url, ports)  # only the OS-chosen ports
        out["setup"] = setup
        if not isinstance(setup, int):
            factory, tenant = setup
            client = factory()
            try:
                out["org"] = client.organisation().get("Name")
            finally:
                client.close()
    finally:
        sandbox.stop()
        store.close()


def test_free_ports_are_os_chosen_and_not_the_fixed_ones() -> None:
    ports = cli._free_loopback_ports()
    assert len(ports) == 2 and len(set(ports)) == 2
    assert not set(ports) & set(cli.DEMO_PORTS)


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
        assert set(redirect_uris(cli.DEMO_PORTS)) <= r["registered"]  # the fallback stays registered
        assert not isinstance(r["setup"], int), r
        assert r["org"]
