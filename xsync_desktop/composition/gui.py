"""The GUI's wiring: which Xero, which keyring, which database, chosen once, at the top.

`run_gui_command` is what `xsync-desktop [--demo] [--smoke-test]` runs. It hands the GUI
(ui/app.py) a function that builds a `GuiEnvironment` once the profile is known and locked:
- the real app: Xero's endpoints and client id from the environment, the OS keyring;
- `--demo`: the sandbox (a child process; in this process when frozen), its consent page
  as the browser, an in-memory keyring, and the demo ledger seeder;
- `--smoke-test` (with or without `--demo`): the real endpoints, an in-memory keyring, no
  sandbox and no sign-in: the point is that the build starts, not that it connects.

`build_app` is the same choice for tests and benchmarks that build the window themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where used: a cold start shows the window before any of them loads
    from ..profile import Profile
    from ..ui.app import GuiEnvironment
    from ..ui.services import XeroSetup
    from . import demo as demo_kit

DEFAULT_CLIENT_ID = ""  # the app's registered Xero client id; set XSYNC_XERO_CLIENT_ID until it is issued


def real_xero_setup(*, in_memory_keyring: bool) -> XeroSetup:
    """Real Xero's endpoints; the OS keyring, or an in-memory one where no real token may be kept."""
    from ..machine_config import load_machine_config
    from ..ui.services import XeroSetup
    from ..xero.endpoints import XeroEndpoints, client_id_from_env, scopes_from_env
    from ..xero.token_store import KeyringTokenStore

    backend = None
    if in_memory_keyring:
        from .memory_keyring import LimitedMemoryKeyring

        backend = LimitedMemoryKeyring()
    return XeroSetup(
        endpoints=XeroEndpoints.from_env(),
        client_id=client_id_from_env(load_machine_config().client_id or DEFAULT_CLIENT_ID) or "",
        scopes=scopes_from_env(),
        token_store=KeyringTokenStore(backend),
    )


def gui_environment(profile: Profile, *, demo: bool, smoke: bool) -> GuiEnvironment:
    """The environment `run_gui` runs in; a demo (not a smoke test) starts its sandbox here.

    `run_gui` calls it in the thread that opens the profile, once the window is shown."""
    from ..ui.app import GuiEnvironment

    if demo and not smoke:
        from . import demo as demo_kit  # the sandbox and the demo ledger: only a demo imports them

        sandbox = demo_kit.start_sandbox(profile)
        return GuiEnvironment(xero=demo_kit.demo_xero_setup(sandbox), seed_demo_ledger=demo_kit.seed_demo_ledger,
                              stop=sandbox.stop)
    return GuiEnvironment(xero=real_xero_setup(in_memory_keyring=smoke or demo))


def run_gui_command(args: Any) -> int:
    """`xsync-desktop` without a command: the window (or the demo, or the smoke test)."""
    from ..ui.app import run_gui

    demo = bool(getattr(args, "demo", False))
    smoke = bool(getattr(args, "smoke_test", False))
    return run_gui(args, lambda profile: gui_environment(profile, demo=demo, smoke=smoke))


def build_app(profile: Profile, *, demo: bool, smoke: bool = False, sandbox: demo_kit.DemoSandbox | None = None,
              show_dialogs: bool = True) -> tuple[Any, Any]:
    """(services, window) for a profile, Xero chosen as the app chooses it; `sandbox` is a running demo sandbox."""
    from ..ui.app import build_app as build_ui_app
    from . import demo as demo_kit

    if demo and sandbox is not None:
        xero = demo_kit.demo_xero_setup(sandbox)
    else:
        xero = real_xero_setup(in_memory_keyring=smoke or demo)
    return build_ui_app(profile, xero, demo=demo, show_dialogs=show_dialogs)
