"""Importing billing exports: read, check, plan, then write all of it or none of it.

Any rejected row means nothing is written: a half-imported month would leave
invoices without their payments, which the sync would then push to Xero.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from xsync_desktop.store.models import ImportBatch
from xsync_desktop.store.types import utcnow

from .. import activity
from .apply import WRITE_BATCH, apply_plan
from .checks import check
from .existing import Existing, load_existing
from .plan import Plan, make_plan
from .report import ImportReport, Rejection
from .schema import KINDS
from .sources import ImportUsageError, ParsedInput, read_files

__all__ = ["ImportUsageError", "import_files", "validate_files"]


def import_files(
    store_or_sessionmaker: Any, paths: Iterable[Path], *, dry_run: bool = False, batch: int = WRITE_BATCH
) -> ImportReport:
    """Import CSV files (one per record type) and/or JSON documents into the ledger.

    Raises ImportUsageError when a file is missing or its type cannot be told;
    every problem inside the files is a Rejection in the report instead. `batch` is
    the rows per write statement (all of them in the one transaction); tests set it
    small to cross batch borders with a small file.
    """
    parsed = read_files(paths)
    sessions = _sessions(store_or_sessionmaker)
    with sessions() as session:
        try:
            if not dry_run:
                _lock_for_writing(session)
            try:
                report = _run(session, parsed, dry_run=dry_run, batch=batch)
                if report.committed:
                    session.commit()
            except IntegrityError as exc:
                # A rule the checks above missed; the database kept the ledger whole.
                session.rollback()
                report = _report(parsed, dry_run=dry_run)
                report.rejected.append(Rejection(", ".join(parsed.files), 0, None,
                                                 f"the ledger refused the import ({exc.orig}); nothing was written"))
                return report
            if not report.committed:
                session.rollback()
        except BaseException:
            session.rollback()
            raise
    if not dry_run:
        _log_import(report)
    return report


def _log_import(report: ImportReport) -> None:
    files = ", ".join(Path(f).name for f in report.files)
    if report.committed:
        activity.log.info("Imported %s: %s added, %s updated.", files, f"{report.added:,}", f"{report.updated:,}")
    else:
        rows = len({(r.file, r.row) for r in report.rejected})
        activity.log.warning("Import of %s refused: %s rejected (%s), nothing written.", files,
                             activity.plural(rows, "row"), activity.plural(len(report.rejected), "problem"))


def validate_files(paths: Iterable[Path], store_or_sessionmaker: Any = None) -> ImportReport:
    """Check files without writing anything (the import dialog's preview).

    With a store the files are checked against the ledger exactly as an import
    would be; without one, only what the files themselves can show is checked
    (references to records not in the files are assumed to exist).
    """
    if store_or_sessionmaker is not None:
        return import_files(store_or_sessionmaker, paths, dry_run=True)
    parsed = read_files(paths)
    existing = Existing(complete=False)
    check(parsed, existing)
    report = _report(parsed, dry_run=True)
    if report.ok:
        _count(report, make_plan(parsed, existing))
    return report


def _run(session: Session, parsed: ParsedInput, *, dry_run: bool, batch: int = WRITE_BATCH) -> ImportReport:
    existing = load_existing(session, parsed)
    check(parsed, existing)
    report = _report(parsed, dry_run=dry_run)
    if not report.ok:
        return report
    plan = make_plan(parsed, existing)
    _count(report, plan)
    if dry_run:
        return report
    now = utcnow()
    apply_plan(session, plan, existing, now, batch=batch)
    batch = ImportBatch(
        at=now, files=list(parsed.files), added=report.added, updated=report.updated, unchanged=report.unchanged
    )
    session.add(batch)
    session.flush()
    report.batch_id = batch.id
    report.committed = True
    return report


def _report(parsed: ParsedInput, *, dry_run: bool) -> ImportReport:
    order = {name: i for i, name in enumerate(KINDS)}
    rejected = sorted(parsed.rejected, key=lambda r: (r.file, order.get(r.collection or "", 0), r.row))
    return ImportReport(files=list(parsed.files), rejected=rejected, warnings=list(parsed.warnings), dry_run=dry_run)


def _count(report: ImportReport, plan: Plan) -> None:
    for kind, kp in plan.kinds.items():
        c = report.counts(kind)
        c.added, c.updated, c.unchanged = len(kp.inserts), len(kp.updates), kp.unchanged


def _lock_for_writing(session: Session) -> None:
    """On SQLite, take the write lock before reading, so the checks and the writes see the
    same ledger: a sync committing in between could otherwise, say, add a payment that
    makes an imported one an overpayment. Waits (busy timeout) for a writer to finish."""
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _sessions(obj: Any) -> sessionmaker[Session]:
    if isinstance(obj, sessionmaker):
        return obj
    sessions = getattr(obj, "sessions", None)
    if isinstance(sessions, sessionmaker):
        return sessions
    raise TypeError("import_files needs a Store or a sessionmaker")
