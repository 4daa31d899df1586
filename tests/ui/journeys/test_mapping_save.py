"""Issue 14 point 8: after the bookkeeper archives accounts in Xero, Mapping saves each fix
the person makes while other red rows wait, says what is still wrong in this view's words
(not "Map it in Mapping"), and does not list the method of payments pulled from Xero
("xero") as a mapping to make."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from xsync_desktop.sandbox.admin_client import SandboxAdmin
from xsync_desktop.store.models import Invoice, Link, Mapping, Payment
from xsync_desktop.ui.qt import Qt, QtWidgets

from ..test_views_support import choose_cell


def _saved_account(j: Any, key: str) -> str | None:
    with j.services.session() as s:
        return s.scalar(select(Mapping.account_code).where(Mapping.kind == "charge_type", Mapping.key == key))


def _bookkeepers_day(j: Any) -> tuple[str, str]:
    """In Xero: rent's and insurance's accounts archived, a payment recorded on an invoice."""
    rent, insurance = _saved_account(j, "rent"), _saved_account(j, "insurance")
    assert rent and insurance and rent != insurance
    with j.services.session() as s:
        inv, xero_id = s.execute(
            select(Invoice, Link.xero_id).join(Link, (Link.local_id == Invoice.id) & (Link.entity == "invoice"))
            .where(Invoice.status == "authorised", Invoice.amount_paid == 0, Link.xero_id.is_not(None))
            .order_by(Invoice.id)).first()
        day, part = inv.issue_date.isoformat(), (inv.total / 2).quantize(Decimal("0.01"))
    tenant_id, _ = j.services.tenant()
    with SandboxAdmin.of(j.sandbox) as admin:
        admin.archive_account(tenant_id, rent)
        admin.archive_account(tenant_id, insurance)
        admin.create_payment(tenant_id, xero_id, part, day, Reference="Paid at the bank")
    return rent, insurance


def test_save_keeps_each_fix_while_others_stay_red(journey: Any, monkeypatch: Any) -> None:
    boxes: list[str] = []  # a modal box would stop the test: record what it would have said
    monkeypatch.setattr(QtWidgets.QMessageBox, "warning", lambda *a, **k: boxes.append(a[2]))
    j = journey()
    rent_account, insurance_account = _bookkeepers_day(j)
    j.sync_now()  # pulls the payment recorded in Xero
    with j.services.session() as s:
        assert s.scalars(select(Payment.method).where(Payment.source == "xero")).all() == ["xero"]

    view = j.shortcut(4)
    with j.qtbot.waitSignal(view.finished, timeout=30_000):  # the chart of accounts as Xero has it now
        j.qtbot.mouseClick(view.refresh_button, Qt.MouseButton.LeftButton)
    model, table = view.models["charge_type"], view.tables["charge_type"]
    status_col = model.column_of("status")
    for key in ("rent", "insurance"):
        status = model.index(model.row_of(key), status_col)
        assert "archived" in status.data() and status.data(Qt.ItemDataRole.ForegroundRole) is not None

    # Rent gets an active account from the drop-down; insurance is left for later.
    row = model.row_of("rent")
    offered = [k for _t, k in model.choices_for(model.index(row, model.column_of("account"))) if k]
    new = next(k for k in offered if k not in (rent_account, insurance_account))
    choose_cell(table, row, model.column_of("account"), new)
    j.qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)

    assert _saved_account(j, "rent") == new  # the fix is saved...
    assert _saved_account(j, "insurance") == insurance_account  # ...the other waits
    assert not boxes  # said in the view, no box to dismiss
    message = view.message_label.text()
    assert "Saved 1 mapping." in message
    with j.services.session() as s:  # insurance, and any other charge type on the archived accounts
        waiting = len(s.scalars(select(Mapping.key).where(
            Mapping.account_code.in_([rent_account, insurance_account]))).all())
    assert waiting >= 1
    assert f"Still to fix ({waiting}, in red)" in message and "Insurance" in message and "archived" in message
    assert "Map it in Mapping" not in message
    insurance = model.index(model.row_of("insurance"), status_col)
    assert "Map it in Mapping" not in insurance.data() and "Choose another account" in insurance.data()
    assert insurance.data(Qt.ItemDataRole.ForegroundRole) is not None  # still red
    assert model.index(model.row_of("rent"), status_col).data() == "OK"

    # Payments pulled from Xero need no bank account: their method is not a row to fix.
    methods = view.models["payment_method"]
    assert "xero" not in [d.key for d in methods.drafts()]
    pay_tab = view.tabs.tabText(list(view.models).index("payment_method"))
    assert "to fix" not in pay_tab, pay_tab
