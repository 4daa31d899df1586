"""Writing the ledger out in the import format (JSON document or CSV set).

Used to make the example files, to prove the demo ledger passes the import
checks, and for the import benchmark. Amounts are written as strings ("12.50")
so no JSON reader turns them into floats.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .existing import LINE_KINDS, table
from .schema import KINDS

FORMAT_NAME = "xsync-ledger"
FORMAT_VERSION = 1


def ledger_collections(session: Session) -> dict[str, list[dict[str, str | None]]]:
    """Every ledger record as import-format rows (text cells), in write order."""
    ext: dict[str, dict[int, str]] = {}
    for kind in KINDS:
        if kind in LINE_KINDS:
            continue
        t = table(kind)
        ext[kind] = dict(session.execute(select(t.c.id, t.c.external_id)).all())  # type: ignore[arg-type]

    out: dict[str, list[dict[str, str | None]]] = {}
    for kind_name, kind in KINDS.items():
        t = table(kind_name)
        refs = {c.name: c.ref for c in kind.columns if c.ref}
        q = select(t)
        if kind_name in LINE_KINDS:
            q = q.order_by(t.c[LINE_KINDS[kind_name][1]], t.c.line_no)
        else:
            q = q.order_by(t.c.id)
        if kind_name == "payments":
            q = q.where(t.c.reversed_at.is_(None))  # a reversed payment is no longer money applied
        rows = []
        for rec in session.execute(q).mappings():
            item: dict[str, str | None] = {}
            for name in kind.names:
                if name == "id":
                    value: Any = rec["external_id"]
                elif name in refs:
                    value = rec[name]
                    value = None if value is None else ext[refs[name]][value]  # type: ignore[index]
                else:
                    value = rec[name]
                item[name] = _text(value)
            rows.append(item)
        out[kind_name] = rows
    return out


def export_ledger_json(session: Session, path: Path) -> Path:
    doc: dict[str, Any] = {"format": FORMAT_NAME, "version": FORMAT_VERSION}
    doc.update(ledger_collections(session))
    path = Path(path)
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def export_ledger_csv(session: Session, folder: Path) -> list[Path]:
    """One CSV per record type (customers.csv, invoices.csv...); returns the files written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind_name, rows in ledger_collections(session).items():
        path = folder / KINDS[kind_name].filename
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(KINDS[kind_name].names))
            writer.writeheader()
            writer.writerows(rows)
        written.append(path)
    return written


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        # Quantity and unit amount are kept to 4 places; drop trailing zeros past the cent.
        text = format(value, "f")
        if "." in text:
            whole, frac = text.split(".")
            frac = frac.rstrip("0").ljust(2, "0")
            text = f"{whole}.{frac}"
        return text
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
