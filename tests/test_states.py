"""Typed states: the names are the stored strings, both ways, on the real database."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import StatementError

from xsync_desktop.exit_codes import ExitCode
from xsync_desktop.store.models import Link, ReconException, SyncItem, SyncRun
from xsync_desktop.store.states import ExceptionKind, ExceptionStatus, ItemOutcome, RunOutcome
from xsync_desktop.store.store import Store
from xsync_desktop.store.types import utcnow
from xsync_desktop.sync.exceptions import KINDS


def test_members_store_as_their_strings_and_read_back_equal(store: Store) -> None:
    """Rows written before the enums (plain strings) and after (members) are the same rows."""
    with store.sessions() as s:
        run = SyncRun(tenant_id="t", trigger="manual", started_at=utcnow())  # the column's default
        s.add(run)
        s.flush()
        s.add(SyncItem(run_id=run.id, entity="invoice", local_id=1, action="create", label="Invoice 1",
                       outcome=ItemOutcome.NEEDS_REVIEW, started_at=utcnow()))
        s.add(SyncItem(run_id=run.id, entity="invoice", local_id=2, action="create", label="Invoice 2",
                       outcome="failed", started_at=utcnow()))
        s.commit()
    with store.sessions() as s:
        (run,) = s.scalars(select(SyncRun)).all()
        assert type(run.outcome) is str and run.outcome == RunOutcome.RUNNING == "running"
        outcomes = sorted(s.scalars(select(SyncItem.outcome).where(
            SyncItem.outcome.in_((ItemOutcome.FAILED, ItemOutcome.NEEDS_REVIEW)))))
        assert outcomes == ["failed", "needs_review"]


def test_every_exception_kind_has_a_title_and_actions_and_nothing_else_does() -> None:
    assert set(KINDS) == set(ExceptionKind)
    assert all(title and actions for title, actions in KINDS.values())


def test_a_typo_is_an_error_not_a_new_state() -> None:
    with pytest.raises(AttributeError):
        _ = RunOutcome.SUCCEDED  # type: ignore[attr-defined]
    with pytest.raises(ValueError):
        ItemOutcome("succeded")


def test_the_database_refuses_a_state_it_does_not_know(store: Store) -> None:
    """A misspelt state written, or filtered on, fails loudly instead of storing a new state or matching nothing."""
    with store.sessions() as s:
        s.add(SyncRun(tenant_id="t", trigger="manual", outcome="succeded", started_at=utcnow()))
        with pytest.raises(StatementError, match="'succeded' is not a valid RunOutcome"):
            s.commit()
    with store.sessions() as s:
        with pytest.raises(StatementError, match="'needs_reveiw' is not a valid ItemOutcome"):
            s.scalars(select(SyncItem).where(SyncItem.outcome == "needs_reveiw")).all()
        with pytest.raises(StatementError, match="'opne' is not a valid ExceptionStatus"):
            s.scalars(select(ReconException).where(ReconException.status.in_(("resolved", "opne")))).all()
        with pytest.raises(StatementError, match="'totals_differs' is not a valid ExceptionKind"):
            s.scalars(select(ReconException).where(ReconException.kind == "totals_differs")).all()
        with pytest.raises(StatementError, match="'sent' is not a valid LinkState"):
            s.execute(update(Link).values(state="sent"))
    with store.sessions() as s:
        assert s.scalars(select(SyncRun)).all() == []  # nothing of the refused run was written


def test_exit_codes_are_the_documented_numbers() -> None:
    """README "Headless commands": scripts branch on these numbers."""
    assert [(c.name, int(c)) for c in ExitCode] == [
        ("OK", 0), ("REJECTED", 1), ("USAGE", 2), ("FAILURES", 3), ("PAUSED", 4), ("RECONNECT", 5),
        ("ENVIRONMENT", 6)]
    assert ExceptionStatus.OPEN == "open"
    assert ReconException.__table__.c.status.default.arg == ExceptionStatus.OPEN
