"""The ledger: the operational system's billing records, the source of truth.

Every record carries the export's own id (`external_id`) so imports upsert
idempotently, and `changed_at`, bumped whenever the ledger itself changes a
record, so reconciliation can tell "the ledger changed since the last push".
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base
from .types import Money, UTCDateTime, utcnow

# Xero's own text limits, enforced at import so a push never fails on them.
CONTACT_NAME_MAX = 255
REFERENCE_MAX = 255
LINE_DESCRIPTION_MAX = 4000

INVOICE_STATUSES = ("draft", "authorised", "void")


def revision_column() -> Mapped[int]:
    """A counter the database raises on every change of what the push hashes (migration 0007's
    triggers, on the record and on its lines), never set by the app: the sync's planner leaves out
    a record whose revision its link already checked (sync/unchanged.py). The copy held in memory
    may lag the database's, which only makes the planner look again."""
    return mapped_column(Integer, nullable=False, server_default=text("1"))
PAYMENT_SOURCES = ("ledger", "xero")


class Facility(Base):
    __tablename__ = "facility"
    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Customer(Base):
    __tablename__ = "customer"
    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    customer_number: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(CONTACT_NAME_MAX))
    email: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(50))
    address: Mapped[str | None] = mapped_column(String(500))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revision: Mapped[int] = revision_column()


class Unit(Base):
    __tablename__ = "unit"
    __table_args__ = (UniqueConstraint("facility_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    code: Mapped[str] = mapped_column(String(32))
    size: Mapped[str | None] = mapped_column(String(32))
    facility: Mapped[Facility] = relationship()


class Tenancy(Base):
    __tablename__ = "tenancy"
    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    monthly_rent: Mapped[Decimal] = mapped_column(Money())
    customer: Mapped[Customer] = relationship()
    unit: Mapped[Unit] = relationship()


class DocumentLine:
    """The columns an invoice line and a credit-note line share (Xero's LineItem)."""

    line_no: Mapped[int] = mapped_column(Integer)
    charge_type: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text)
    quantity: Mapped[Decimal] = mapped_column(Money(4))
    unit_amount: Mapped[Decimal] = mapped_column(Money(4))
    tax_amount: Mapped[Decimal] = mapped_column(Money())
    line_amount: Mapped[Decimal] = mapped_column(Money())


class Invoice(Base):
    __tablename__ = "invoice"
    __table_args__ = (Index("ix_invoice_issue_date", "issue_date"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    number: Mapped[str] = mapped_column(String(255), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    tenancy_id: Mapped[int | None] = mapped_column(ForeignKey("tenancy.id"))
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facility.id"))
    issue_date: Mapped[date]
    due_date: Mapped[date]
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default="authorised")
    reference: Mapped[str | None] = mapped_column(String(REFERENCE_MAX))
    subtotal: Mapped[Decimal] = mapped_column(Money())
    tax_total: Mapped[Decimal] = mapped_column(Money())
    total: Mapped[Decimal] = mapped_column(Money())
    amount_paid: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    # Credit notes allocated to it; kept apart from payments, as Xero keeps AmountCredited.
    amount_credited: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revision: Mapped[int] = revision_column()

    customer: Mapped[Customer] = relationship()
    facility: Mapped[Facility | None] = relationship()
    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="InvoiceLine.line_no"
    )

    @property
    def amount_due(self) -> Decimal:
        return self.total - self.amount_paid - (self.amount_credited or Decimal("0"))


class InvoiceLine(DocumentLine, Base):
    __tablename__ = "invoice_line"
    __table_args__ = (UniqueConstraint("invoice_id", "line_no"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"))
    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class Payment(Base):
    __tablename__ = "payment"
    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    date: Mapped[date]
    amount: Mapped[Decimal] = mapped_column(Money())
    method: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str | None] = mapped_column(String(REFERENCE_MAX))
    # "ledger": recorded by the operational system and pushed; "xero": pulled from Xero.
    source: Mapped[str] = mapped_column(String(8), default="ledger")
    # A payment pulled from Xero and later deleted there is reversed, never deleted here.
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revision: Mapped[int] = revision_column()
    invoice: Mapped[Invoice] = relationship()


class CreditNote(Base):
    __tablename__ = "credit_note"
    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    number: Mapped[str] = mapped_column(String(255), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facility.id"))
    issue_date: Mapped[date]
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default="authorised")
    reference: Mapped[str | None] = mapped_column(String(REFERENCE_MAX))
    subtotal: Mapped[Decimal] = mapped_column(Money())
    tax_total: Mapped[Decimal] = mapped_column(Money())
    total: Mapped[Decimal] = mapped_column(Money())
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revision: Mapped[int] = revision_column()
    customer: Mapped[Customer] = relationship()
    lines: Mapped[list[CreditNoteLine]] = relationship(
        back_populates="credit_note", cascade="all, delete-orphan", order_by="CreditNoteLine.line_no"
    )
    allocations: Mapped[list[CreditAllocation]] = relationship(back_populates="credit_note")


class CreditNoteLine(DocumentLine, Base):
    __tablename__ = "credit_note_line"
    __table_args__ = (UniqueConstraint("credit_note_id", "line_no"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    credit_note_id: Mapped[int] = mapped_column(ForeignKey("credit_note.id", ondelete="CASCADE"))
    credit_note: Mapped[CreditNote] = relationship(back_populates="lines")


class CreditAllocation(Base):
    __tablename__ = "credit_allocation"
    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    credit_note_id: Mapped[int] = mapped_column(ForeignKey("credit_note.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    date: Mapped[date]
    amount: Mapped[Decimal] = mapped_column(Money())
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revision: Mapped[int] = revision_column()
    credit_note: Mapped[CreditNote] = relationship(back_populates="allocations")
    invoice: Mapped[Invoice] = relationship()
