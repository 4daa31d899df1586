"""Exceptions view on the real sandbox: each action, clicked in the UI, changes the ledger
and Xero as it says, and the history keeps who, when and how."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from xsync_desktop.sandbox.admin_client import SandboxAdmin
from xsync_desktop.store.models import (
    ChangeLog,
    Customer,
    Invoice,
    InvoiceLine,
    Link,
    Payment,
    ReconException,
)
from xsync_desktop.store.settings import set_setting
from xsync_desktop.store.types import utcnow
from xsync_desktop.sync.settings_refresh import base_currency
from xsync_desktop.ui import demo
from xsync_desktop.ui.qt import Qt, QtWidgets
from xsync_desktop.ui.views.exceptions_view import ExceptionsView

from .test_views_support import OFFSCREEN_NOISE, open_view

pytestmark = OFFSCREEN_NOISE
TODAY = date.today()
WHO = "Mere Bookkeeper"


@dataclass
class World:
    services: Any
    window: Any
    admin: SandboxAdmin
    tenant: str

    def sync(self, expect: str = "succeeded") -> Any:
        """One full run; `expect` is the outcome this case must end with (each case has one)."""
        result = self.services.make_engine().run()
        assert result.outcome == expect, result.message
        return result

    def pull_only(self) -> None:
        """The engine's pull step alone, as its own run. A full run pushes the ledger's edit
        first, so "both sides changed" is only seen when Xero's edit lands between the push
        and the pull; this plays that timing."""
        from xsync_desktop.store.models import SyncRun
        from xsync_desktop.sync.context import RunContext
        from xsync_desktop.sync.pull import pull_and_reconcile

        client = self.services.make_client(self.tenant)
        with self.services.store.sessions() as session:
            run = SyncRun(tenant_id=self.tenant, trigger="manual", outcome="running", started_at=utcnow())
            session.add(run)
            session.commit()
            pull_and_reconcile(RunContext(session, client, self.tenant, run))
            run.outcome, run.finished_at = "succeeded", utcnow()
            session.commit()
        client.close()

    def xero_id(self, entity: str, local_id: int) -> str:
        with self.services.session() as s:
            link = s.scalars(select(Link).where(Link.entity == entity, Link.local_id == local_id)).one()
            return str(link.xero_id)

    def invoice(self, number: str) -> Invoice:
        with self.services.session() as s:
            return s.scalars(select(Invoice).where(Invoice.number == number)).one()

    def exception(self, kind: str) -> ReconException:
        with self.services.session() as s:
            return s.scalars(select(ReconException).where(ReconException.kind == kind)
                             .order_by(ReconException.id.desc())).first()

    def xero_invoice(self, number: str) -> dict[str, Any]:
        return next(o for o in self.admin.objects(self.tenant, "Invoices") if o.get("InvoiceNumber") == number)

    def edit_ledger_invoice(self, number: str, **changes: Any) -> None:
        with self.services.write() as s:
            inv = s.scalars(select(Invoice).where(Invoice.number == number)).one()
            for k, v in changes.items():
                setattr(inv, k, v)
            inv.changed_at = utcnow()  # the operational system edited it


def _ledger(services: Any, currency: str) -> None:
    with services.write() as s:
        set_setting(s, "line_amount_types", "NoTax")
        c1 = Customer(external_id="C1", customer_number="C-0001", name="Aroha Ngata", email="aroha@example.test")
        c2 = Customer(external_id="C2", customer_number="C-0002", name="Ben Ruiz", email="ben@example.test")
        s.add_all([c1, c2])
        s.flush()
        for n, (c, total) in enumerate([(c1, "100.00"), (c1, "200.00"), (c2, "150.00")], start=1):
            inv = Invoice(external_id=f"I{n}", number=f"INV-{n:04d}", customer_id=c.id,
                          issue_date=TODAY - timedelta(days=3), due_date=TODAY + timedelta(days=14),
                          currency=currency, status="authorised", reference=f"Unit A{n}", subtotal=Decimal(total),
                          tax_total=Decimal("0.00"), total=Decimal(total), amount_paid=Decimal("0.00"))
            inv.lines.append(InvoiceLine(line_no=1, charge_type="rent", description="Storage rent",
                                         quantity=Decimal("1"), unit_amount=Decimal(total),
                                         tax_amount=Decimal("0.00"), line_amount=Decimal(total)))
            s.add(inv)


@pytest.fixture
def world(ui_app: Any, ui_sandbox: Any) -> Iterator[World]:
    services, window = ui_app(demo=True, sandbox=ui_sandbox)
    tenant, _ = demo.sign_in(services, timeout=20)
    demo.accept_suggested_mappings(services, tenant)
    with services.session() as s:
        currency = base_currency(s, tenant) or "NZD"
    _ledger(services, currency)
    with SandboxAdmin.of(ui_sandbox) as admin:
        w = World(services, window, admin, tenant)
        first = w.sync()
        assert first.outcome == "succeeded", first.message
        yield w


def _view(qtbot: Any, w: World) -> ExceptionsView:
    view: ExceptionsView = open_view(qtbot, w.window, "exceptions")  # rows are read in a worker thread
    view.who_edit.setText(WHO)
    return view


def _click(qtbot: Any, view: ExceptionsView, exception_id: int, action: str, timeout: int = 30_000) -> None:
    assert view.select_exception(exception_id)
    button = view.action_buttons[action]
    assert button.isVisible() and button.isEnabled()
    with qtbot.waitSignal(view.resolved, timeout=timeout) as blocker:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert blocker.args == [exception_id, action]


def _answer(monkeypatch: Any, answer: QtWidgets.QMessageBox.StandardButton, asked: list[str]) -> None:
    def question(_parent: Any, _title: str, text: str, *a: Any, **k: Any) -> Any:
        asked.append(text)
        return answer

    monkeypatch.setattr(QtWidgets.QMessageBox, "question", question)


def test_accept_xero_due_date_writes_the_ledger_and_keeps_history(
    qtbot: Any, world: World, monkeypatch: Any
) -> None:
    xero_due = TODAY + timedelta(days=40)
    world.admin.edit_invoice(world.tenant, world.xero_id("invoice", world.invoice("INV-0001").id),
                             DueDate=xero_due.isoformat())
    world.edit_ledger_invoice("INV-0001", due_date=TODAY + timedelta(days=20))
    world.pull_only()
    exc = world.exception("due_date_conflict")
    assert exc is not None and exc.status == "open"
    view = _view(qtbot, world)
    assert view.select_exception(exc.id)
    # Side by side, and only the actions that fit.
    assert view.ledger_label.text() == (TODAY + timedelta(days=20)).isoformat()
    assert view.xero_label.text() == xero_due.isoformat()
    visible = {a for a, b in view.action_buttons.items() if b.isVisible()}
    assert visible == {"accept_xero", "keep_ledger", "dismiss"}

    asked: list[str] = []
    _answer(monkeypatch, QtWidgets.QMessageBox.StandardButton.Cancel, asked)
    qtbot.mouseClick(view.action_buttons["accept_xero"], Qt.MouseButton.LeftButton)
    assert asked and world.exception("due_date_conflict").status == "open"  # cancelled: nothing changed

    _answer(monkeypatch, QtWidgets.QMessageBox.StandardButton.Yes, asked)
    _click(qtbot, view, exc.id, "accept_xero")
    assert world.invoice("INV-0001").due_date == xero_due
    done = world.exception("due_date_conflict")
    assert (done.status, done.resolution, done.resolved_by) == ("resolved", "accept_xero", WHO)
    with world.services.session() as s:
        assert s.scalars(select(ChangeLog).where(ChangeLog.field == "due_date")).first() is not None
    # The history lists it with who and when.
    view.status_box.setCurrentIndex(view.status_box.findData("closed"))
    assert view.select_exception(exc.id)
    assert WHO in view.history_label.text() and "Accept Xero" in view.history_label.text()


def test_keep_ledger_reference_re_pushes_to_xero(qtbot: Any, world: World, monkeypatch: Any) -> None:
    inv = world.invoice("INV-0002")
    world.admin.edit_invoice(world.tenant, world.xero_id("invoice", inv.id), Reference="Xero says B7")
    world.edit_ledger_invoice("INV-0002", reference="Ledger says A2-bis")
    world.pull_only()
    exc = world.exception("reference_conflict")
    assert exc is not None and exc.status == "open"
    view = _view(qtbot, world)
    _answer(monkeypatch, QtWidgets.QMessageBox.StandardButton.Yes, [])
    _click(qtbot, view, exc.id, "keep_ledger", timeout=60_000)
    assert world.xero_invoice("INV-0002")["Reference"] == "Ledger says A2-bis"
    assert world.invoice("INV-0002").reference == "Ledger says A2-bis"
    assert world.exception("reference_conflict").status == "resolved"


def test_dismiss_amounts_changed_needs_a_note_and_changes_nothing(
    qtbot: Any, world: World, monkeypatch: Any
) -> None:
    inv = world.invoice("INV-0003")
    world.admin.edit_invoice(world.tenant, world.xero_id("invoice", inv.id), LineAmount="175.00")
    world.sync()
    exc = world.exception("amounts_changed")
    view = _view(qtbot, world)
    assert view.select_exception(exc.id)
    assert "accept_xero" not in {a for a, b in view.action_buttons.items() if b.isVisible()}

    monkeypatch.setattr(QtWidgets.QInputDialog, "getMultiLineText", lambda *a, **k: ("  ", True))
    qtbot.mouseClick(view.action_buttons["dismiss"], Qt.MouseButton.LeftButton)
    assert "needs a note" in view.message_label.text()
    assert world.exception("amounts_changed").status == "open"

    note = "Xero total agreed with the customer; credit note follows"
    monkeypatch.setattr(QtWidgets.QInputDialog, "getMultiLineText", lambda *a, **k: (note, True))
    _click(qtbot, view, exc.id, "dismiss")
    done = world.exception("amounts_changed")
    assert (done.status, done.resolution_note, done.resolved_by) == ("dismissed", note, WHO)
    assert world.invoice("INV-0003").total == Decimal("150.00")  # amounts stay the ledger's
    assert Decimal(str(world.xero_invoice("INV-0003")["Total"])) == Decimal("175.00")


def test_link_archived_contact_to_one_chosen_by_searching_xero(
    qtbot: Any, world: World, monkeypatch: Any
) -> None:
    inv = world.invoice("INV-0003")
    old_id = world.xero_id("contact", inv.customer_id)
    world.admin.archive_contact(world.tenant, old_id)
    made = world.admin.create_contact(world.tenant, "Ben Ruiz (Storage)", EmailAddress="ben@example.test")
    new_id = str(made.get("ContactID") or made["Contacts"][0]["ContactID"])
    world.sync()
    exc = world.exception("contact_archived")
    assert exc is not None and exc.status == "open"
    view = _view(qtbot, world)
    assert view.select_exception(exc.id)
    _answer(monkeypatch, QtWidgets.QMessageBox.StandardButton.Yes, [])

    qtbot.mouseClick(view.action_buttons["link"], Qt.MouseButton.LeftButton)
    dialog = view.link_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.search_edit.setText("")
    qtbot.keyClicks(dialog.search_edit, "Ben Ruiz")
    with qtbot.waitSignal(dialog.searched, timeout=20_000):
        qtbot.mouseClick(dialog.search_button, Qt.MouseButton.LeftButton)
    ids = {h.xero_id for h in dialog.model.rows()}
    assert new_id in ids and old_id in ids  # archived ones are shown too, so the person sees both
    assert dialog.select_id(new_id)
    with qtbot.waitSignal(view.resolved, timeout=60_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert world.xero_id("contact", inv.customer_id) == new_id
    done = world.exception("contact_archived")
    assert (done.status, done.resolution) == ("resolved", "link")


def test_payment_deleted_in_xero_accept_reverses_the_ledger_payment(
    qtbot: Any, world: World, monkeypatch: Any
) -> None:
    inv = world.invoice("INV-0002")
    with world.services.write() as s:
        s.add(Payment(external_id="L-1", invoice_id=inv.id, date=TODAY, amount=Decimal("80.00"), method="cash",
                      source="ledger"))
        s.get(Invoice, inv.id).amount_paid = Decimal("80.00")
    assert world.sync().counts["payments_pushed"] == 1
    with world.services.session() as s:
        pay = s.scalars(select(Payment).where(Payment.external_id == "L-1")).one()
    world.admin.delete_payment(world.tenant, world.xero_id("payment", pay.id))
    world.sync()
    exc = world.exception("payment_deleted")
    assert exc is not None and exc.local_id == pay.id
    view = _view(qtbot, world)
    _answer(monkeypatch, QtWidgets.QMessageBox.StandardButton.Yes, [])
    _click(qtbot, view, exc.id, "accept_xero")
    with world.services.session() as s:
        assert s.get(Payment, pay.id).reversed_at is not None
    assert world.invoice("INV-0002").amount_paid == Decimal("0.00")


def test_exceptions_model_passes_qtmodeltester(qtbot: Any, qtmodeltester: Any, world: World) -> None:
    world.admin.edit_invoice(world.tenant, world.xero_id("invoice", world.invoice("INV-0003").id),
                             LineAmount="160.00")
    world.sync()
    view = _view(qtbot, world)
    assert view.model.rowCount() == 1
    qtmodeltester.check(view.model, force_py=True)
    qtmodeltester.check(view.proxy, force_py=True)


def _ledger_payment(world: World, number: str, amount: str, external_id: str) -> int:
    """A payment the ledger recorded on `number` (not pushed yet); returns its id."""
    with world.services.write() as s:
        inv = s.scalars(select(Invoice).where(Invoice.number == number)).one()
        pay = Payment(external_id=external_id, invoice_id=inv.id, date=TODAY, amount=Decimal(amount),
                      method="cash", source="ledger")
        s.add(pay)
        inv.amount_paid = inv.amount_paid + Decimal(amount)
        s.flush()
        return int(pay.id)


def test_payment_overpays_accept_imports_xero_payment(qtbot: Any, world: World, monkeypatch: Any) -> None:
    # The ledger has 80.00 of 100.00 paid (not sent yet); Xero records 50.00: more than the 20.00 left.
    _ledger_payment(world, "INV-0001", "80.00", "L-OVER")
    inv_xero_id = world.xero_id("invoice", world.invoice("INV-0001").id)
    made = world.admin.create_payment(world.tenant, InvoiceID=inv_xero_id, Amount="50.00", Date=TODAY.isoformat())
    xero_payment_id = str(made.get("PaymentID") or made["Payments"][0]["PaymentID"])
    world.pull_only()
    exc = world.exception("payment_overpays")
    assert exc is not None and exc.status == "open" and exc.xero_id == xero_payment_id
    view = _view(qtbot, world)
    assert view.select_exception(exc.id)
    assert view.ledger_label.text() == "20.00"
    assert view.xero_label.text().startswith("50.00")
    assert {a for a, b in view.action_buttons.items() if b.isVisible()} == {"accept_xero", "dismiss"}

    _answer(monkeypatch, QtWidgets.QMessageBox.StandardButton.Yes, [])
    _click(qtbot, view, exc.id, "accept_xero")
    with world.services.session() as s:
        link = s.scalars(select(Link).where(Link.entity == "payment", Link.xero_id == xero_payment_id)).one()
        imported = s.get(Payment, link.local_id)
        assert imported.amount == Decimal("50.00") and imported.invoice_id == world.invoice("INV-0001").id
    assert world.invoice("INV-0001").amount_paid == Decimal("130.00")  # the ledger shows the overpayment
    xero_payments = {p["PaymentID"]: p for p in world.admin.objects(world.tenant, "Payments")}
    assert xero_payments[xero_payment_id]["Status"] != "DELETED"  # Xero's payment is left as it is
    assert world.exception("payment_overpays").status == "resolved"


def test_void_with_payments_accept_voids_the_ledger_invoice(qtbot: Any, world: World, monkeypatch: Any) -> None:
    _ledger_payment(world, "INV-0002", "80.00", "L-VOID")
    inv = world.invoice("INV-0002")
    world.admin.edit_invoice(world.tenant, world.xero_id("invoice", inv.id), Status="VOIDED")
    world.pull_only()
    exc = world.exception("void_with_payments")
    assert exc is not None and exc.status == "open"
    view = _view(qtbot, world)
    assert view.select_exception(exc.id)
    assert view.xero_label.text() == "VOIDED" and "80.00" in view.detail_label.text()
    assert {a for a, b in view.action_buttons.items() if b.isVisible()} == {"accept_xero", "link", "dismiss"}

    _answer(monkeypatch, QtWidgets.QMessageBox.StandardButton.Yes, [])
    _click(qtbot, view, exc.id, "accept_xero")
    assert world.invoice("INV-0002").status == "void"
    assert world.xero_invoice("INV-0002")["Status"] == "VOIDED"
    with world.services.session() as s:
        assert s.scalars(select(ChangeLog).where(ChangeLog.field == "status")).first() is not None
    assert world.exception("void_with_payments").status == "resolved"
    # The next sync leaves it alone: no new exception, Xero unchanged.
    world.sync()
    assert world.exception("void_with_payments").status == "resolved"
    assert world.xero_invoice("INV-0002")["Status"] == "VOIDED"


def test_invoice_deleted_keep_ledger_creates_it_again_in_xero(qtbot: Any, world: World, monkeypatch: Any) -> None:
    # Xero deletes only drafts: this organisation sends invoices as drafts, and a new one goes up.
    with world.services.write() as s:
        set_setting(s, "invoice_status", "DRAFT")
        first = s.scalars(select(Invoice).where(Invoice.number == "INV-0001")).one()
        inv = Invoice(external_id="I4", number="INV-0004", customer_id=first.customer_id,
                      issue_date=TODAY, due_date=TODAY + timedelta(days=14), currency=first.currency,
                      status="authorised", reference="Unit A4", subtotal=Decimal("60.00"),
                      tax_total=Decimal("0.00"), total=Decimal("60.00"), amount_paid=Decimal("0.00"))
        inv.lines.append(InvoiceLine(line_no=1, charge_type="rent", description="Storage rent",
                                     quantity=Decimal("1"), unit_amount=Decimal("60.00"),
                                     tax_amount=Decimal("0.00"), line_amount=Decimal("60.00")))
        s.add(inv)
    world.sync()
    inv = world.invoice("INV-0004")
    old_id = world.xero_id("invoice", inv.id)
    assert world.xero_invoice("INV-0004")["Status"] == "DRAFT"
    world.admin.edit_invoice(world.tenant, old_id, Status="DELETED")
    world.sync()
    exc = world.exception("invoice_deleted")
    assert exc is not None and exc.status == "open"
    view = _view(qtbot, world)
    assert view.select_exception(exc.id)
    assert view.xero_label.text() == "DELETED"
    assert {a for a, b in view.action_buttons.items() if b.isVisible()} == {"keep_ledger", "link", "dismiss"}

    asked: list[str] = []
    _answer(monkeypatch, QtWidgets.QMessageBox.StandardButton.Yes, asked)
    _click(qtbot, view, exc.id, "keep_ledger", timeout=60_000)
    assert asked and "INV-0004" in asked[0]
    new_id = world.xero_id("invoice", inv.id)
    assert new_id != old_id
    xero = {o["InvoiceID"]: o for o in world.admin.objects(world.tenant, "Invoices")}
    assert xero[old_id]["Status"] == "DELETED"
    assert xero[new_id]["InvoiceNumber"] == "INV-0004" and xero[new_id]["Status"] == "DRAFT"
    assert Decimal(str(xero[new_id]["Total"])) == Decimal("60.00")
    assert world.invoice("INV-0004").status == "authorised"
    assert world.exception("invoice_deleted").status == "resolved"


def test_a_same_name_contact_with_no_email_is_linked_from_the_exceptions_view(
    qtbot: Any, world: World, monkeypatch: Any
) -> None:
    """Issue 13.2: the name-conflict exception offers Link (not only Dismiss), and Link works."""
    with world.services.write() as s:
        c = Customer(external_id="C3", customer_number="C-0003", name="Cleo Park", email=None)
        s.add(c)
        s.flush()
        inv = Invoice(external_id="I9", number="INV-0009", customer_id=c.id, issue_date=TODAY - timedelta(days=2),
                      due_date=TODAY + timedelta(days=14), currency=world.invoice("INV-0001").currency,
                      status="authorised", reference="Unit C9", subtotal=Decimal("80.00"),
                      tax_total=Decimal("0.00"), total=Decimal("80.00"), amount_paid=Decimal("0.00"))
        inv.lines.append(InvoiceLine(line_no=1, charge_type="rent", description="Storage rent", quantity=Decimal("1"),
                                     unit_amount=Decimal("80.00"), tax_amount=Decimal("0.00"),
                                     line_amount=Decimal("80.00")))
        s.add(inv)
        customer_id = c.id
    made = world.admin.create_contact(world.tenant, "Cleo Park", ContactNumber="BK-12")
    theirs = str(made.get("ContactID") or made["Contacts"][0]["ContactID"])
    world.sync(expect="failed")  # INV-0009 waits for its contact, which a person must link first
    exc = world.exception("contact_name_conflict")
    assert exc is not None and exc.status == "open" and exc.local_id == customer_id
    view = _view(qtbot, world)
    assert view.select_exception(exc.id)
    assert view.action_buttons["link"].isVisible() and view.action_buttons["dismiss"].isVisible()
    _answer(monkeypatch, QtWidgets.QMessageBox.StandardButton.Yes, [])

    qtbot.mouseClick(view.action_buttons["link"], Qt.MouseButton.LeftButton)
    dialog = view.link_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(dialog.search_button.isEnabled, timeout=20_000)  # its own first search has answered
    dialog.search_edit.setText("")
    qtbot.keyClicks(dialog.search_edit, "Cleo Park")
    with qtbot.waitSignal(dialog.searched, timeout=20_000):
        qtbot.mouseClick(dialog.search_button, Qt.MouseButton.LeftButton)
    assert dialog.select_id(theirs), dialog.status.text()
    with qtbot.waitSignal(view.resolved, timeout=60_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert world.xero_id("contact", customer_id) == theirs
    assert (world.exception("contact_name_conflict").resolution) == "link"
    assert world.xero_invoice("INV-0009")["Contact"]["ContactID"] == theirs


def test_a_number_already_used_in_xero_is_renumbered_from_the_exceptions_view(
    qtbot: Any, world: World, monkeypatch: Any
) -> None:
    """Issue 13.1: the bookkeeper's own INV-0010 in Xero; the ledger's INV-0010 is another invoice."""
    client = world.services.make_client(world.tenant)
    try:
        client.put("/Invoices", {"Invoices": [{
            "Type": "ACCREC", "Contact": {"Name": "Counter sale"}, "InvoiceNumber": "INV-0010", "Status": "AUTHORISED",
            "Date": TODAY.isoformat(), "DueDate": TODAY.isoformat(), "LineAmountTypes": "NoTax",
            "LineItems": [{"Description": "Padlock", "Quantity": 1, "UnitAmount": "12.00", "AccountCode": "200",
                           "TaxType": "NONE"}]}]}, "bookkeeper-inv-0010", {"summarizeErrors": "false"})
    finally:
        client.close()
    src = world.invoice("INV-0001")
    with world.services.write() as s:
        inv = Invoice(external_id="I10", number="INV-0010", customer_id=src.customer_id, issue_date=src.issue_date,
                      due_date=src.due_date, currency=src.currency, status="authorised", reference="Unit A10",
                      subtotal=Decimal("60.00"), tax_total=Decimal("0.00"), total=Decimal("60.00"),
                      amount_paid=Decimal("0.00"))
        inv.lines.append(InvoiceLine(line_no=1, charge_type="rent", description="Storage rent", quantity=Decimal("1"),
                                     unit_amount=Decimal("60.00"), tax_amount=Decimal("0.00"),
                                     line_amount=Decimal("60.00")))
        s.add(inv)
    world.sync()
    exc = world.exception("number_taken")
    assert exc is not None and exc.status == "open"
    view = _view(qtbot, world)
    assert view.select_exception(exc.id)
    assert all(view.action_buttons[a].isVisible() for a in ("link", "renumber", "dismiss"))
    monkeypatch.setattr(QtWidgets.QInputDialog, "getText", lambda *a, **k: ("INV-0010-S", True))
    with qtbot.waitSignal(view.resolved, timeout=60_000):
        qtbot.mouseClick(view.action_buttons["renumber"], Qt.MouseButton.LeftButton)
    assert world.invoice("INV-0010-S").id is not None
    assert world.xero_invoice("INV-0010-S")["Total"] == 60
    assert world.xero_invoice("INV-0010")["Contact"]["Name"] == "Counter sale"  # hers, untouched
    done = world.exception("number_taken")
    assert (done.status, done.resolution) == ("resolved", "renumber")
