"""`xsync-desktop sync [--dry-run] [--retry-failed]`: one sync, headless, for scripts and schedulers.

Prints progress lines and a summary; the exit code says what happened (0 ok,
3 finished with failures, 4 paused by Xero's limits, 5 reconnect needed,
6 environment problem: database, keyring, another sync running).

Xero is the real one (endpoints and client id from XSYNC_XERO_BASE /
XSYNC_XERO_CLIENT_ID, tokens from the OS keyring, signed in from the app), or
the demo sandbox: `--demo` starts one in this process (state kept in the
profile), and XSYNC_DEMO_SANDBOX=<base url> uses one already running. A demo
signs in through the real PKCE loopback flow each time, with this process
playing the browser; demo tokens live only in memory.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from typing import Any
from urllib.parse import urlencode

from ..cli import EXIT_ENVIRONMENT, EXIT_FAILURES, EXIT_OK, EXIT_PAUSED, EXIT_RECONNECT, EXIT_USAGE
from ..profile import Profile, resolve_profile
from ..store.disk_full import disk_full_message, is_disk_full
from .progress import Progress

DEMO_ENV = "XSYNC_DEMO_SANDBOX"
DEMO_CLIENT_ID = "xsync-desktop-demo"
DEMO_PORTS = (8765, 8766, 8767)


def _print(text: str) -> None:
    print(text, flush=True)


class _Printer:
    """One line per phase change and every ~10% inside a phase: readable in a scheduler's log."""

    def __init__(self) -> None:
        self.last: tuple[str, int, int] = ("", -1, -1)

    def __call__(self, p: Progress) -> None:
        step = (p.done * 10 // p.total) if p.total else 0
        # The total is part of the key: a paged pull grows it page by page, and its final count must show.
        key = (p.phase, step, p.total)
        if key == self.last:
            return
        self.last = key
        count = f" {p.done}/{p.total}" if p.total else ""
        _print(f"[{p.phase}]{count} {p.message}".rstrip())


DB_BUSY = (
    "The profile's database is locked by another program (another copy of xsync desktop, a backup "
    "tool or antivirus) and stayed locked too long. Nothing was changed. Close the other program "
    "and run sync again."
)
DB_PROBLEM = "The profile's database could not be written ({detail}). Nothing was lost; check free disk space and run sync again."


DB_DAMAGED = ("The profile's database turned out to be damaged during the sync ({detail}). Stop here and run "
              "sync again: the start-up check then says what is wrong and lists the copies in the profile's "
              "backups folder.")


def run_sync(args: Any) -> int:
    """Environment failures of the database end as a plain message and exit 6, never a traceback."""
    return _guard_db(args, _sync)


def run_verify(args: Any) -> int:
    """`xsync-desktop verify [--month YYYY-MM]`: compare with Xero; 0 agree, 3 differences."""
    month = getattr(args, "month", None)
    if month:
        from .checklist import month_bounds

        try:
            month_bounds(month)
        except ValueError:
            _print(f"--month must be a month like 2025-06, not {month!r}.")
            return EXIT_USAGE
    return _guard_db(args, _verify)


def _guard_db(args: Any, action: Any) -> int:
    from sqlalchemy.exc import DatabaseError, OperationalError

    try:
        return _run_sync(args, action)
    except OperationalError as exc:
        text = str(exc.orig) if exc.orig is not None else str(exc)
        folder = _profile_folder(args)
        if is_disk_full(exc, folder):
            _print(disk_full_message(folder))
        else:
            _print(DB_BUSY if "locked" in text or "busy" in text else DB_PROBLEM.format(detail=text))
        return EXIT_ENVIRONMENT
    except DatabaseError as exc:  # "database disk image is malformed": damage found past the start-up check
        _print(DB_DAMAGED.format(detail=str(exc.orig) if exc.orig is not None else type(exc).__name__))
        return EXIT_ENVIRONMENT


def _profile_folder(args: Any) -> Any:
    demo = bool(getattr(args, "demo", False)) or bool(os.environ.get(DEMO_ENV, "").strip())
    return resolve_profile(getattr(args, "profile", None), demo=demo).root


def _run_sync(args: Any, action: Any) -> int:
    from ..store.store import open_store

    demo_base = os.environ.get(DEMO_ENV, "").strip() or None
    demo = bool(getattr(args, "demo", False)) or demo_base is not None
    try:
        profile = resolve_profile(getattr(args, "profile", None), demo=demo).ensure()
        store = open_store(profile.database_url, profile.backups_dir)
    except Exception as exc:  # noqa: BLE001 - any failure to open the profile is an environment problem
        designed = getattr(exc, "user_message", None)
        if is_disk_full(exc, _profile_folder(args)):
            designed = disk_full_message(_profile_folder(args), "opening the database")
        _print(designed if isinstance(designed, str) else f"Could not open the profile's database: {exc}")
        return EXIT_ENVIRONMENT
    sandbox = None
    try:
        if demo:
            ports = DEMO_PORTS
            if demo_base is None:
                # Our own sandbox: register sign-in ports the OS says are free, so two demo syncs
                # at once do not fight over 8765-8767 (still registered, as the fallback).
                ports = _free_loopback_ports() + DEMO_PORTS
                sandbox = _start_sandbox(profile, ports)
                demo_base = sandbox.base_url
            setup = _demo_connection(store, demo_base, ports)
        else:
            setup = _real_connection(store, profile)
        if isinstance(setup, int):
            return setup
        factory, tenant_id = setup
        return int(action(store, profile, factory, tenant_id, args))
    finally:
        store.close()
        if sandbox is not None:
            sandbox.stop()


def _sync(store: Any, profile: Profile, factory: Any, tenant_id: str, args: Any) -> int:
    from sqlalchemy import select

    from ..store.models import SyncRun
    from .engine import SyncEngine
    from .run_lock import SyncBusy

    engine = SyncEngine(store, factory, tenant_id, lock_path=profile.lock_path)
    printer = _Printer()
    try:
        if getattr(args, "retry_failed", False):
            with store.sessions() as s:
                last = s.scalars(select(SyncRun).where(SyncRun.failed > 0, SyncRun.dry_run.is_(False))
                                 .order_by(SyncRun.id.desc())).first()
                last_id = last.id if last else None
            if last_id is None:
                _print("Nothing to retry: no run has failed items.")
                return EXIT_OK
            result = engine.retry_failed(last_id, progress=printer)
        else:
            result = engine.run(trigger="cli", progress=printer, dry_run=bool(getattr(args, "dry_run", False)))
    except SyncBusy as exc:
        _print(exc.user_message)
        return EXIT_ENVIRONMENT
    _print(result.message)
    c = result.counts
    if c:
        _print(f"run {result.run_id}: {result.outcome}; contacts {c['contacts_synced']}, invoices "
               f"{c['invoices_pushed']}, credit notes {c['credit_notes_pushed']}, payments pushed "
               f"{c['payments_pushed']}, payments pulled {c['payments_pulled']}, failed {c['failed']}, "
               f"needs review {c['needs_review']}, Xero calls {c['api_calls']}")
    if result.outcome == "paused":
        if result.resume_at:
            _print(f"Resumes after {result.resume_at.astimezone():%Y-%m-%d %H:%M}.")
        return EXIT_PAUSED
    if result.problem == "reconnect":
        return EXIT_RECONNECT
    if result.problem == "disk_full":
        return EXIT_ENVIRONMENT
    if result.outcome in ("failed", "cancelled"):
        return EXIT_FAILURES
    return EXIT_OK


def _verify(store: Any, profile: Profile, factory: Any, tenant_id: str, args: Any) -> int:
    from .engine import SyncEngine
    from .run_lock import SyncBusy

    engine = SyncEngine(store, factory, tenant_id, lock_path=profile.lock_path)
    try:
        result = engine.verify(getattr(args, "month", None), progress=_Printer())
    except SyncBusy as exc:
        _print(exc.user_message)
        return EXIT_ENVIRONMENT
    _print(result.message)
    report = result.extra.get("compare")
    if report is not None:
        for f in report.findings:
            d = f.difference
            how = f"new exception #{f.exception_id}" if f.new else f"covered by exception #{f.exception_id}"
            _print(f"  {d.label}: {d.field} ledger={d.ledger_value or '-'} xero={d.xero_value or '-'} ({how})")
    _print(f"run {result.run_id}: {result.outcome}; Xero calls {result.counts.get('api_calls', 0)}")
    if result.outcome == "paused":
        return EXIT_PAUSED
    if result.problem == "reconnect":
        return EXIT_RECONNECT
    if result.outcome != "succeeded" or report is None or report.differences:
        return EXIT_FAILURES
    return EXIT_OK


# -- the real Xero ------------------------------------------------------------------------------
def _real_connection(store: Any, profile: Profile) -> Any:
    from ..store.settings import get_setting
    from ..xero.client import XeroClient
    from ..xero.endpoints import XeroEndpoints, client_id_from_env
    from ..xero.errors import XeroError
    from ..xero.session import XeroSession
    from ..xero.token_store import KeyringTokenStore

    client_id = client_id_from_env()
    if not client_id:
        _print("No Xero Client ID is configured (set XSYNC_XERO_CLIENT_ID).")
        return EXIT_ENVIRONMENT
    endpoints = XeroEndpoints.from_env()
    try:
        session = XeroSession(endpoints, client_id, KeyringTokenStore(), profile.profile_id)
        connected = session.is_connected()
        choice = session.tenant() if connected else None
    except XeroError as exc:
        _print(exc.user_message)
        return EXIT_ENVIRONMENT
    if not connected:
        _print("Not connected to Xero. Open xsync desktop and connect to Xero, then run sync again.")
        return EXIT_RECONNECT
    with store.sessions() as s:
        tenant_id = (choice.tenant_id if choice else None) or get_setting(s, "tenant_id")
    if not tenant_id:
        _print("No Xero organisation is chosen. Open xsync desktop and choose one, then run sync again.")
        return EXIT_RECONNECT
    return (lambda: XeroClient(session, tenant_id, endpoints)), tenant_id


# -- the demo sandbox ---------------------------------------------------------------------------
def _free_loopback_ports(count: int = 2) -> tuple[int, ...]:
    """Ports on 127.0.0.1 that are free right now (the OS picks them); () if it will not say.

    Another program could take one before the sign-in listener binds it: the login then tries
    the next one, and finally the fixed demo ports.
    """
    import socket

    socks: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(sock)
            sock.bind(("127.0.0.1", 0))
        return tuple(int(sock.getsockname()[1]) for sock in socks)
    except OSError:
        return ()
    finally:
        for sock in socks:
            sock.close()


def _start_sandbox(profile: Profile, ports: tuple[int, ...] = DEMO_PORTS) -> Any:
    from ..sandbox.config import SandboxConfig
    from ..sandbox.server import SandboxServer
    from ..xero.login import redirect_uris

    config = SandboxConfig(state_file=str(profile.root / "sandbox-state.json"),
                           redirect_uris=redirect_uris(tuple(dict.fromkeys(ports + DEMO_PORTS))))
    return SandboxServer(config).start()


def _approve_over_http(authorize_url: str) -> str:
    """Play the browser at the sandbox's consent page: allow every organisation offered."""
    import httpx

    with httpx.Client(follow_redirects=False, timeout=10) as client:
        page = client.get(authorize_url)
        if page.status_code == 302:
            return page.headers["location"]
        page.raise_for_status()
        request_id = re.search(r"name='request_id' value='([^']+)'", page.text)
        if request_id is None:
            raise RuntimeError("the sandbox's consent page has no request id")
        tenants = re.findall(r"name='tenant' value='([^']+)'", page.text)
        base = authorize_url.split("/identity/", 1)[0]
        form = [("request_id", request_id.group(1)), ("action", "allow")] + [("tenant", t) for t in tenants]
        resp = client.post(f"{base}/identity/connect/consent", content=urlencode(form).encode(),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
        if resp.status_code != 302:
            raise RuntimeError(f"the sandbox refused consent ({resp.status_code})")
        return resp.headers["location"]


def _demo_browser(url: str) -> bool:
    import httpx

    def play() -> None:
        try:
            location = _approve_over_http(url)
            with httpx.Client(timeout=10) as client:
                client.get(location)
        except Exception as exc:  # noqa: BLE001 - the login then times out and says so
            print(f"demo sign-in failed: {exc}", file=sys.stderr)

    threading.Thread(target=play, name="demo-browser", daemon=True).start()
    return True


def _demo_connection(store: Any, base_url: str, ports: tuple[int, ...] = DEMO_PORTS) -> Any:
    from ..store.settings import get_setting, set_setting
    from ..xero.client import XeroClient
    from ..xero.endpoints import DEFAULT_SCOPES, XeroEndpoints
    from ..xero.errors import XeroError
    from ..xero.login import LoopbackLogin
    from ..xero.session import XeroSession
    from ..xero.testing_keyring import LimitedMemoryKeyring
    from ..xero.token_store import KeyringTokenStore

    endpoints = XeroEndpoints.for_sandbox(base_url)
    session = XeroSession(endpoints, DEMO_CLIENT_ID, KeyringTokenStore(LimitedMemoryKeyring()), "demo-cli")
    try:
        login = LoopbackLogin(endpoints, DEMO_CLIENT_ID, DEFAULT_SCOPES, ports, opener=_demo_browser,
                              timeout=60)
        login.start()
        session.adopt(login.wait())
        connections = session.connections()
    except XeroError as exc:
        _print(f"Could not sign in to the demo sandbox: {exc.user_message}")
        return EXIT_ENVIRONMENT
    if not connections:
        _print("The demo sandbox offered no organisation.")
        return EXIT_ENVIRONMENT
    with store.sessions() as s:
        wanted = get_setting(s, "tenant_id")
        chosen = next((c for c in connections if c.tenant_id == wanted), connections[0])
        set_setting(s, "tenant_id", chosen.tenant_id)
        set_setting(s, "tenant_name", chosen.tenant_name)
        s.commit()
    session.choose_tenant(chosen.tenant_id, chosen.tenant_name)
    factory = lambda: XeroClient(session, chosen.tenant_id, endpoints)  # noqa: E731
    _demo_first_time(store, factory, chosen.tenant_id)
    return factory, chosen.tenant_id


def _demo_first_time(store: Any, factory: Any, tenant_id: str) -> None:
    """A demo with an empty ledger or no mappings gets them, as the GUI demo does."""
    from sqlalchemy import func, select

    from ..store.models import Invoice, Mapping
    from .mapping_check import suggest_mappings
    from .settings_refresh import refresh_settings

    with store.sessions() as s:
        if not s.scalar(select(func.count()).select_from(Invoice)):
            from ..ledger.demo import generate_demo_ledger

            _print(generate_demo_ledger(s, invoices=600).text())
            s.commit()
        if not s.scalar(select(func.count()).select_from(Mapping)):
            client = factory()
            try:
                refresh_settings(s, client, tenant_id, force=True)
                s.flush()
                for m in suggest_mappings(s, tenant_id):
                    s.add(m)
                s.commit()
            finally:
                client.close()
