"""Canonical hashes: "has this record changed since we last pushed it?" and stable keys.

A hash must not change when nothing meaningful changed (dict order, Decimal("10")
vs Decimal("10.00")), or every sync would re-send everything; so values are
normalised before hashing.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def _normalise(value: Any) -> Any:
    if isinstance(value, Decimal):
        # 10, 10.0 and 10.00 are the same money.
        text = format(value.normalize(), "f")
        return {"$dec": "0" if text in ("-0", "0") else text}
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, dict):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalise(v) for v in value]
    if isinstance(value, float):
        raise TypeError("float in a hashed payload: money must be Decimal")
    return value


def canonical_json(value: Any) -> str:
    return json.dumps(_normalise(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_hash(value: Any) -> str:
    """sha256 hex of the canonical form (64 chars, fits Link.pushed_hash)."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def idempotency_key(*parts: str) -> str:
    """A stable Idempotency-Key (<= 128 chars, Xero's limit) from the parts that define a request."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return f"xsync-{digest[:48]}"
