"""`xsync-desktop sync [--dry-run] [--retry-failed]`: one sync, headless, for scripts and schedulers.

Prints progress lines and a summary; the exit code says what happened (0 ok,
3 finished with failures, 4 paused by Xero's limits, 5 reconnect needed,
6 environment problem: database, keyring, another sync running).

Which Xero this reaches (the real one, or the demo sandbox) is not decided here: the
composition root (xsync_desktop/composition/headless.py) hands `run_sync` a `Connector`
that turns the opened store and profile into a `Connection` (a client factory and the
organisation), or into the exit code that says why there is none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ..exit_codes import ExitCode
from ..profile import Profile, resolve_profile
from ..store.disk_full import disk_full_message, is_disk_full
from ..store.states import RunOutcome
from ..store.store import Store
from .client_factory import ClientFactory
from .progress import Progress
from .run_problem import RunProblem
from .verify import HELD_ITEM


@dataclass(frozen=True)
class Connection:
    """A ready way to one Xero organisation: all the engine needs, nothing about which Xero it is."""

    factory: ClientFactory
    tenant_id: str
    tenant_name: str | None = None  # as this desk's sign-in names it (the database may know another)


class Connector(Protocol):
    """Turns the opened profile into a Connection, or says (printed, with its exit code) why not."""

    def __call__(self, store: Store, profile: Profile) -> Connection | ExitCode: ...


def say(text: str) -> None:
    """One line for the person or the scheduler's log, flushed at once (a killed run keeps its lines)."""
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
        say(f"[{p.phase}]{count} {p.message}".rstrip())


DB_BUSY = (
    "The profile's database is locked by another program (another copy of xsync desktop, a backup "
    "tool or antivirus) and stayed locked too long. Nothing was changed. Close the other program "
    "and run sync again."
)
DB_PROBLEM = "The profile's database could not be written ({detail}). Nothing was lost; check free disk space and run sync again."


DB_DAMAGED = ("The profile's database turned out to be damaged during the sync ({detail}). Stop here and run "
              "sync again: the start-up check then says what is wrong and lists the copies in the profile's "
              "backups folder.")


def run_sync(args: Any, connect: Connector, *, demo: bool = False) -> int:
    """One sync; environment failures of the database end as a plain message and exit 6, never a traceback."""
    return _guard_db(args, connect, demo, _sync)


def run_verify(args: Any, connect: Connector, *, demo: bool = False) -> int:
    """`xsync-desktop verify [--month YYYY-MM]`: compare with Xero; 0 agree, 3 differences."""
    month = getattr(args, "month", None)
    if month:
        from .months import month_bounds

        try:
            month_bounds(month)
        except ValueError:
            say(f"--month must be a month like 2025-06, not {month!r}.")
            return ExitCode.USAGE
    return _guard_db(args, connect, demo, _verify)


#: what runs once connected: (store, profile, connection, args) -> exit code
Action = Callable[[Store, Profile, "Connection", Any], int]


def _guard_db(args: Any, connect: Connector, demo: bool, action: Action) -> int:
    from sqlalchemy.exc import DatabaseError, OperationalError

    try:
        return _run_connected(args, connect, demo, action)
    except OperationalError as exc:
        text = str(exc.orig) if exc.orig is not None else str(exc)
        folder = _profile_folder(args, demo)
        if is_disk_full(exc, folder):
            say(disk_full_message(folder))
        else:
            say(DB_BUSY if "locked" in text or "busy" in text else DB_PROBLEM.format(detail=text))
        return ExitCode.ENVIRONMENT
    except DatabaseError as exc:  # "database disk image is malformed": damage found past the start-up check
        say(DB_DAMAGED.format(detail=str(exc.orig) if exc.orig is not None else type(exc).__name__))
        return ExitCode.ENVIRONMENT


def _profile_folder(args: Any, demo: bool) -> Any:
    return resolve_profile(getattr(args, "profile", None), demo=demo).root


def _run_connected(args: Any, connect: Connector, demo: bool, action: Action) -> int:
    from ..store.store import open_store

    try:
        profile = resolve_profile(getattr(args, "profile", None), demo=demo,
                                  database_url=getattr(args, "database_url", None)).ensure()
        store = open_store(profile.database_url, profile.backups_dir)
    except Exception as exc:  # noqa: BLE001 - any failure to open the profile is an environment problem
        designed = getattr(exc, "user_message", None)
        if is_disk_full(exc, _profile_folder(args, demo)):
            designed = disk_full_message(_profile_folder(args, demo), "opening the database")
        say(designed if isinstance(designed, str) else f"Could not open the profile's database: {exc}")
        return ExitCode.ENVIRONMENT
    try:
        connection = connect(store, profile)
        if isinstance(connection, ExitCode):
            return connection
        return int(action(store, profile, connection, args))
    finally:
        store.close()


def _sync(store: Store, profile: Profile, connection: Connection, args: Any) -> int:
    from sqlalchemy import select

    from ..store.migrate import DatabaseTooNew
    from ..store.models import SyncRun
    from .engine import SyncEngine
    from .organisation import WrongOrganisation
    from .run_lock import SyncBusy

    engine = SyncEngine(store, connection.factory, connection.tenant_id, lock_path=profile.lock_path,
                        tenant_name=connection.tenant_name)
    printer = _Printer()
    try:
        if getattr(args, "retry_failed", False):
            with store.sessions() as s:
                last = s.scalars(select(SyncRun).where(SyncRun.failed > 0, SyncRun.dry_run.is_(False))
                                 .order_by(SyncRun.id.desc())).first()
                last_id = last.id if last else None
            if last_id is None:
                say("Nothing to retry: no run has failed items.")
                return ExitCode.OK
            result = engine.retry_failed(last_id, progress=printer)
        else:
            result = engine.run(trigger="cli", progress=printer, dry_run=bool(getattr(args, "dry_run", False)))
    except (SyncBusy, DatabaseTooNew, WrongOrganisation) as exc:
        say(exc.user_message)
        return ExitCode.ENVIRONMENT
    say(result.message)
    c = result.counts
    if c:
        say(f"run {result.run_id}: {result.outcome}; contacts {c['contacts_synced']}, invoices "
               f"{c['invoices_pushed']}, credit notes {c['credit_notes_pushed']}, payments pushed "
               f"{c['payments_pushed']}, payments pulled {c['payments_pulled']}, failed {c['failed']}, "
               f"needs review {c['needs_review']}, Xero calls {c['api_calls']}")
    if result.outcome == RunOutcome.PAUSED:
        if result.resume_at:
            say(f"Resumes after {result.resume_at.astimezone():%Y-%m-%d %H:%M}.")
        return ExitCode.PAUSED
    if result.problem == RunProblem.RECONNECT:
        return ExitCode.RECONNECT
    if result.problem == RunProblem.DISK_FULL:
        return ExitCode.ENVIRONMENT
    if result.outcome in (RunOutcome.FAILED, RunOutcome.CANCELLED):
        return ExitCode.FAILURES
    return ExitCode.OK


def _verify(store: Store, profile: Profile, connection: Connection, args: Any) -> int:
    from .engine import SyncEngine
    from .run_lock import SyncBusy

    engine = SyncEngine(store, connection.factory, connection.tenant_id, lock_path=profile.lock_path,
                        tenant_name=connection.tenant_name)
    try:
        result = engine.verify(getattr(args, "month", None), progress=_Printer())
    except SyncBusy as exc:
        say(exc.user_message)
        return ExitCode.ENVIRONMENT
    say(result.message)
    report = result.extra.get("compare")
    if report is not None:
        for f in report.findings:
            d = f.difference
            if f.new:
                how = f"new exception #{f.exception_id}"
            elif f.exception_id == HELD_ITEM:
                how = "covered by a held change listed in Exceptions"
            else:
                how = f"covered by exception #{f.exception_id}"
            say(f"  {d.label}: {d.field} ledger={d.ledger_value or '-'} xero={d.xero_value or '-'} ({how})")
        say(f"unexplained differences: {report.unexplained}")
    say(f"run {result.run_id}: {result.outcome}; Xero calls {result.counts.get('api_calls', 0)}")
    if result.outcome == RunOutcome.PAUSED:
        return ExitCode.PAUSED
    if result.problem == RunProblem.RECONNECT:
        return ExitCode.RECONNECT
    if result.outcome != RunOutcome.SUCCEEDED or report is None or report.differences:
        return ExitCode.FAILURES
    return ExitCode.OK
