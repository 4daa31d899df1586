"""All mutable sandbox state behind one lock, with optional JSON persistence.

One re-entrant lock keeps every request atomic, which is how Xero behaves from a client's
point of view (a document is either saved or not). The state file lets the demo survive a
restart; it holds the sandbox's own fake secrets, never the app's.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import threading
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .seed import demo_orgs


def _encode(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return {"$d": str(obj)}
    if isinstance(obj, datetime):
        return {"$dt": obj.isoformat()}
    if isinstance(obj, date):
        return {"$date": obj.isoformat()}
    if isinstance(obj, tuple):
        return [_encode(x) for x in obj]
    if isinstance(obj, list):
        return [_encode(x) for x in obj]
    if isinstance(obj, dict):
        return {k: _encode(v) for k, v in obj.items()}
    return obj


def _decode(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if "$d" in obj:
            return Decimal(obj["$d"])
        if "$dt" in obj:
            return datetime.fromisoformat(obj["$dt"])
        if "$date" in obj:
            return date.fromisoformat(obj["$date"])
    return obj


class SandboxState:
    """Tenants (organisation data) plus identity data (connections, grants, codes)."""

    def __init__(self, now: datetime, seed: bool, state_file: str | None) -> None:
        self.lock = threading.RLock()
        self.state_file = state_file
        self.tenants: dict[str, dict[str, Any]] = {}
        # identity
        self.secret = secrets.token_hex(32)
        self.user_id = "c3b6a0d2-5d0e-4c1b-9a53-1f0e6f2b7a10"
        self.connections: dict[str, dict[str, Any]] = {}   # connection id -> connection
        self.granted_scopes: list[str] = []
        self.refresh_tokens: dict[str, dict[str, Any]] = {}  # token -> record
        self.codes: dict[str, dict[str, Any]] = {}
        self.pending: dict[str, dict[str, Any]] = {}
        if state_file and os.path.exists(state_file):
            self._load(state_file)
        elif seed:
            for org in demo_orgs(now):
                self.tenants[org["org"]["OrganisationID"]] = org

    # -- persistence -------------------------------------------------------------------------
    _PERSISTED = ("tenants", "secret", "connections", "granted_scopes", "refresh_tokens")

    def _load(self, path: str) -> None:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh, object_hook=_decode)
        for name in self._PERSISTED:
            if name in data:
                setattr(self, name, data[name])
        for org in self.tenants.values():
            org["currencies"] = [tuple(c) for c in org["currencies"]]

    def save(self) -> None:
        """Write the state atomically (temp file + rename) if persistence is on."""
        if not self.state_file:
            return
        with self.lock:
            data = _encode({name: self._persisted(name) for name in self._PERSISTED})
        folder = os.path.dirname(os.path.abspath(self.state_file))
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".sandbox-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.replace(tmp, self.state_file)

    def _persisted(self, name: str) -> Any:
        """Tenant keys starting with "_" are derived lookups (ledger.TenantIndex): rebuilt, never saved."""
        value = getattr(self, name)
        if name == "tenants":
            return {tid: {k: v for k, v in t.items() if not k.startswith("_")} for tid, t in value.items()}
        return value

    # -- helpers -------------------------------------------------------------------------------
    def connected_tenant_ids(self, client_id: str) -> set[str]:
        return {c["tenantId"] for c in self.connections.values() if c["client_id"] == client_id}
