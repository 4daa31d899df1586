"""Is every mapping a push needs usable in Xero right now? Checked before any request.

A record whose charge type, payment method or facility maps to nothing, or to an
archived/invalid account, tax type or tracking option, fails with a message that
names the mapping to fix, without spending a call or drawing a Xero validation
error. Checks run against the cached settings (settings_refresh).

Mapping keys: charge_type -> the line's charge type; payment_method -> the
payment's method; facility -> the facility's external_id (its name is accepted
too). A facility with no mapping row is sent without tracking; a row whose
option is missing or archived blocks the record.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..store.models import (
    CreditNote,
    CreditNoteLine,
    Facility,
    Invoice,
    InvoiceLine,
    Link,
    Mapping,
    Payment,
)
from .settings_refresh import cached


def key_title(key: str) -> str:
    """The ledger's code as people say it, in messages and in the Mapping view alike:
    'admin_fee' -> 'Admin fee', 'bank_transfer' -> 'Bank transfer'. The code itself is what
    the import files and the ledger hold (the Mapping view shows it on hover)."""
    words = key.replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else key


# Account types Xero refuses on a sales line or as a payment account.
_SYSTEM_LINE_TYPES = {"BANK"}
_KIND_TITLES = {"charge_type": "Charge type", "payment_method": "Payment method", "facility": "Facility"}
_CLASS_TAX_FLAG = {
    "REVENUE": "CanApplyToRevenue",
    "EXPENSE": "CanApplyToExpenses",
    "ASSET": "CanApplyToAssets",
    "LIABILITY": "CanApplyToLiabilities",
    "EQUITY": "CanApplyToEquity",
}


@dataclass(frozen=True)
class MappingProblem:
    kind: str  # charge_type, payment_method, facility
    key: str
    problem: str  # unmapped, account_missing, account_archived, account_not_allowed, tax_missing, tax_invalid, ...
    message: str  # plain words, names the mapping to fix and where ("Map it in Mapping, then retry.")
    reason: str = ""  # the same without where to fix it: for the Mapping view itself, which is where


class MappingBook:
    """All mappings and cached Xero settings, loaded once per run; answers per key."""

    def __init__(self, session: Session, tenant_id: str) -> None:
        self.tenant_id = tenant_id
        self.mappings: dict[tuple[str, str], Mapping] = {
            (m.kind, m.key): m for m in session.scalars(select(Mapping))
        }
        self.accounts = cached(session, tenant_id, "account")
        self.tax_rates = cached(session, tenant_id, "tax_rate")
        self.tracking = cached(session, tenant_id, "tracking")
        self.facility_names: dict[str, str] = {
            f.external_id: f.name for f in session.scalars(select(Facility))
        }
        self._facility_ext: dict[int, str] = {f.id: f.external_id for f in session.scalars(select(Facility))}
        self._problems: dict[tuple[str, str], MappingProblem | None] = {}

    # -- lookups used while building payloads -----------------------------------------------
    def facility_key(self, facility_id: int | None) -> str | None:
        return None if facility_id is None else self._facility_ext.get(facility_id)

    def _facility_mapping(self, key: str) -> Mapping | None:
        m = self.mappings.get(("facility", key))
        if m is None and key in self.facility_names:
            m = self.mappings.get(("facility", self.facility_names[key]))
        return m

    def line_codes(self, charge_type: str) -> tuple[str, str | None]:
        m = self.mappings[("charge_type", charge_type)]
        return str(m.account_code), m.tax_type or None

    def bank_account(self, method: str) -> dict[str, str]:
        m = self.mappings[("payment_method", method)]
        acc = self.accounts.get(str(m.account_code)) or {}
        if acc.get("Code"):
            return {"Code": str(acc["Code"])}
        return {"AccountID": str(acc.get("AccountID") or m.account_code)}

    def tracking_for(self, facility_id: int | None) -> list[dict[str, str]]:
        key = self.facility_key(facility_id)
        m = self._facility_mapping(key) if key else None
        if m is None or not m.tracking_category or not m.tracking_option:
            return []
        return [{"Name": m.tracking_category, "Option": m.tracking_option}]

    # -- problems ------------------------------------------------------------------------------
    def problem(self, kind: str, key: str) -> MappingProblem | None:
        cache_key = (kind, key)
        if cache_key not in self._problems:
            self._problems[cache_key] = self._check(kind, key)
        return self._problems[cache_key]

    def _title(self, kind: str, key: str) -> str:
        if kind == "facility":
            return f"Facility '{self.facility_names.get(key, key)}'"
        return f"{_KIND_TITLES.get(kind, kind)} '{key_title(key)}'"

    def _fix(self, kind: str, key: str, problem: str, what: str) -> MappingProblem:
        reason = f"{self._title(kind, key)} {what}"
        return MappingProblem(kind, key, problem, f"{reason} Map it in Mapping, then retry.", reason)

    def _check(self, kind: str, key: str) -> MappingProblem | None:
        if kind == "facility":
            return self._check_facility(key)
        m = self.mappings.get((kind, key))
        if m is None or not m.account_code:
            return self._fix(kind, key, "unmapped", "has no Xero account.")
        acc = self.accounts.get(str(m.account_code))
        if acc is None:
            return self._fix(kind, key, "account_missing",
                             f"is mapped to account {m.account_code}, which Xero does not have (deleted?).")
        name = f"{m.account_code} {acc.get('Name', '')}".strip()
        if str(acc.get("Status", "ACTIVE")).upper() != "ACTIVE":
            return self._fix(kind, key, "account_archived", f"is mapped to account {name}, which is archived in Xero.")
        if kind == "payment_method":
            if acc.get("Type") != "BANK" and not acc.get("EnablePaymentsToAccount"):
                return self._fix(kind, key, "account_no_payments",
                                 f"is mapped to account {name}, which cannot receive payments in Xero "
                                 "(choose a bank account or one with payments enabled).")
            return None
        # charge_type: a sales line account and a tax type valid for it
        if acc.get("SystemAccount") or acc.get("Type") in _SYSTEM_LINE_TYPES:
            return self._fix(kind, key, "account_not_allowed",
                             f"is mapped to account {name}, which Xero does not allow on an invoice line.")
        if m.tax_type:
            rate = self.tax_rates.get(m.tax_type)
            if rate is None:
                return self._fix(kind, key, "tax_missing", f"uses tax type {m.tax_type}, which Xero does not have.")
            if str(rate.get("Status", "ACTIVE")).upper() not in ("ACTIVE", ""):
                return self._fix(kind, key, "tax_archived", f"uses tax type {m.tax_type}, which is no longer active in Xero.")
            flag = _CLASS_TAX_FLAG.get(str(acc.get("Class", "")).upper())
            if flag and rate.get(flag) is False:
                return self._fix(kind, key, "tax_invalid",
                                 f"uses tax type {m.tax_type} ({rate.get('Name', '')}), which Xero does not allow "
                                 f"with account {name}.")
        return None

    def _check_facility(self, key: str) -> MappingProblem | None:
        m = self._facility_mapping(key)
        if m is None or not (m.tracking_category or m.tracking_option):
            return None  # no tracking wanted for this facility
        cat = self.tracking.get(m.tracking_category or "")
        if cat is None or str(cat.get("Status", "ACTIVE")).upper() != "ACTIVE":
            return self._fix("facility", key, "tracking_missing",
                             f"uses tracking category '{m.tracking_category}', which Xero does not have (or archived).")
        options = {o.get("Name"): o for o in cat.get("Options") or []}
        opt = options.get(m.tracking_option)
        if opt is None or str(opt.get("Status", "ACTIVE")).upper() != "ACTIVE":
            return self._fix("facility", key, "tracking_option_missing",
                             f"uses tracking option '{m.tracking_option}', which is missing or archived in Xero.")
        return None

    # -- per-record ------------------------------------------------------------------------------
    def document_problems(self, charge_types: list[str], facility_id: int | None) -> list[MappingProblem]:
        probs = [p for ct in dict.fromkeys(charge_types) if (p := self.problem("charge_type", ct))]
        fkey = self.facility_key(facility_id)
        if fkey and (p := self.problem("facility", fkey)):
            probs.append(p)
        return probs


def check_mappings(session: Session, tenant_id: str) -> list[MappingProblem]:
    """Problems with every mapping the ledger uses (charge types, methods, facilities)."""
    book = MappingBook(session, tenant_id)
    problems: list[MappingProblem] = []
    keys: list[tuple[str, str]] = []
    keys += [("charge_type", ct) for ct in _distinct(session, InvoiceLine.charge_type, CreditNoteLine.charge_type)]
    keys += [("payment_method", m) for m in ledger_payment_methods(session)]
    keys += [("facility", ext) for ext in book.facility_names]
    for kind, key in keys:
        p = book.problem(kind, key)
        if p:
            problems.append(p)
    return problems


def ledger_payment_methods(session: Session) -> list[str]:
    """The methods of the ledger's own payments: the ones the sync sends, so the ones that need a
    bank account. Payments pulled from Xero (method "xero") are already there: they need none."""
    return sorted(m for m in session.scalars(select(Payment.method).where(Payment.source == "ledger").distinct()) if m)


def _distinct(session: Session, *columns: Any) -> list[str]:
    out: set[str] = set()
    for col in columns:
        out.update(v for v in session.scalars(select(col).distinct()) if v)
    return sorted(out)


def _linked_ids(session: Session, tenant_id: str, entity: str) -> set[int]:
    linked = session.scalars(
        select(Link.local_id).where(
            Link.tenant_id == tenant_id, Link.entity == entity, Link.xero_id.is_not(None)
        )
    )
    return set(linked)


def blocked_counts(session: Session, tenant_id: str) -> dict[tuple[str, str], int]:
    """How many not-yet-pushed records each broken mapping is holding back."""
    book = MappingBook(session, tenant_id)
    counts: Counter[tuple[str, str]] = Counter()
    for model, entity in ((Invoice, "invoice"), (CreditNote, "credit_note")):
        linked = _linked_ids(session, tenant_id, entity)
        for doc in session.scalars(select(model).where(model.status == "authorised")):
            if doc.id in linked:
                continue
            for p in book.document_problems([ln.charge_type for ln in doc.lines], doc.facility_id):
                counts[(p.kind, p.key)] += 1
    linked_pay = _linked_ids(session, tenant_id, "payment")
    for pay in session.scalars(
        select(Payment).where(Payment.source == "ledger", Payment.reversed_at.is_(None))
    ):
        if pay.id in linked_pay:
            continue
        p = book.problem("payment_method", pay.method)
        if p:
            counts[(p.kind, p.key)] += 1
    return dict(counts)


# -- first-time setup ------------------------------------------------------------------------
# Words in an account's name that suggest it for a charge type, best first.
_CHARGE_HINTS: dict[str, tuple[str, ...]] = {
    "rent": ("storage rental", "rental", "rent", "storage"),
    "discount": ("storage rental", "rental", "rent", "discount"),
    "insurance": ("insurance", "protection"),
    "admin_fee": ("admin", "fees", "fee"),
    "late_fee": ("late", "fees", "fee"),
    "cleaning": ("cleaning", "fees", "fee"),
    "lock_cut": ("lock", "fees", "fee"),
    "deposit": ("deposit",),
    "merchandise": ("merchandise", "retail", "sales"),
}
_METHOD_HINTS: dict[str, tuple[str, ...]] = {
    "card": ("card", "clearing", "merchant"),
    "direct_debit": ("direct debit", "clearing"),
}


def _best_account(accounts: list[dict[str, Any]], hints: tuple[str, ...]) -> dict[str, Any] | None:
    for hint in hints:
        for acc in accounts:
            if hint in str(acc.get("Name", "")).lower():
                return acc
    return None


def suggest_mappings(session: Session, tenant_id: str) -> list[Mapping]:
    """Unsaved Mapping rows proposed from account names, for keys that have no mapping yet.

    The caller shows them for approval and adds the ones accepted; nothing is written here.
    """
    from ..ledger.rules import CHARGE_TYPES, PAYMENT_METHODS

    book = MappingBook(session, tenant_id)
    active = [a for a in book.accounts.values() if str(a.get("Status", "ACTIVE")).upper() == "ACTIVE"]
    sales = [
        a for a in active
        if str(a.get("Class", "")).upper() == "REVENUE" and not a.get("SystemAccount") and a.get("Code")
    ]
    payable = [a for a in active if a.get("Type") == "BANK" or a.get("EnablePaymentsToAccount")]
    banks = [a for a in payable if a.get("Type") == "BANK"]
    out: list[Mapping] = []
    used_charge = set(CHARGE_TYPES) | set(_distinct(session, InvoiceLine.charge_type, CreditNoteLine.charge_type))
    for ct in sorted(used_charge):
        if ("charge_type", ct) in book.mappings:
            continue
        acc = _best_account(sales, _CHARGE_HINTS.get(ct, (ct.replace("_", " "),)))
        if acc is None:
            continue
        tax = acc.get("TaxType")
        out.append(Mapping(kind="charge_type", key=ct, account_code=str(acc["Code"]), tax_type=tax or None))
    used_methods = set(PAYMENT_METHODS) | set(_distinct(session, Payment.method))
    for method in sorted(used_methods):
        if ("payment_method", method) in book.mappings:
            continue
        acc = _best_account(payable, _METHOD_HINTS.get(method, ())) or (banks[0] if banks else None)
        if acc is None:
            continue
        out.append(Mapping(kind="payment_method", key=method, account_code=account_code_of(acc)))
    for cat in book.tracking.values():
        if str(cat.get("Status", "ACTIVE")).upper() != "ACTIVE":
            continue
        options = {str(o.get("Name", "")).lower(): o for o in cat.get("Options") or []
                   if str(o.get("Status", "ACTIVE")).upper() == "ACTIVE"}
        for ext, name in book.facility_names.items():
            if ("facility", ext) in book.mappings or ("facility", name) in book.mappings:
                continue
            opt = options.get(name.lower()) or next(
                (o for lname, o in options.items() if lname in name.lower() or name.lower() in lname), None
            )
            if opt is not None:
                out.append(Mapping(kind="facility", key=ext, tracking_category=cat.get("Name"),
                                   tracking_option=opt.get("Name")))
    return out


def account_code_of(acc: dict[str, Any]) -> str:
    return str(acc.get("Code") or acc.get("AccountID"))
