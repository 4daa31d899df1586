"""What one run hands to each phase (push, pull, reconcile): its session, client and bookkeeping.

Phases never touch SyncRun/SyncItem/ReconException rows directly; they go through
RunContext so every item is timed, counted and made durable the same way, and an
exception seen twice stays one exception. `finish_item` commits: once a phase has
written an item's outcome it survives a crash (DESIGN: "Runs and items in the DB as
they happen").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import activity
from ..store.models import ReconException, SyncItem, SyncRun
from ..store.states import FINAL_ITEM_OUTCOMES, ExceptionStatus, ItemOutcome
from ..store.types import utcnow
from .progress import CancelToken, Progress, ProgressCallback, no_progress

if TYPE_CHECKING:  # the Xero client is only needed for its type here
    from ..xero.client import XeroClient

# Run counters a phase may bump with ctx.count(); anything else is a programming error.
COUNT_FIELDS = (
    "contacts_synced",
    "invoices_pushed",
    "credit_notes_pushed",
    "payments_pushed",
    "payments_pulled",
    "invoices_reconciled",
    "failed",
    "retried",
    "skipped",
    "needs_review",
    "api_calls",
)
# finish_item bumps these by itself, so callers only count their successes.
_OUTCOME_COUNTERS = {ItemOutcome.FAILED: "failed", ItemOutcome.SKIPPED: "skipped",
                     ItemOutcome.NEEDS_REVIEW: "needs_review"}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


@dataclass
class RunContext:
    """The per-run toolbox. One per run, used from the engine's worker thread only.

    Attributes: session (the run's own Session), client (XeroClient, may be None on a
    dry run), tenant_id, run (the SyncRun row), progress (plain callback), cancel
    (CancelToken or None), dry_run.
    """

    session: Session
    client: XeroClient | None
    tenant_id: str
    run: SyncRun
    progress: ProgressCallback = no_progress
    cancel: CancelToken | None = None
    dry_run: bool = False
    # Set by the engine when the run is a retry: the items being retried, so a phase
    # knows which records to include (None = a normal run: everything that changed).
    only_records: set[tuple[str, int]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    _on_item: Callable[[SyncItem], None] | None = None
    #: where the run last said it was (a retry notice repeats it with its own message)
    last_progress: Progress | None = None

    # -- progress and cancel -------------------------------------------------
    def report(self, phase: str, done: int, total: int, current: str = "", message: str = "") -> None:
        """Tell the UI/CLI where we are; never lets a broken callback stop the run."""
        self.last_progress = Progress(phase, done, total, current, message)
        try:
            self.progress(self.last_progress)
        except Exception:  # noqa: BLE001 - a display problem must not fail a sync
            pass

    def report_retry(self, attempt: int, attempts: int) -> None:
        """Xero did not answer (or answered 5xx) and the client waits to try again: say so,
        where the run is, so a long wait is not mistaken for a hang."""
        last = self.last_progress
        self.report(last.phase if last else "settings", last.done if last else 0, last.total if last else 0,
                    last.current if last else "", f"Xero not answering, retrying (attempt {attempt} of {attempts})")

    def check_cancel(self) -> None:
        """Raise Cancelled if the user asked to stop; call between requests only."""
        if self.cancel is not None:
            self.cancel.check()

    # -- items -----------------------------------------------------------------
    def start_item(
        self,
        entity: str,
        local_id: int | None,
        action: str,
        label: str,
        *,
        xero_id: str | None = None,
        retry_of_id: int | None = None,
        flush: bool = True,
    ) -> SyncItem:
        """Record that work on one record has begun (outcome "pending"); flushed, not committed.

        flush=False lets a caller starting many items at once flush them together.
        """
        item = SyncItem(
            run_id=self.run.id,
            entity=entity,
            local_id=local_id,
            xero_id=xero_id,
            label=label[:255],
            action=action,
            outcome=ItemOutcome.PENDING,
            attempts=0,
            started_at=utcnow(),
            retry_of_id=retry_of_id,
        )
        self.session.add(item)
        if flush:
            self.session.flush()
        return item

    def finish_item(
        self,
        item: SyncItem,
        outcome: ItemOutcome,
        message: str | None,
        xero_messages: list[str] | None = None,
        *,
        xero_id: str | None = None,
        commit: bool = True,
    ) -> None:
        """Set the outcome, bump failed/skipped/needs_review, and commit (durable now).

        Success counters are entity-specific (invoices_pushed, payments_pulled...):
        the phase calls ctx.count() for those itself.
        """
        if outcome not in FINAL_ITEM_OUTCOMES:
            raise ValueError(f"unknown item outcome {outcome!r}")
        item.outcome = outcome
        item.message = message
        item.xero_messages = list(xero_messages) if xero_messages else None
        if xero_id is not None:
            item.xero_id = xero_id
        item.finished_at = utcnow()
        counter = _OUTCOME_COUNTERS.get(outcome)
        if counter:
            self.count(counter)
        if outcome in (ItemOutcome.FAILED, ItemOutcome.NEEDS_REVIEW):
            words = " Xero said: " + "; ".join(item.xero_messages) if item.xero_messages else ""
            activity.log.warning("%s %s: %s%s", item.label or item.entity,
                                 "failed" if outcome == ItemOutcome.FAILED else "needs review", message or "", words)
        if self._on_item is not None:
            self._on_item(item)
        if commit:
            self.session.commit()

    def reclassify_item(self, item: SyncItem, outcome: str, message: str, xero_id: str | None = None) -> None:
        """Change a finished item's outcome (what Xero refused turned out to be ours, or needs a
        person), keeping the run's counters true."""
        old = _OUTCOME_COUNTERS.get(item.outcome or "")
        if old:
            self.count(old, -1)
        new = _OUTCOME_COUNTERS.get(outcome)
        if new:
            self.count(new)
        item.outcome = outcome
        item.message = message
        if xero_id is not None:
            item.xero_id = xero_id

    def count(self, field_name: str, n: int = 1) -> None:
        if field_name not in COUNT_FIELDS:
            raise ValueError(f"unknown run counter {field_name!r}")
        setattr(self.run, field_name, (getattr(self.run, field_name) or 0) + n)

    def commit(self) -> None:
        self.session.commit()

    # -- audit trail and conflicts --------------------------------------------
    def open_exception(
        self,
        kind: str,
        entity: str,
        local_id: int | None,
        xero_id: str | None,
        label: str,
        field: str | None,
        ledger_value: Any,
        xero_value: Any,
        fingerprint: str,
        detail: str | None,
    ) -> ReconException | None:
        """Open a conflict for a person, or refresh the open one with the same fingerprint.

        The same conflict seen on every run stays a single row (last_seen moves on). One a
        person already resolved or dismissed is not reopened (they decided): returns None.
        """
        fingerprint = fingerprint[:128]
        decided = self.session.scalars(
            select(ReconException.id).where(
                ReconException.fingerprint == fingerprint,
                ReconException.status != ExceptionStatus.OPEN,
                ReconException.tenant_id == self.tenant_id,
            ).limit(1)
        ).first()
        if decided is not None:
            return None
        existing = self.session.scalars(
            select(ReconException).where(
                ReconException.fingerprint == fingerprint,
                ReconException.status == ExceptionStatus.OPEN,
                ReconException.tenant_id == self.tenant_id,
            )
        ).first()
        now = utcnow()
        if existing is not None:
            existing.last_seen = now
            existing.last_run_id = self.run.id
            existing.xero_value = _text(xero_value)
            existing.ledger_value = _text(ledger_value)
            if detail:
                existing.detail = detail
            return existing
        row = ReconException(
            tenant_id=self.tenant_id,
            kind=kind,
            entity=entity,
            local_id=local_id,
            xero_id=xero_id,
            label=label[:255],
            field=field,
            ledger_value=_text(ledger_value),
            xero_value=_text(xero_value),
            fingerprint=fingerprint,
            detail=detail,
            status=ExceptionStatus.OPEN,
            first_seen=now,
            last_seen=now,
            first_run_id=self.run.id,
            last_run_id=self.run.id,
        )
        self.session.add(row)
        self.session.flush()
        return row
