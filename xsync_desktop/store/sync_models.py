"""Sync state: what the app knows about Xero and what each run did.

Kept apart from the ledger tables because the operational system owns the
ledger; these tables are the app's own bookkeeping and the audit trail.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from .base import Base
from .states import ExceptionKind, ExceptionStatus, ItemOutcome, LinkState, RunOutcome, StateType
from .types import UTCDateTime, shorten, utcnow

ENTITIES = ("contact", "invoice", "credit_note", "allocation", "payment")


class Link(Base):
    """One ledger record tied to one Xero object in one organisation.

    `state` is "sending" from the moment a create/update is recorded until its
    outcome is known; a crash leaves it there, and the next run settles it by
    natural key before sending anything again (DESIGN: "Never a duplicate").
    """

    __tablename__ = "link"
    __table_args__ = (
        UniqueConstraint("tenant_id", "entity", "local_id"),
        Index("ix_link_xero", "tenant_id", "entity", "xero_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(16))
    local_id: Mapped[int] = mapped_column(Integer)
    xero_id: Mapped[str | None] = mapped_column(String(64))
    natural_key: Mapped[str | None] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(StateType(LinkState), default=LinkState.LINKED)
    pushed_hash: Mapped[str | None] = mapped_column(String(64))
    pushed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pending_action: Mapped[str | None] = mapped_column(String(16))
    pending_key: Mapped[str | None] = mapped_column(String(128))
    pending_hash: Mapped[str | None] = mapped_column(String(64))
    pending_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    xero_updated_utc: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Xero's values as last seen, so a pull can tell which side changed a field.
    xero_snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "The record at this revision hashes to checked_hash" (sync/unchanged.py): while pushed_hash
    # is still checked_hash and the record's revision is not past it, nothing of it needs sending.
    checked_revision: Mapped[int | None] = mapped_column(Integer)
    checked_hash: Mapped[str | None] = mapped_column(String(64))


class SyncRun(Base):
    __tablename__ = "sync_run"
    __table_args__ = (Index("ix_sync_run_started", "started_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(String(16))  # manual, scheduled, retry, cli, resolve
    outcome: Mapped[str] = mapped_column(StateType(RunOutcome), default=RunOutcome.RUNNING)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resume_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    message: Mapped[str | None] = mapped_column(Text)
    contacts_synced: Mapped[int] = mapped_column(Integer, default=0)
    invoices_pushed: Mapped[int] = mapped_column(Integer, default=0)
    credit_notes_pushed: Mapped[int] = mapped_column(Integer, default=0)
    payments_pushed: Mapped[int] = mapped_column(Integer, default=0)
    payments_pulled: Mapped[int] = mapped_column(Integer, default=0)
    invoices_reconciled: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    retried: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    needs_review: Mapped[int] = mapped_column(Integer, default=0)
    api_calls: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def synced(self) -> int:
        return (
            self.contacts_synced
            + self.invoices_pushed
            + self.credit_notes_pushed
            + self.payments_pushed
            + self.payments_pulled
            + self.invoices_reconciled
        )


class SyncItem(Base):
    __tablename__ = "sync_item"
    __table_args__ = (
        Index("ix_sync_item_run_outcome", "run_id", "outcome"),
        Index("ix_sync_item_record", "entity", "local_id"),
        Index("ix_sync_item_xero_id", "xero_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("sync_run.id", ondelete="CASCADE"))
    entity: Mapped[str] = mapped_column(String(16))
    local_id: Mapped[int | None] = mapped_column(Integer)
    xero_id: Mapped[str | None] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(255), default="")  # "Invoice INV-0042", for people
    action: Mapped[str] = mapped_column(String(16))  # create, update, void, allocate, pull, reconcile, settle
    outcome: Mapped[str] = mapped_column(StateType(ItemOutcome), default=ItemOutcome.PENDING)
    message: Mapped[str | None] = mapped_column(Text)
    xero_messages: Mapped[list[str] | None] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retry_of_id: Mapped[int | None] = mapped_column(ForeignKey("sync_item.id"))
    # Set on a failed item once a later retry or skip has dealt with it.
    superseded_by_id: Mapped[int | None] = mapped_column(Integer)
    skip_reason: Mapped[str | None] = mapped_column(Text)
    run: Mapped[SyncRun] = relationship()

    @validates("label")
    def _fit_label(self, _key: str, value: str) -> str:
        return shorten(value, 255) or ""  # "Invoice " + a 255-character number must still fit (PostgreSQL)


class ReconException(Base):
    """A conflict a person must decide; one row per conflict, however often seen."""

    __tablename__ = "recon_exception"
    __table_args__ = (Index("ix_recon_exception_status", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(StateType(ExceptionKind, 32))
    entity: Mapped[str] = mapped_column(String(16))
    local_id: Mapped[int | None] = mapped_column(Integer)
    xero_id: Mapped[str | None] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(255), default="")
    field: Mapped[str | None] = mapped_column(String(64))
    ledger_value: Mapped[str | None] = mapped_column(Text)
    xero_value: Mapped[str | None] = mapped_column(Text)
    # Identifies "the same conflict" so a second run does not open a second exception.
    fingerprint: Mapped[str] = mapped_column(String(128), index=True)
    detail: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(StateType(ExceptionStatus), default=ExceptionStatus.OPEN)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_run_id: Mapped[int | None] = mapped_column(Integer)
    last_run_id: Mapped[int | None] = mapped_column(Integer)
    resolution: Mapped[str | None] = mapped_column(String(32))  # accept_xero, keep_ledger, link, dismiss
    resolution_note: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(String(255))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped by every decision: a desk decides only the version it read, so two desks deciding
    # at once apply one decision and the other is told who decided (sync/exceptions.py).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    @validates("label")
    def _fit_label(self, _key: str, value: str) -> str:
        return shorten(value, 255) or ""


class Mapping(Base):
    """charge type -> account + tax type; payment method -> bank account; facility -> tracking option."""

    __tablename__ = "mapping"
    __table_args__ = (UniqueConstraint("kind", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # charge_type, payment_method, facility
    key: Mapped[str] = mapped_column(String(64))
    account_code: Mapped[str | None] = mapped_column(String(32))
    tax_type: Mapped[str | None] = mapped_column(String(64))
    tracking_category: Mapped[str | None] = mapped_column(String(255))
    tracking_option: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class XeroReference(Base):
    """Cached Xero settings (accounts, tax rates, tracking, organisation, currencies)."""

    __tablename__ = "xero_reference"
    __table_args__ = (UniqueConstraint("tenant_id", "kind", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))  # account, tax_rate, tracking, organisation, currency
    key: Mapped[str] = mapped_column(String(255))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Watermark(Base):
    """A bookmark per pull phase, committed only when that phase completes."""

    __tablename__ = "watermark"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(32))
    value: Mapped[datetime] = mapped_column(UTCDateTime)
    # Resume point inside an unfinished phase (page number), cleared when it completes.
    resume_page: Mapped[int | None] = mapped_column(Integer)
    resume_upper: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AppSetting(Base):
    """Small typed-by-convention settings (tenant choice, invoice status, sync start date...)."""

    __tablename__ = "app_setting"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text)


class ChecklistSignoff(Base):
    """One sign-off of a month; a later one (after a re-check) gets the next version.

    (month, version) is unique: two desks signing off the month they both saw unsigned
    both write version 1, the database keeps one, and the second desk is told who signed.
    """

    __tablename__ = "checklist_signoff"
    __table_args__ = (UniqueConstraint("month", "version", name="uq_checklist_signoff_month_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)  # YYYY-MM
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    signed_by: Mapped[str] = mapped_column(String(255))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)
    override_reason: Mapped[str | None] = mapped_column(Text)
    results: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ChangeLog(Base):
    """Every write-back from Xero to the ledger, for the operational system and auditors."""

    __tablename__ = "change_log"
    __table_args__ = (Index("ix_change_log_record", "entity", "local_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    entity: Mapped[str] = mapped_column(String(16))
    local_id: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    run_id: Mapped[int | None] = mapped_column(Integer)


class ImportBatch(Base):
    """One committed ledger import, with its report, so the UI can show what came in when."""

    __tablename__ = "import_batch"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    files: Mapped[list[str]] = mapped_column(JSON)
    added: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)


class SyncLockHolder(Base):
    """Who holds an organisation's run lock, for the other desks to read ("Sync running on ...").

    The lock itself is a PostgreSQL advisory lock (sync/run_lock.py); this row is only
    believed while the backend that wrote it still holds that lock (checked in pg_locks),
    so a killed desk's row is simply ignored.
    """

    __tablename__ = "sync_lock_holder"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    desk: Mapped[str] = mapped_column(String(255))
    username: Mapped[str] = mapped_column(String(255))
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    backend_pid: Mapped[int] = mapped_column(Integer)
