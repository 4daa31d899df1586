"""Compare with Xero (`verify`): every linked record read back and compared field by field.

Set up as it happens: the ledger is pushed by the real engine, then a bookkeeper changes
Xero through the sandbox's admin surface (or a link goes wrong), and the compare, not a
pull, must find it. The CLI test runs `xsync-desktop verify` against a sandbox over sockets.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from tests.sync.test_both_sides import _edit_ledger
from tests.sync.test_pull import TODAY, World, _pay, world  # noqa: F401 - fixture
from xsync_desktop.store.database import session_scope
from xsync_desktop.store.models import Link
from xsync_desktop.sync.checklist import compute_checklist
from xsync_desktop.sync.exceptions import available_actions
from xsync_desktop.sync.verify import HELD_ITEM


def _month_of_ledger(w: World) -> str:
    return w.invoice("INV-0001").issue_date.strftime("%Y-%m")


def _verify(w: World):
    result = w.engine.verify(_month_of_ledger(w))
    assert result.outcome == "succeeded", result.message
    return result.extra["compare"], result


def test_verify_agrees_after_a_sync_then_finds_what_the_bookkeeper_changed(world: World) -> None:  # noqa: F811
    report, result = _verify(world)
    assert report.differences == 0, [f.difference for f in report.findings]
    assert report.checked == {"invoices": 3, "credit notes": 0, "payments": 0, "contacts": 2}
    assert result.counts["api_calls"] >= 2  # invoices and contacts read back (plus settings)
    inv = world.invoice("INV-0002")
    world.admin.edit_invoice(world.tenant, world.xero_id("invoice", inv.id), Reference="changed in Xero")
    _pay(world, "INV-0001", "40.00")  # a payment the ledger has not pulled yet
    report, _ = _verify(world)
    found = {(f.difference.label, f.difference.field) for f in report.findings}
    assert ("Invoice INV-0002", "reference") in found
    assert {("Invoice INV-0001", "amount_paid"), ("Invoice INV-0001", "amount_due")} <= found
    assert report.unexplained == report.differences  # each one is a new exception
    excs = {(e.label, e.field): e for e in world.exceptions()}
    ref = excs[("Invoice INV-0002", "reference")]
    assert (ref.kind, ref.ledger_value, ref.xero_value) == ("xero_differs", "Unit A2", "changed in Xero")
    assert available_actions(ref) == ["keep_ledger", "dismiss"]
    # A second compare names the same exceptions, opens nothing new.
    again, _ = _verify(world)
    assert again.differences == report.differences and again.unexplained == 0
    assert {f.exception_id for f in again.findings} == {f.exception_id for f in report.findings}


def test_difference_already_covered_by_an_open_exception_is_named_not_duplicated(world: World) -> None:  # noqa: F811
    inv = world.invoice("INV-0003")
    world.admin.edit_invoice(world.tenant, world.xero_id("invoice", inv.id), LineAmount="175.00")
    world.sync()  # the pull raises "amounts changed"
    (amounts,) = [e for e in world.exceptions() if e.kind == "amounts_changed"]
    report, _ = _verify(world)
    totals = [f for f in report.findings if f.difference.field == "total"]
    assert totals and all(not f.new and f.exception_id == amounts.id for f in totals)
    assert report.unexplained == 0


def test_difference_behind_a_held_ledger_change_is_covered_by_it(world: World) -> None:  # noqa: F811
    """An operator's edit of an invoice Xero holds a payment on cannot be sent (the sync holds it
    as "needs review", listed in Exceptions): Compare names that held change, it is no new
    unexplained difference (found by the kill soak's verify)."""
    _pay(world, "INV-0001", "40.00")
    world.sync()  # the bookkeeper's payment comes into the ledger
    _edit_ledger(world, "INV-0001", bump_changed_at=True, reference="Operator's new reference")
    held = world.sync()
    assert any(i.outcome == "needs_review" for i in world.items(held.run_id))
    report, _ = _verify(world)
    refs = [f for f in report.findings if f.difference.field == "reference"]
    assert refs and all(not f.new and f.exception_id == HELD_ITEM for f in refs), report.findings
    assert report.unexplained == 0


def test_a_link_to_another_records_xero_object_is_reported_as_a_wrong_link(world: World) -> None:  # noqa: F811
    other = world.xero_id("invoice", world.invoice("INV-0002").id)
    inv = world.invoice("INV-0001")
    with session_scope(world.store.sessions) as s:
        s.scalars(select(Link).where(Link.entity == "invoice", Link.local_id == inv.id)).one().xero_id = other
    report, _ = _verify(world)
    wrong = [f for f in report.findings if f.difference.wrong_link and f.difference.local_id == inv.id]
    assert wrong and wrong[0].difference.field == "number"
    (exc,) = [e for e in world.exceptions() if e.kind == "wrong_link" and e.local_id == inv.id]
    assert exc.ledger_value == "INV-0001" and exc.xero_value == "INV-0002"
    assert available_actions(exc) == ["link", "dismiss"]


def test_sixth_check_passes_only_after_a_clean_compare(world: World) -> None:  # noqa: F811
    month = _month_of_ledger(world)

    def sixth() -> tuple[bool, list[str]]:
        with session_scope(world.store.sessions) as s:
            check = compute_checklist(s, world.tenant, month).check("xero_agrees")
            return check.passed, [r.reason for r in check.records]

    passed, reasons = sixth()
    assert not passed and "not been compared" in reasons[0]
    _verify(world)
    assert sixth() == (True, [])
    world.admin.edit_invoice(world.tenant, world.xero_id("invoice", world.invoice("INV-0001").id),
                             DueDate=TODAY.replace(day=1).isoformat())
    report, _ = _verify(world)
    assert report.unexplained == 1
    passed, reasons = sixth()
    assert not passed and "1 difference" in reasons[0]


def test_cli_verify_exit_codes(world: World, tmp_path: Path, monkeypatch) -> None:  # noqa: F811
    """`xsync-desktop verify`: 0 when both agree, 3 when they differ, 2 on a bad month."""
    from xsync_desktop import cli
    from xsync_desktop.composition import headless
    from xsync_desktop.sync import cli as sync_cli

    calls: list[str | None] = []
    real_verify = sync_cli._verify

    def action(store, profile, connection, args):  # the real _verify, on the test's ledger
        calls.append(args.month)
        return real_verify(world.store, profile, connection, args)

    monkeypatch.setattr(sync_cli, "_verify", action)
    monkeypatch.setattr(headless, "real_connection",
                        lambda store, profile: sync_cli.Connection(world.rig.new_client, world.tenant))
    profile = ["--profile", str(tmp_path / "p")]
    assert cli.main([*profile, "verify", "--month", "2025-13"]) == 2
    assert cli.main([*profile, "verify", "--month", _month_of_ledger(world)]) == 0
    world.admin.edit_invoice(world.tenant, world.xero_id("invoice", world.invoice("INV-0001").id),
                             Reference="edited")
    assert cli.main([*profile, "verify"]) == 3
    assert calls == [_month_of_ledger(world), None]


def _sixth(w: World, month: str) -> tuple[bool, list[str]]:
    with session_scope(w.store.sessions) as s:
        check = compute_checklist(s, w.tenant, month).check("xero_agrees")
        return check.passed, [r.reason for r in check.records]


def _import_invoice_reference(w: World, tmp: Path, number: str, reference: str) -> None:
    """The operator's export of one invoice with a new reference, imported as the app imports it."""
    from tests.fixtures.ledger import import_export
    from xsync_desktop.store.models import Customer

    inv = w.invoice(number)
    with session_scope(w.store.sessions) as s:
        cust = s.get(Customer, inv.customer_id)
        assert cust is not None
        customer_ext = cust.external_id
    import_export(w.store, tmp, {"invoices.csv":
                                 "id,number,customer_id,issue_date,due_date,currency,status,reference,subtotal,"
                                 "tax_total,total\n"
                                 f"{inv.external_id},{inv.number},{customer_ext},{inv.issue_date.isoformat()},"
                                 f"{inv.due_date.isoformat()},{inv.currency},authorised,{reference},{inv.subtotal},"
                                 f"{inv.tax_total},{inv.total}\n"})


def test_sixth_check_goes_out_of_date_when_the_month_changes_after_the_compare(
        world: World, tmp_path: Path) -> None:  # noqa: F811
    """A green "Xero agrees" is what the bookkeeper signs: after a later import, a sync that sent
    or pulled something for the month, or a decision on one of its exceptions, the compare no
    longer speaks for the month and must be run again."""
    month = _month_of_ledger(world)
    _verify(world)
    assert _sixth(world, month) == (True, [])
    # An import changes one of the month's invoices.
    _import_invoice_reference(world, tmp_path / "imp", "INV-0002", "Unit A2 (moved to B7)")
    passed, reasons = _sixth(world, month)
    assert not passed and "out of date" in reasons[0], reasons
    world.sync()  # ... and the sync sends it: still out of date until compared again
    assert not _sixth(world, month)[0]
    _verify(world)
    assert _sixth(world, month) == (True, [])
    # A sync that pulls a bookkeeper's payment on one of the month's invoices.
    _pay(world, "INV-0001", "40.00")
    world.sync()
    passed, reasons = _sixth(world, month)
    assert not passed and "out of date" in reasons[0], reasons
    _verify(world)
    assert _sixth(world, month) == (True, [])
    # A sync that has nothing to do for the month leaves the compare standing.
    world.sync()
    assert _sixth(world, month) == (True, [])
    # A decision on an exception the compare opened.
    world.admin.edit_invoice(world.tenant, world.xero_id("invoice", world.invoice("INV-0003").id),
                             Reference="changed in Xero")
    report, _ = _verify(world)
    assert report.unexplained == 1
    (exc,) = [e for e in world.exceptions() if e.kind == "xero_differs"]
    from xsync_desktop.sync.exceptions import resolve_exception

    resolve_exception(world.store, world.engine, exc.id, "dismiss", "Ana", note="the customer asked for it")
    passed, reasons = _sixth(world, month)
    assert not passed and "out of date" in reasons[0], reasons
    _verify(world)
    assert _sixth(world, month) == (True, [])
