"""Xero's settings (organisation, accounts, tax rates, tracking) cached in XeroReference rows.

The mapping check and the period-lock check run before any write, from this
cache, so a stale cache is refreshed first; a fresh one costs no calls (5 calls
when stale, out of a daily budget of 1,000-5,000).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..store.models import XeroReference
from ..store.settings import get_setting
from ..store.types import utcnow

ORG_KEY = "organisation"


def _jsonable(value: Any) -> Any:
    """XeroReference.data is JSON: Decimals and datetimes become strings."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool | int | str) or value is None:
        return value
    return str(value)  # Decimal and friends


def settings_age(session: Session, tenant_id: str) -> timedelta | None:
    """How old the cached organisation row is (None: never fetched)."""
    fetched = session.scalar(
        select(func.min(XeroReference.fetched_at)).where(
            XeroReference.tenant_id == tenant_id, XeroReference.kind == "organisation"
        )
    )
    return None if fetched is None else utcnow() - fetched


def settings_stale(session: Session, tenant_id: str) -> bool:
    age = settings_age(session, tenant_id)
    if age is None:
        return True
    max_minutes = int(get_setting(session, "settings_max_age_minutes") or "60")
    return age > timedelta(minutes=max_minutes)


def _replace_kind(session: Session, tenant_id: str, kind: str, rows: Iterable[tuple[str, dict[str, Any]]]) -> int:
    now = utcnow()
    session.execute(delete(XeroReference).where(XeroReference.tenant_id == tenant_id, XeroReference.kind == kind))
    n = 0
    seen: set[str] = set()
    for key, data in rows:
        if not key or key in seen:
            continue
        seen.add(key)
        session.add(XeroReference(tenant_id=tenant_id, kind=kind, key=key[:255], data=_jsonable(data), fetched_at=now))
        n += 1
    return n


def account_key(account: dict[str, Any]) -> str:
    """Accounts are mapped by Code; a code-less account (some bank accounts) by its AccountID."""
    return str(account.get("Code") or account.get("AccountID") or "")


def refresh_settings(session: Session, client: Any, tenant_id: str, *, force: bool = False) -> bool:
    """Fetch and cache Xero's settings when stale (or forced). Returns True if fetched.

    Does not commit: the caller commits, so a refresh that fails half-way leaves the
    previous cache whole.
    """
    if not force and not settings_stale(session, tenant_id):
        return False
    org = client.organisation()
    accounts = client.accounts()
    tax_rates = client.tax_rates()
    tracking = client.tracking_categories()
    currencies = client.currencies()  # records in a currency not enabled fail before sending
    _replace_kind(session, tenant_id, "organisation", [(ORG_KEY, org)])
    _replace_kind(session, tenant_id, "account", [(account_key(a), a) for a in accounts])
    _replace_kind(session, tenant_id, "tax_rate", [(str(t.get("TaxType") or ""), t) for t in tax_rates])
    _replace_kind(session, tenant_id, "tracking", [(str(c.get("Name") or ""), c) for c in tracking])
    _replace_kind(session, tenant_id, "currency", [(str(c.get("Code") or "").upper(), c) for c in currencies])
    session.flush()
    return True


def cached(session: Session, tenant_id: str, kind: str) -> dict[str, dict[str, Any]]:
    rows = session.scalars(
        select(XeroReference).where(XeroReference.tenant_id == tenant_id, XeroReference.kind == kind)
    )
    return {r.key: r.data for r in rows}


def organisation(session: Session, tenant_id: str) -> dict[str, Any] | None:
    return cached(session, tenant_id, "organisation").get(ORG_KEY)


def _as_date(value: Any) -> date | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value)
    if text.startswith("/Date("):
        from ..xero.dates import parse_xero_date

        return parse_xero_date(text)
    return date.fromisoformat(text[:10])


def lock_date(session: Session, tenant_id: str) -> date | None:
    """The later of Xero's period lock date and end-of-year lock date, if any.

    Nothing dated on or before it can be created or changed in Xero.
    """
    org = organisation(session, tenant_id) or {}
    dates = [d for d in (_as_date(org.get("PeriodLockDate")), _as_date(org.get("EndOfYearLockDate"))) if d]
    return max(dates) if dates else None


def base_currency(session: Session, tenant_id: str) -> str | None:
    org = organisation(session, tenant_id) or {}
    return org.get("BaseCurrency")


def enabled_currencies(session: Session, tenant_id: str) -> set[str] | None:
    """Currency codes the organisation has enabled (None: not read yet, so not checked)."""
    codes = set(cached(session, tenant_id, "currency"))
    return codes or None


def currency_problem(session: Session, tenant_id: str, label: str, code: str,
                     enabled: set[str] | None) -> str | None:
    """Why a record in ``code`` cannot go to Xero (None: it can)."""
    if enabled is None or code.upper() in enabled:
        return None
    base = base_currency(session, tenant_id) or "its base currency"
    return (f"{label} is in {code}, but the Xero organisation does not have {code} enabled (it has "
            f"{', '.join(sorted(enabled))}; base {base}), so it was not sent. In Xero, add {code} under Settings > "
            "Currencies (multi-currency needs a plan that includes it), then retry; or correct the currency in "
            "the ledger.")
