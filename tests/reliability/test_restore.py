"""Issue 15.1: a database older than the organisation never makes a second Xero object.

Done the way it happens on an operator's PC, with the real CLI on a real profile folder:
sync; copy the database file aside; import and push five payments; let Xero's six-minute
Idempotency-Key window pass (the sandbox clock); put the old file back (straight away, or after
the app refused an emptied file); import the same payments; sync. And a new profile on another
PC importing the same ledger into the organisation that already holds it.
Xero must hold each payment, invoice and contact once, and the run says what it adopted.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.reliability.helpers import (
    assert_verify_agrees,
    check_consistency,
    cli_env,
    open_profile_store,
    run_cli,
    tenant_with_data,
)

pytestmark = pytest.mark.reliability

SEED_ARGS = ("demo-data", "--invoices", "40", "--seed", "11")
ADOPTED = "Already in Xero: adopted"


def _ok(proc: Any) -> None:
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _five_payments_file(profile: Path, folder: Path) -> Path:
    """Five new ledger payments (the billing system's next export) on unpaid invoices."""
    from xsync_desktop.store.models import Invoice, Payment

    store = open_profile_store(profile)
    try:
        with store.sessions() as s:
            method = s.scalars(select(Payment.method).limit(1)).one()
            invoices = s.scalars(select(Invoice).where(
                Invoice.status == "authorised", Invoice.total - Invoice.amount_paid - Invoice.amount_credited >= 5)
                .order_by(Invoice.id).limit(5)).all()
            rows = [{"id": f"restore-pay-{n}", "invoice_id": inv.external_id, "date": inv.issue_date.isoformat(),
                     "amount": "2.50", "method": method, "reference": f"restore {n}"}
                    for n, inv in enumerate(invoices, start=1)]
    finally:
        store.close()
    assert len(rows) == 5
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "payments.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _db_files(profile: Path) -> list[Path]:
    return sorted(profile.glob("xsync.db*"))


def _adopted(profile: Path) -> dict[str, int]:
    from xsync_desktop.store.models import SyncItem, SyncRun

    store = open_profile_store(profile)
    try:
        with store.sessions() as s:
            last = s.scalars(select(SyncRun.id).order_by(SyncRun.id.desc()).limit(1)).one()
            items = s.scalars(select(SyncItem).where(SyncItem.run_id == last, SyncItem.outcome == "succeeded"))
            out: dict[str, int] = {}
            for i in items:
                if (i.message or "").startswith(ADOPTED) or i.action == "match":
                    out[i.entity] = out.get(i.entity, 0) + 1
            return out
    finally:
        store.close()


def _last_run_calls(profile: Path) -> int:
    from xsync_desktop.store.models import SyncRun

    store = open_profile_store(profile)
    try:
        with store.sessions() as s:
            return int(s.scalars(select(SyncRun.api_calls).order_by(SyncRun.id.desc()).limit(1)).one() or 0)
    finally:
        store.close()


def _xero_payment_count(admin: Any, tenant: str) -> int:
    return len([p for p in admin.objects(tenant, "Payments") if p.get("Status") != "DELETED"
                and str(p.get("Reference", "")).startswith("xsync:P-restore-pay-")])


@pytest.mark.parametrize("how", ["copied back", "emptied, then copied back"])
def test_restoring_an_older_database_after_the_idempotency_window_makes_no_duplicate(
        tmp_path: Path, sandbox: Any, sandbox_admin: Any, how: str) -> None:
    env = cli_env(sandbox.base_url)
    prof = tmp_path / "restore profile"
    _ok(run_cli(prof, env, *SEED_ARGS))
    _ok(run_cli(prof, env, "sync"))
    aside = tmp_path / "backup copy"
    aside.mkdir()
    for f in _db_files(prof):
        shutil.copy2(f, aside / f.name)

    payments = _five_payments_file(prof, tmp_path / "export")
    _ok(run_cli(prof, env, "import", str(payments)))
    _ok(run_cli(prof, env, "sync"))
    tenant = tenant_with_data(sandbox_admin, sandbox.tenant_ids)
    assert tenant is not None and _xero_payment_count(sandbox_admin, tenant) == 5

    sandbox_admin.clock(advance=3600)  # far past Xero's six-minute Idempotency-Key window
    for f in _db_files(prof):
        f.unlink()
    if how.startswith("emptied"):
        # A zero-length database in a profile that has synced is not a new database: the app
        # stops (issue 15 case 2) and the operator puts a copy back, which is older than Xero.
        (prof / "xsync.db").write_bytes(b"")
        refused = run_cli(prof, env, "sync")
        assert refused.returncode == 6, refused.stdout + refused.stderr
        (prof / "xsync.db").unlink()
    for f in aside.iterdir():
        shutil.copy2(f, prof / f.name)
    _ok(run_cli(prof, env, "import", str(payments)))
    _ok(run_cli(prof, env, "sync"))

    assert _xero_payment_count(sandbox_admin, tenant) == 5
    assert _adopted(prof).get("payment") == 5
    print(f"restore ({how}): the sync after the restore made {_last_run_calls(prof)} Xero calls")
    state = check_consistency(prof, sandbox_admin, tenant)
    assert state.problems() == []
    assert_verify_agrees(prof, env)


def test_a_new_pc_importing_the_same_ledger_into_an_organisation_that_has_its_data_adopts_everything(
        tmp_path: Path, sandbox: Any, sandbox_admin: Any) -> None:
    env = cli_env(sandbox.base_url)
    prof = tmp_path / "first profile"
    _ok(run_cli(prof, env, *SEED_ARGS))
    _ok(run_cli(prof, env, "sync"))
    tenant = tenant_with_data(sandbox_admin, sandbox.tenant_ids)
    assert tenant is not None
    before = {k: len(sandbox_admin.objects(tenant, k)) for k in ("Contacts", "Invoices", "CreditNotes", "Payments")}
    sandbox_admin.clock(advance=3600)

    again = tmp_path / "new PC profile"
    _ok(run_cli(again, env, *SEED_ARGS))
    result = run_cli(again, env, "sync")
    _ok(result)

    after = {k: len(sandbox_admin.objects(tenant, k)) for k in before}
    assert after == before, "a second object was created in Xero"
    adopted = _adopted(again)
    assert adopted.get("invoice", 0) > 0 and adopted.get("payment", 0) > 0, adopted
    print(f"new PC: adopted {adopted} in {_last_run_calls(again)} Xero calls")
    state = check_consistency(again, sandbox_admin, tenant)
    assert state.problems() == []
    assert_verify_agrees(again, env)
