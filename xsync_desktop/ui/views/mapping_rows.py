"""The mapping editor's data, without Qt: what can be mapped, what it may map to, and what is wrong.

Validity comes from the engine's own rules (`sync.mapping_check.MappingBook`), applied to
the person's unsaved choices, so the editor and the sync never disagree about what is
valid. On top of them the editor offers, for a charge type, only active REVENUE-class
accounts that may carry an invoice line (what the brief asks of the drop-down), and says
so when an existing mapping points elsewhere.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...ledger.rules import CHARGE_TYPES, PAYMENT_METHODS
from ...store.models import CreditNoteLine, Facility, InvoiceLine, Mapping, Payment, SyncItem
from ...store.states import ItemOutcome
from ...sync.mapping_check import MappingBook, blocked_counts, check_mappings, key_title, suggest_mappings
from ...sync.settings_refresh import settings_age

MAPPING_KINDS = ("charge_type", "payment_method", "facility")
EM_DASH = "\u2014"


@dataclass(frozen=True)
class AccountChoice:
    code: str
    name: str
    tax_type: str | None  # the account's default tax type
    account_class: str
    type: str

    @property
    def text(self) -> str:
        return f"{self.code} {EM_DASH} {self.name}"


@dataclass(frozen=True)
class TaxChoice:
    tax_type: str
    name: str
    rate: str

    @property
    def text(self) -> str:
        return f"{self.tax_type} {EM_DASH} {self.name}"


@dataclass(frozen=True)
class TrackingChoice:
    category: str
    option: str

    @property
    def text(self) -> str:
        return f"{self.category}: {self.option}"


@dataclass
class MappingDraft:
    """One row of the editor: a ledger key and the person's current (maybe unsaved) choice."""

    kind: str
    key: str
    title: str  # what people call it: the facility's name, the charge type itself
    used: int = 0  # lines / payments / invoices using it in the ledger
    account_code: str | None = None
    tax_type: str | None = None
    tracking_category: str | None = None
    tracking_option: str | None = None
    blocked: int = 0  # records held back by this key's saved mapping
    problem: str | None = None  # engine problem code for the draft (unmapped, account_archived...)
    message: str | None = None  # the reason in words, shown in red
    suggested: bool = False
    saved: tuple[Any, ...] = field(default_factory=tuple)

    @property
    def choice(self) -> tuple[Any, ...]:
        return (self.account_code, self.tax_type, self.tracking_category, self.tracking_option)

    @property
    def dirty(self) -> bool:
        return self.choice != self.saved

    @property
    def is_set(self) -> bool:
        if self.kind == "facility":
            return bool(self.tracking_category or self.tracking_option)
        return bool(self.account_code)

    @property
    def invalid(self) -> bool:
        """A choice that must not be saved (unmapped is allowed: it is simply not done yet)."""
        return self.problem is not None and self.problem != "unmapped"


@dataclass
class MappingChoices:
    """What Xero offers, from the cached settings."""

    revenue_accounts: list[AccountChoice]
    payment_accounts: list[AccountChoice]
    tax_rates: dict[str, dict[str, Any]]
    accounts: dict[str, dict[str, Any]]
    tracking: list[TrackingChoice]
    settings_age_minutes: int | None

    @property
    def empty(self) -> bool:
        return not self.accounts

    def tax_choices(self, account_code: str | None) -> list[TaxChoice]:
        """Active tax rates Xero accepts with this account (by the account's class)."""
        acc = self.accounts.get(account_code or "")
        flag = {
            "REVENUE": "CanApplyToRevenue", "EXPENSE": "CanApplyToExpenses", "ASSET": "CanApplyToAssets",
            "LIABILITY": "CanApplyToLiabilities", "EQUITY": "CanApplyToEquity",
        }.get(str((acc or {}).get("Class", "REVENUE")).upper(), "CanApplyToRevenue")
        out = []
        for tax_type, rate in sorted(self.tax_rates.items()):
            if str(rate.get("Status", "ACTIVE")).upper() not in ("ACTIVE", ""):
                continue
            if rate.get(flag) is False:
                continue
            out.append(TaxChoice(tax_type, str(rate.get("Name", "")), str(rate.get("EffectiveRate", ""))))
        return out

    def account_text(self, code: str | None) -> str:
        if not code:
            return ""
        acc = self.accounts.get(code)
        return f"{code} {EM_DASH} {acc.get('Name', '')}" if acc else code

    def tax_text(self, tax_type: str | None) -> str:
        if not tax_type:
            return ""
        rate = self.tax_rates.get(tax_type)
        return f"{tax_type} {EM_DASH} {rate.get('Name', '')}" if rate else tax_type


def _choice(acc: dict[str, Any]) -> AccountChoice:
    return AccountChoice(
        str(acc.get("Code") or acc.get("AccountID")), str(acc.get("Name", "")), acc.get("TaxType") or None,
        str(acc.get("Class", "")).upper(), str(acc.get("Type", "")),
    )


def _active(obj: dict[str, Any]) -> bool:
    return str(obj.get("Status", "ACTIVE")).upper() == "ACTIVE"


def load_choices(session: Session, tenant_id: str) -> MappingChoices:
    book = MappingBook(session, tenant_id)
    accounts = book.accounts
    revenue = sorted(
        (_choice(a) for a in accounts.values()
         if _active(a) and str(a.get("Class", "")).upper() == "REVENUE" and not a.get("SystemAccount")
         and a.get("Type") != "BANK" and a.get("Code")),
        key=lambda c: c.code,
    )
    payment = sorted(
        (_choice(a) for a in accounts.values()
         if _active(a) and (a.get("Type") == "BANK" or a.get("EnablePaymentsToAccount"))),
        key=lambda c: c.code,
    )
    tracking = [
        TrackingChoice(str(cat.get("Name")), str(opt.get("Name")))
        for cat in book.tracking.values() if _active(cat)
        for opt in cat.get("Options") or [] if _active(opt)
    ]
    age = settings_age(session, tenant_id)
    return MappingChoices(revenue, payment, book.tax_rates, accounts, tracking,
                          None if age is None else int(age.total_seconds() // 60))


def _usage(session: Session) -> dict[tuple[str, str], int]:
    counts: Counter[tuple[str, str]] = Counter()
    for col in (InvoiceLine.charge_type, CreditNoteLine.charge_type):
        for key, n in session.execute(select(col, func.count()).group_by(col)):
            counts[("charge_type", key)] += n
    # Only the ledger's own payments need a bank account: ones pulled from Xero (method "xero")
    # are already there, so their method is not a mapping to make (nor a red row).
    for key, n in session.execute(select(Payment.method, func.count()).where(Payment.source == "ledger")
                                  .group_by(Payment.method)):
        counts[("payment_method", key)] += n
    return dict(counts)


def load_drafts(session: Session, tenant_id: str, *, with_blocked: bool = True) -> list[MappingDraft]:
    """Every key that can be mapped: known charge types and methods, what the ledger uses,
    what is already mapped, and every facility; with usage and (unless `with_blocked` is
    False) blocked counts. The blocked counts walk every unpushed document, so the view
    leaves them out here and counts in a worker thread (`count_blocked`)."""
    usage = _usage(session)
    saved = {(m.kind, m.key): m for m in session.scalars(select(Mapping))}
    facilities = {f.external_id: f.name for f in session.scalars(select(Facility))}
    names = {v: k for k, v in facilities.items()}
    keys: dict[tuple[str, str], str] = {}
    for ct in CHARGE_TYPES:
        keys[("charge_type", ct)] = key_title(ct)
    for method in PAYMENT_METHODS:
        keys[("payment_method", method)] = key_title(method)
    for kind, key in usage:
        keys[(kind, key)] = key_title(key)
    for ext, name in facilities.items():
        keys[("facility", ext)] = name
    for kind, key in saved:
        if kind == "facility" and key in names:
            continue  # a facility mapped by name: shown once, under its external id
        keys.setdefault((kind, key), facilities.get(key, key_title(key)))
    blocked = blocked_counts(session, tenant_id) if with_blocked else {}
    drafts = []
    for (kind, key), title in keys.items():
        m = saved.get((kind, key))
        if m is None and kind == "facility":
            m = saved.get((kind, facilities.get(key, "")))
        d = MappingDraft(kind, key, title, usage.get((kind, key), 0), blocked=blocked.get((kind, key), 0))
        if m is not None:
            d.account_code, d.tax_type = m.account_code, m.tax_type
            d.tracking_category, d.tracking_option = m.tracking_category, m.tracking_option
        d.saved = d.choice
        drafts.append(d)
    order = {k: i for i, k in enumerate(MAPPING_KINDS)}
    drafts.sort(key=lambda d: (order.get(d.kind, 9), d.title.casefold()))
    return drafts


def count_blocked(sessions: Any, tenant_id: str) -> dict[tuple[str, str], int]:
    """The engine's blocked counts in a session of its own (runs in a worker thread)."""
    with sessions() as session:
        return blocked_counts(session, tenant_id)


def apply_blocked(drafts: list[MappingDraft], counts: dict[tuple[str, str], int]) -> None:
    for d in drafts:
        d.blocked = counts.get((d.kind, d.key), 0)


def validate(session: Session, tenant_id: str, drafts: list[MappingDraft], choices: MappingChoices) -> None:
    """Set each draft's problem/message from the engine's rules applied to the draft choices."""
    book = MappingBook(session, tenant_id)
    book.mappings = {}
    for d in drafts:
        if d.is_set:
            book.mappings[(d.kind, d.key)] = Mapping(
                kind=d.kind, key=d.key, account_code=d.account_code, tax_type=d.tax_type,
                tracking_category=d.tracking_category, tracking_option=d.tracking_option,
            )
    revenue_codes = {a.code for a in choices.revenue_accounts}
    for d in drafts:
        p = book.problem(d.kind, d.key)
        d.problem, d.message = (p.problem, in_view_message(p.problem, p.reason)) if p else (None, None)
        if p is None and d.kind == "charge_type" and d.account_code and d.account_code not in revenue_codes:
            d.problem = "account_not_revenue"
            d.message = (f"Charge type '{key_title(d.key)}' is mapped to account {choices.account_text(d.account_code)}, "
                         "which is not a revenue account. Choose a revenue account.")


def in_view_message(problem: str, reason: str) -> str:
    """The engine's reason with the fix this view offers (the engine's own message sends people to
    Mapping, which is where they already are)."""
    field = problem.split("_")[0]
    fix = {"account": "Choose another account.", "tax": "Choose another tax type.",
           "tracking": "Choose another tracking option.", "unmapped": "Choose an account."}.get(field, "")
    return f"{reason} {fix}".strip()


def save_drafts(session: Session, drafts: list[MappingDraft]) -> int:
    """Write the changed drafts (a cleared one deletes its mapping). Returns rows changed."""
    saved = {(m.kind, m.key): m for m in session.scalars(select(Mapping))}
    n = 0
    for d in drafts:
        if not d.dirty:
            continue
        row = saved.get((d.kind, d.key))
        if not d.is_set:
            if row is not None:
                session.delete(row)
                n += 1
            continue
        if row is None:
            row = Mapping(kind=d.kind, key=d.key)
            session.add(row)
        row.account_code = d.account_code if d.kind != "facility" else None
        row.tax_type = d.tax_type if d.kind == "charge_type" else None
        row.tracking_category = d.tracking_category if d.kind == "facility" else None
        row.tracking_option = d.tracking_option if d.kind == "facility" else None
        n += 1
    return n


def apply_suggestions(session: Session, tenant_id: str, drafts: list[MappingDraft]) -> int:
    """Fill unmapped drafts with the engine's suggestions (unsaved). Returns how many."""
    by_key = {(d.kind, d.key): d for d in drafts}
    n = 0
    for m in suggest_mappings(session, tenant_id):
        d = by_key.get((m.kind, m.key))
        if d is None or d.is_set:
            continue
        d.account_code, d.tax_type = m.account_code, m.tax_type
        d.tracking_category, d.tracking_option = m.tracking_category, m.tracking_option
        d.suggested = True
        n += 1
    return n


def saved_problems(session: Session, tenant_id: str) -> list[Any]:
    """The engine's view of the saved mappings (what the next sync will complain about)."""
    return check_mappings(session, tenant_id)


def failed_items(session: Session) -> tuple[int | None, int]:
    """(run id, count) of the latest run's failed items that no retry has dealt with yet:
    what "Retry failed items" after fixing a mapping would send again."""
    run_id = session.scalar(
        select(func.max(SyncItem.run_id)).where(SyncItem.outcome == ItemOutcome.FAILED, SyncItem.superseded_by_id.is_(None))
    )
    if run_id is None:
        return None, 0
    n = session.scalar(
        select(func.count()).select_from(SyncItem).where(
            SyncItem.run_id == run_id, SyncItem.outcome == ItemOutcome.FAILED, SyncItem.superseded_by_id.is_(None))
    )
    return run_id, int(n or 0)


def copy_drafts(drafts: list[MappingDraft]) -> list[MappingDraft]:
    return [replace(d) for d in drafts]
