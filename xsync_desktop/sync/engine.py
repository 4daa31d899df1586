"""The sync engine: one run = settings, settle, push (contacts, invoices, credit notes,
allocations, payments), then pull/reconcile, recorded as it happens.

Plain Python, no Qt: the GUI worker and `xsync-desktop sync` call it the same way.
It opens its own sessions (it runs in a worker thread) and commits as it goes, so
a crash at any point loses nothing that was recorded and duplicates nothing that
was sent (see batch_sender.py and settle.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from .. import activity
from ..store.database import checkpoint
from ..store.disk_full import disk_full_message, is_disk_full
from ..store.migrate import check_schema_current
from ..store.models import CreditAllocation, Invoice, Link, Payment, SyncItem, SyncRun
from ..store.settings import get_date_setting, get_setting
from ..store.states import ItemOutcome, RunOutcome
from ..store.store import Store
from ..store.types import utcnow
from ..xero.client import RequestEvent, XeroClient
from ..xero.errors import (
    Forbidden,
    NetworkError,
    RateLimited,
    ReconnectNeeded,
    XeroError,
    XeroUnavailable,
)
from . import messages as msg
from . import pull
from .batch_sender import BatchSender, Items, StopRun
from .client_factory import ClientFactory
from .contacts import ContactPhase
from .context import RunContext
from .documents import CREDIT_NOTE, INVOICE, DocumentPhase, Scope, content_of, needed_customers
from .generation import bump, marker_for
from .links import LinkBook
from .mapping_check import MappingBook
from .organisation import check_organisation
from .orphans import close_orphaned_runs
from .payments import AllocationPhase, PaymentPhase
from .progress import Cancelled, CancelToken, ProgressCallback, no_progress
from .reachability import note_run_end
from .restore_check import Adoption, needs_adoption
from .run_lock import SyncBusy, run_lock_for
from .run_problem import RunProblem
from .settings_refresh import lock_date, refresh_settings
from .settle import Settler
from .unchanged import forget_on_setting_change

log = logging.getLogger(__name__)

COUNT_KEYS = ("contacts_synced", "invoices_pushed", "credit_notes_pushed", "payments_pushed", "payments_pulled",
              "invoices_reconciled", "failed", "retried", "skipped", "needs_review", "api_calls")


@dataclass
class RunResult:
    run_id: int | None
    outcome: RunOutcome
    counts: dict[str, int] = field(default_factory=dict)
    message: str = ""
    resume_at: datetime | None = None
    # Why a run stopped early, for exit codes and messages (None: it did not).
    problem: RunProblem | None = None
    # What the run left for its caller beyond counts (e.g. "compare": a verify's CompareReport).
    extra: dict[str, Any] = field(default_factory=dict)


_TRIGGER_WORDS = {"manual": "started by a person", "scheduled": "on schedule", "retry": "a retry",
                  "resolve": "to carry out a decision on an exception", "cli": "from the command line",
                  "verify": "a compare with Xero"}


def _log_end(result: RunResult) -> None:
    """One line for the end of a run: its outcome, counts, and when Xero did not answer."""
    c = result.counts
    sent = ", ".join(activity.plural(c.get(k, 0), word) for k, word in (
        ("contacts_synced", "contact"), ("invoices_pushed", "invoice"), ("credit_notes_pushed", "credit note"),
        ("payments_pushed", "payment")))
    pulled = activity.plural(c.get("payments_pulled", 0), "payment")
    failed = c.get("failed", 0)
    line = (f"Sync {result.run_id} ended: {result.outcome}. Sent {sent}; pulled {pulled}; "
            f"{activity.plural(failed, 'item')} failed.")
    if result.problem == RunProblem.NETWORK:
        line += f" Xero unreachable: {result.message}"
    elif result.outcome != RunOutcome.SUCCEEDED and result.message and not result.message.startswith("Finished"):
        line += f" {result.message}"
    (activity.log.warning if result.outcome != RunOutcome.SUCCEEDED else activity.log.info)("%s", line)


class SyncEngine:
    def __init__(self, store: Store, client_factory: ClientFactory, tenant_id: str, *,
                 lock_path: Path | None = None, tenant_name: str | None = None) -> None:
        self.store = store
        self.client_factory = client_factory
        self.tenant_id = tenant_id
        #: the organisation's name as this desk's sign-in knows it: a refusal names it, not its id
        self.tenant_name = tenant_name
        self.lock_path = lock_path
        self._thread_lock = threading.Lock()

    # -- public API ------------------------------------------------------------------------------
    def run(self, trigger: str = "manual", progress: ProgressCallback = no_progress,
            cancel: CancelToken | None = None, dry_run: bool = False) -> RunResult:
        return self._run(trigger, progress, cancel, dry_run, only=None, retry_of=None)

    def verify(self, month: str | None = None, progress: ProgressCallback = no_progress,
               cancel: CancelToken | None = None) -> RunResult:
        """Compare with Xero (sync/verify.py) as a run of its own (trigger "verify"): it holds the
        run lock like a sync, so it never reads a half-pushed state, and its findings are items."""
        from .verify import compare_with_xero

        def body(ctx: RunContext) -> None:
            ctx.report("settings", 0, 1, "", "Reading settings from Xero")
            refresh_settings(ctx.session, ctx.client, self.tenant_id)
            ctx.session.commit()
            ctx.extra["compare"] = compare_with_xero(ctx, month)

        return self._run("verify", progress, cancel, False, only=None, retry_of=None, body=body)

    def retry_item(self, item_id: int, progress: ProgressCallback = no_progress,
                   cancel: CancelToken | None = None) -> RunResult:
        from .retry import records_for_items

        with self.store.sessions() as s:
            item = s.get(SyncItem, item_id)
            if item is None:
                raise ValueError(f"no sync item {item_id}")
            only, retry_of = records_for_items(s, [item])
        return self._run("retry", progress, cancel, False, only=only, retry_of=retry_of)

    def retry_failed(self, run_id: int, progress: ProgressCallback = no_progress,
                     cancel: CancelToken | None = None) -> RunResult:
        from .retry import records_for_items

        with self.store.sessions() as s:
            items = list(s.scalars(select(SyncItem).where(
                SyncItem.run_id == run_id, SyncItem.outcome == ItemOutcome.FAILED, SyncItem.superseded_by_id.is_(None))))
            only, retry_of = records_for_items(s, items)
        if not items:
            return RunResult(None, RunOutcome.SUCCEEDED, {}, "Nothing to retry: that run has no open failed items.")
        return self._run("retry", progress, cancel, False, only=only, retry_of=retry_of)

    def skip_item(self, item_id: int, reason: str) -> None:
        from ..store.models import SyncItem
        from .retry import skip_item

        with self.store.sessions() as s:
            skip_item(s, self.tenant_id, item_id, reason)
            s.commit()
            item = s.get(SyncItem, item_id)
            label = item.label if item is not None else "an item"
        activity.log.info("Skipped %s: %s", label, reason.strip())

    def refresh_settings(self, force: bool = False) -> bool:
        client = self.client_factory()
        try:
            with self.store.sessions() as s:
                fetched = refresh_settings(s, client, self.tenant_id, force=force)
                s.commit()
                return fetched
        finally:
            _close(client)

    # -- one run ---------------------------------------------------------------------------------
    def _run(self, trigger: str, progress: ProgressCallback, cancel: CancelToken | None, dry_run: bool,
             only: set[tuple[str, int]] | None, retry_of: dict[tuple[str, int], int] | None,
             body: Callable[[RunContext], None] | None = None) -> RunResult:
        if not self._thread_lock.acquire(blocking=False):
            raise SyncBusy()
        try:
            check_schema_current(self.store.engine)  # a desk left behind by an upgrade writes nothing
            run_lock = run_lock_for(self.store.engine, self.tenant_id, self.lock_path)
            if run_lock is not None:
                run_lock.acquire()  # raises SyncBusy: another process or desk is syncing this organisation
            try:
                with self.store.sessions() as s:
                    check_organisation(s, self.tenant_id, self.tenant_name)
                return self._run_locked(trigger, progress, cancel, dry_run, only, retry_of, body,
                                        lock_held=run_lock is not None)
            finally:
                if run_lock is not None:
                    run_lock.release()
        finally:
            self._thread_lock.release()

    def _run_locked(self, trigger: str, progress: ProgressCallback, cancel: CancelToken | None, dry_run: bool,
                    only: set[tuple[str, int]] | None, retry_of: dict[tuple[str, int], int] | None,
                    body: Callable[[RunContext], None] | None = None, *, lock_held: bool = False) -> RunResult:
        session = self.store.sessions()
        if lock_held:  # we hold the organisation's run lock: any of its "running" runs is dead
            close_orphaned_runs(session, self.tenant_id)
        run = SyncRun(tenant_id=self.tenant_id, trigger=trigger, outcome=RunOutcome.RUNNING, started_at=utcnow(),
                      dry_run=dry_run)
        session.add(run)
        session.commit()
        activity.log.info("Sync %s started (%s%s).", run.id, _TRIGGER_WORDS.get(trigger, trigger),
                          ", a dry run that sends nothing" if dry_run else "")
        calls = [0]
        client = None
        ctx = RunContext(session, None, self.tenant_id, run, progress, cancel, dry_run, only,
                         {"retry_of": retry_of or {}})
        result = RunResult(run.id, RunOutcome.RUNNING)
        try:
            try:
                client = self.client_factory()
                _count_calls(client, calls)
                _report_retries(client, ctx)
                ctx.client = client
                if body is not None:
                    body(ctx)
                    result.outcome = RunOutcome.FAILED if run.failed else RunOutcome.SUCCEEDED
                    result.message = run.message or ""
                else:
                    self._phases(ctx, dry_run, trigger)
                    result.outcome = RunOutcome.FAILED if run.failed else RunOutcome.SUCCEEDED
                    result.message = _summary(run)
                result.extra = ctx.extra
            except Cancelled:
                session.rollback()
                result.outcome, result.message = RunOutcome.CANCELLED, msg.CANCELLED
            except RateLimited as exc:
                session.rollback()
                result.outcome, result.message, result.problem = RunOutcome.PAUSED, exc.user_message, RunProblem.LIMIT
                result.resume_at = exc.retry_at
            except (ReconnectNeeded, Forbidden) as exc:
                session.rollback()
                result.outcome, result.message, result.problem = RunOutcome.FAILED, exc.user_message, RunProblem.RECONNECT
            except StopRun as exc:
                session.rollback()
                result.outcome, result.message, result.problem = RunOutcome.FAILED, exc.message, RunProblem.NETWORK
            except (NetworkError, XeroUnavailable) as exc:
                session.rollback()
                text = msg.NETWORK if isinstance(exc, NetworkError) else msg.UNAVAILABLE
                result.outcome, result.message, result.problem = RunOutcome.FAILED, text, RunProblem.NETWORK
            except XeroError as exc:
                session.rollback()
                result.outcome, result.message, result.problem = RunOutcome.FAILED, exc.user_message, RunProblem.ERROR
            except Exception as exc:  # a bug must still end the run visibly, not leave it "running"
                session.rollback()
                if is_disk_full(exc, self._db_folder()):
                    log.info("sync run %s stopped: disk full (%s)", run.id, exc)  # info: the CLI prints warnings raw
                    result.outcome, result.problem = RunOutcome.FAILED, RunProblem.DISK_FULL
                    result.message = disk_full_message(self._db_folder() or "the database", "syncing")
                else:
                    log.exception("sync run %s crashed", run.id)
                    result.outcome, result.problem = RunOutcome.FAILED, RunProblem.ERROR
                    result.message = (f"The sync stopped on an unexpected problem ({type(exc).__name__}). Nothing "
                                      "sent was lost; run sync again, and report this if it repeats.")
            try:
                run = session.get(SyncRun, result.run_id) or run
                run.api_calls = calls[0]
                run.outcome = result.outcome
                run.message = result.message
                run.resume_at = result.resume_at
                run.finished_at = utcnow()
                note_run_end(session, result.outcome, result.problem, run.finished_at)
                session.commit()
                result.counts = {k: int(getattr(run, k) or 0) for k in COUNT_KEYS}
                _log_end(result)
            except Exception as exc:
                # No room even to record the end: the run stays "running" in the database and the
                # next run closes it (orphans.py); what was sent is settled by its natural key.
                if not is_disk_full(exc, self._db_folder()):
                    raise
                session.rollback()
                result.outcome, result.problem = RunOutcome.FAILED, RunProblem.DISK_FULL
                result.message = disk_full_message(self._db_folder() or "the database", "syncing")
            return result
        finally:
            if client is not None:
                _close(client)
            session.close()

    def _db_folder(self) -> Path | None:
        db_path = getattr(self.store, "db_path", None)
        return db_path.parent if db_path is not None else None

    def _phases(self, ctx: RunContext, dry_run: bool, trigger: str) -> None:
        session = ctx.session
        ctx.report("settings", 0, 1, "", "Reading settings from Xero")
        # A person's decision to re-push is made against Xero as it is now (a lock date just
        # lifted, an account just restored): its run reads the settings afresh.
        refresh_settings(session, ctx.client, self.tenant_id, force=trigger == "resolve")
        session.commit()
        ctx.check_cancel()
        links = LinkBook(session, self.tenant_id)
        items = Items(ctx)
        scope = Scope(get_date_setting(session, "sync_start_date"), lock_date(session, self.tenant_id),
                      ctx.only_records)
        if dry_run:
            self._dry_run(ctx, links, scope)
            return
        self._push(ctx, links, items, scope)
        del links, items  # the push's links and items are released before the pull reads its pages
        session.commit()
        checkpoint(session)  # the push wrote most of the run: keep the WAL (and the disk it needs) small
        if trigger != "retry":
            ctx.check_cancel()
            pull.pull_and_reconcile(ctx)
            session.commit()
            checkpoint(session)

    def _push(self, ctx: RunContext, links: LinkBook, items: Items, scope: Scope) -> None:
        """Settle, then the push phases; what they hold is theirs alone and goes when this returns."""
        session = ctx.session
        marker = marker_for(self.lock_path)
        behind = needs_adoption(ctx, links, scope, marker)  # before the bump: is this database older?
        bump(session, self.tenant_id, marker)
        forget_on_setting_change(session, get_setting(session, "line_amount_types") or "Exclusive")
        Settler(ctx, links, items).run()
        ctx.check_cancel()
        adoption = Adoption(ctx, links, items, scope, behind) if behind else None
        sender = BatchSender(ctx, links, items)
        book = MappingBook(session, self.tenant_id)
        ContactPhase(ctx, links, items, sender).run(needed_customers(ctx, links, scope))
        payments = PaymentPhase(ctx, links, items, sender, book, scope)
        payments.run_deletions()  # refunds before voids: Xero voids only an invoice with no payment
        if adoption is not None:
            adoption.documents()
        DocumentPhase(ctx, links, items, sender, book, scope, INVOICE).run()
        DocumentPhase(ctx, links, items, sender, book, scope, CREDIT_NOTE).run()
        if adoption is not None:
            adoption.allocations()
        AllocationPhase(ctx, links, items, sender, scope).run()
        if adoption is not None:
            adoption.payments()
        payments.run()

    def _dry_run(self, ctx: RunContext, links: LinkBook, scope: Scope) -> None:
        """Plan only: count what would be sent, send nothing, change no link."""
        lat = get_setting(ctx.session, "line_amount_types") or "Exclusive"
        plan: dict[str, int] = {}
        for kind in (INVOICE, CREDIT_NOTE):
            from .documents import iter_documents

            n = 0
            for doc in iter_documents(ctx, kind):
                if doc.status not in ("authorised", "void") or not scope.wanted(kind.entity, doc.id, doc.issue_date):
                    continue
                lk = links.get(kind.entity, doc.id)
                if lk is None or not lk.xero_id:
                    n += doc.status == "authorised"
                elif lk.pushed_hash != content_of(kind, doc, lat):
                    n += 1
            plan[kind.entity] = n
        plan["contact"] = len(needed_customers(ctx, links, scope))
        plan["payment"] = sum(1 for p in ctx.session.scalars(select(Payment).where(Payment.source == "ledger"))
                              if not links.xero_id("payment", p.id) and p.reversed_at is None)
        plan["allocation"] = sum(1 for a in ctx.session.scalars(select(CreditAllocation))
                                 if not links.xero_id("allocation", a.id))
        ctx.extra["plan"] = plan
        ctx.run.message = "Dry run: " + ", ".join(activity.plural(v, k.replace('_', ' ')) for k, v in plan.items())


def _count_calls(client: XeroClient, calls: list[int]) -> None:
    """Every HTTP attempt counts against Xero's limits, so every attempt is counted."""
    previous = client.on_request

    def hook(event: RequestEvent) -> None:
        calls[0] += 1
        if previous is not None:
            previous(event)

    client.on_request = hook


def _report_retries(client: XeroClient, ctx: RunContext) -> None:
    """The client's retry loop, seen in the progress: an attempt that got no answer (or a 5xx)
    is followed by a wait and attempt n+1 of max_retries+1 (issue 14: 24 s of "0 of 1")."""
    previous = client.on_request
    attempts = client.max_retries + 1

    def hook(event: RequestEvent) -> None:
        if previous is not None:
            previous(event)
        if (event.status is None or event.status >= 500) and event.attempt < attempts:
            ctx.report_retry(event.attempt + 1, attempts)

    client.on_request = hook


def _close(client: XeroClient) -> None:
    try:
        client.close()
    except Exception:  # noqa: BLE001 - closing must never hide the run's own outcome
        log.warning("closing the Xero client failed", exc_info=True)


def _summary(run: SyncRun) -> str:
    if run.dry_run:
        return run.message or "Dry run: nothing sent."
    p = activity.plural
    sent = (f"{p(run.contacts_synced or 0, 'contact')}, {p(run.invoices_pushed or 0, 'invoice')}, "
            f"{p(run.credit_notes_pushed or 0, 'credit note')}, {p(run.payments_pushed or 0, 'payment')} sent")
    extra = f"; {p(run.payments_pulled, 'payment')} pulled" if run.payments_pulled else ""
    tail = ""
    if run.failed:
        tail += f"; {run.failed} failed (open them to see what to fix, then retry)"
    if run.needs_review:
        tail += f"; {run.needs_review} need{'s' if run.needs_review == 1 else ''} review"
    return f"Finished: {sent}{extra}{tail}."


__all__ = ["RunResult", "SyncEngine", "Link", "Invoice"]
