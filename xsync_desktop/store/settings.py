"""Named app settings kept in the database (per profile), with their defaults.

Settings that decide what is sent to Xero live with the data they govern, so a
backup of the database restores them too.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from .sync_models import AppSetting

DEFAULTS: dict[str, str | None] = {
    "tenant_id": None,
    "tenant_name": None,
    "invoice_status": "AUTHORISED",  # or DRAFT
    "line_amount_types": "Exclusive",  # Exclusive, Inclusive, NoTax
    "sync_start_date": None,  # YYYY-MM-DD; nothing dated before it is pushed
    "schedule_minutes": "0",  # 0 = off
    "settings_max_age_minutes": "60",
}


def get_setting(session: Session, key: str) -> str | None:
    row = session.get(AppSetting, key)
    if row is None:
        return DEFAULTS.get(key)
    return row.value


def set_setting(session: Session, key: str, value: str | None) -> None:
    row = session.get(AppSetting, key)
    if row is None:
        session.add(AppSetting(key=key, value=value))
    else:
        row.value = value


def get_date_setting(session: Session, key: str) -> date | None:
    value = get_setting(session, key)
    return date.fromisoformat(value) if value else None
