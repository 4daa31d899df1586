"""A sync plans what changed since the last one, and never misses a change (issue 16).

The planner leaves out, in SQL, records its links prove unchanged since they were sent
(sync/unchanged.py: a revision the database's triggers raise on every change). These tests
take the operator's changes as they happen (an import of the billing export, a bookkeeper's
edit in Xero through the sandbox's admin surface) against a real profile database and the
sandbox over sockets, and check both halves: each change is sent, and what did not change is
not even hashed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, text

from tests.fixtures.ledger import LedgerFiles
from tests.fixtures.sync import SyncRig, assert_no_duplicates, setup_engine
from xsync_desktop.ledger import import_files
from xsync_desktop.store.models import Customer, Invoice, Payment
from xsync_desktop.sync.reconcile.snapshots import parse_day

# Three more unpaid invoices beside the example set's (copies of its void one, authorised), so
# each can take one kind of edit (Xero refuses to edit an invoice with a payment on it).
EXTRA = ("inv_5", "inv_6", "inv_7")


def _with_unpaid_invoices(files: LedgerFiles) -> LedgerFiles:
    src = files.row("invoices", id="inv_4")
    lines = [r for r in files.rows("invoice_lines") if r["invoice_id"] == "inv_4"]
    for n, ext in enumerate(EXTRA, start=5):
        files.add("invoices", **{**src, "id": ext, "number": f"INV-10000{n}", "reference": f"Unit ref {n}",
                                     "status": "authorised"})
        for ln in lines:
            files.add("invoice_lines", **{**ln, "invoice_id": ext})
    return files


@pytest.fixture
def rig(xero_rig: Any, store: Any, profile: Any, ledger_files: LedgerFiles) -> Iterator[SyncRig]:
    """The example export (plus three unpaid invoices) imported into a real profile database, connected."""
    from xsync_desktop.sandbox.admin_client import SandboxAdmin

    report = import_files(store, _with_unpaid_invoices(ledger_files).write())
    assert report.ok and report.committed, report.summary_text()
    engine, tid = setup_engine(xero_rig, store, profile)
    with SandboxAdmin.of(xero_rig.srv) as admin:
        yield SyncRig(xero_rig, store, engine, admin, tid, profile)


class Hashed:
    """Which records of each entity the planner hashed (its work in proportion to the ledger)."""

    def __init__(self) -> None:
        self.ids: dict[str, set[int]] = {}

    def saw(self, entity: str, local_id: int) -> None:
        self.ids.setdefault(entity, set()).add(local_id)

    def counts(self) -> Counter[str]:
        return Counter({entity: len(ids) for entity, ids in self.ids.items()})

    def clear(self) -> None:
        self.ids.clear()


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> Hashed:
    from xsync_desktop.sync import contacts, documents, payments

    seen = Hashed()

    def counting(module: Any, name: str, which: Any) -> None:
        real = getattr(module, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            seen.saw(*which(*args))
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)

    counting(documents, "content_of", lambda kind, doc, *_: (kind.entity, doc.id))
    counting(contacts, "contact_element", lambda c, *_: ("contact", c.id))
    counting(payments, "payment_element_hash", lambda p, *_: ("payment", p.id))
    return seen


def _sent(rig: SyncRig, run_id: int) -> list[tuple[str, str, str]]:
    return sorted((i.entity, i.action, i.outcome) for i in rig.items(run_id))


def _xero(rig: SyncRig, kind: str, key: str, value: str) -> dict[str, Any]:
    return next(r for r in rig.objects(kind) if r.get(key) == value)


def test_a_sync_after_a_sync_hashes_nothing_and_an_import_sends_exactly_what_it_changed(
        rig: SyncRig, ledger_files: LedgerFiles, hashed: Hashed) -> None:
    first = rig.run()
    assert first.outcome == "succeeded", first.message
    assert first.counts["invoices_pushed"] == 6 and first.counts["payments_pushed"] == 3
    hashed.clear()
    quiet = rig.run()
    assert quiet.outcome == "succeeded", quiet.message
    assert _sent(rig, quiet.run_id) == []
    assert hashed.counts() == Counter(), hashed.counts()  # every record proven unchanged by its send

    # The operator's next export: one invoice's amount, one's due date, one's reference, one
    # payment's amount and one customer's email changed; the rest as before.
    ledger_files.set("invoice_lines", {"invoice_id": "inv_5", "line_no": "1"}, unit_amount="199.00",
                     line_amount="199.00", tax_amount="29.85")
    line = ledger_files.row("invoice_lines", invoice_id="inv_5", line_no="1")
    old = ledger_files.row("invoice_lines", invoice_id="inv_4", line_no="1")
    delta = Decimal("199.00") - Decimal(old["line_amount"])
    inv5 = ledger_files.row("invoices", id="inv_5")
    ledger_files.set("invoices", {"id": "inv_5"}, subtotal=str(Decimal(inv5["subtotal"]) + delta),
                     tax_total=str(Decimal(inv5["tax_total"]) + Decimal(line["tax_amount"]) - Decimal(old["tax_amount"])),
                     total=str(Decimal(inv5["total"]) + delta + Decimal(line["tax_amount"]) - Decimal(old["tax_amount"])))
    ledger_files.set("invoices", {"id": "inv_6"}, due_date="2025-05-30")
    ledger_files.set("invoices", {"id": "inv_7"}, reference="Gate code changed")
    ledger_files.set("payments", {"id": "pay_2"}, amount="90.00")
    ledger_files.set("customers", {"id": "cus_1"}, email="aroha@example.org")
    report = import_files(rig.store, ledger_files.write())
    assert report.ok and report.committed, report.summary_text()
    assert report.updated == 5, report.summary_text()

    hashed.clear()
    after = rig.run()
    assert after.outcome == "succeeded", after.message
    assert _sent(rig, after.run_id) == sorted([
        ("contact", "update", "succeeded"), ("invoice", "update", "succeeded"), ("invoice", "update", "succeeded"),
        ("invoice", "update", "succeeded"),
        # Xero cannot edit a payment: a person is asked to reverse it in the ledger
        ("payment", "update", "needs_review")])
    assert hashed.counts() == Counter({"invoice": 3, "contact": 1, "payment": 1}), hashed.counts()
    assert Decimal(str(_xero(rig, "Invoices", "InvoiceNumber", "INV-100005")["Total"])) == Decimal(
        ledger_files.row("invoices", id="inv_5")["total"])
    assert parse_day(_xero(rig, "Invoices", "InvoiceNumber", "INV-100006")["DueDate"]) == date(2025, 5, 30)
    assert _xero(rig, "Invoices", "InvoiceNumber", "INV-100007")["Reference"] == "Gate code changed"
    assert _xero(rig, "Contacts", "ContactNumber", "C-00001")["EmailAddress"] == "aroha@example.org"

    # Sent once: the next sync sends nothing and hashes only what it sent last time (its proof
    # was taken from the send), the payment that still waits for a person excepted.
    hashed.clear()
    again = rig.run()
    assert _sent(rig, again.run_id) == [("payment", "update", "needs_review")]
    assert hashed.counts() == Counter({"payment": 1}), hashed.counts()
    assert_no_duplicates(rig)


def test_a_change_written_by_any_path_raises_the_revision(rig: SyncRig) -> None:
    """The database raises it (triggers), so a write path that forgets it cannot exist: a GUI or
    reconcile write through the ORM, a line added, changed or removed, and raw SQL alike."""
    with rig.store.sessions() as s:
        inv = s.scalars(select(Invoice).where(Invoice.external_id == "inv_5")).one()
        start = inv.revision
        inv.reference = "By the ORM"
        s.commit()
        s.execute(text("UPDATE invoice_line SET description = 'by SQL' WHERE invoice_id = :i AND line_no = 1"),
                  {"i": inv.id})
        s.commit()
        s.execute(text("DELETE FROM invoice_line WHERE invoice_id = :i AND line_no = 2"), {"i": inv.id})
        s.commit()
        revision = s.scalar(text("SELECT revision FROM invoice WHERE id = :i"), {"i": inv.id})
        assert revision == start + 3
        # What Xero's payments change (derived amounts) is no change of what is sent.
        s.execute(text("UPDATE invoice SET amount_paid = 1 WHERE id = :i"), {"i": inv.id})
        s.commit()
        assert s.scalar(text("SELECT revision FROM invoice WHERE id = :i"), {"i": inv.id}) == start + 3
        for model, ext in ((Customer, "cus_1"), (Payment, "pay_1")):
            row = s.scalars(select(model).where(model.external_id == ext)).one()
            before = row.revision
            s.execute(text(f"UPDATE {model.__tablename__} SET external_id = external_id WHERE id = :i"), {"i": row.id})
            s.commit()
            assert s.scalar(text(f"SELECT revision FROM {model.__tablename__} WHERE id = :i"), {"i": row.id}) == before + 1


def test_a_due_date_taken_from_xero_is_not_sent_back_and_a_later_ledger_edit_is(
        rig: SyncRig, ledger_files: LedgerFiles, hashed: Hashed) -> None:
    """The reconcile path writes Xero's due date into the ledger (a change the database counts):
    the next sync looks at that invoice again, finds Xero already has it, sends nothing; the
    operator's later edit of the same invoice is sent with Xero's due date kept."""
    assert rig.run().outcome == "succeeded"
    xero_id = _xero(rig, "Invoices", "InvoiceNumber", "INV-100006")["InvoiceID"]
    rig.admin.edit_invoice(rig.tenant_id, xero_id, DueDate="2025-06-30")
    pulled = rig.run()
    assert pulled.outcome == "succeeded", pulled.message
    with rig.store.sessions() as s:
        assert s.scalars(select(Invoice.due_date).where(Invoice.number == "INV-100006")).one() == date(2025, 6, 30)
    hashed.clear()
    quiet = rig.run()
    assert [i for i in rig.items(quiet.run_id) if i.entity == "invoice"] == []
    assert hashed.counts() == Counter({"invoice": 1}), hashed.counts()  # the written-back invoice, once
    hashed.clear()
    rig.run()
    assert hashed.counts() == Counter(), hashed.counts()  # found unchanged, proven so

    with rig.store.sessions() as s:
        inv = s.scalars(select(Invoice).where(Invoice.number == "INV-100006")).one()
        inv.reference = "Edited after Xero's due date"
        s.commit()
    hashed.clear()
    edited = rig.run()
    assert _sent(rig, edited.run_id) == [("invoice", "update", "succeeded")]
    assert hashed.counts() == Counter({"invoice": 1}), hashed.counts()
    x = _xero(rig, "Invoices", "InvoiceNumber", "INV-100006")
    assert x["Reference"] == "Edited after Xero's due date" and parse_day(x["DueDate"]) == date(2025, 6, 30)


def test_changing_the_line_amounts_setting_looks_at_every_document_again(rig: SyncRig, hashed: Hashed) -> None:
    """Documents' hashes hold the setting: the proofs taken under another value are dropped."""
    from xsync_desktop.store.settings import set_setting

    assert rig.run().outcome == "succeeded"
    with rig.store.sessions() as s:
        set_setting(s, "line_amount_types", "Inclusive")
        s.commit()
    hashed.clear()
    rig.run()
    assert hashed.counts() == Counter({"invoice": 6, "credit_note": 1}), hashed.counts()
