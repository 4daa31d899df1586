"""Since when Xero has not answered, kept in the profile's database so a restart still knows.

A run that found nobody answering at Xero's address (problem "network") notes the moment,
unless an earlier run already did: the first unanswered run is when the outage began. A run
that got any answer from Xero (it finished, was paused by the rate limit, or was refused the
connection) clears it. Cancelled runs and runs stopped before reaching Xero (a full disk, a
missing keyring) say nothing either way. Kept as a setting, not in memory, so the window
reopened offline, the CLI and another desk on a shared database all read the same moment.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ..store.settings import get_setting, set_setting
from ..store.states import RunOutcome
from .run_problem import RunProblem

KEY = "xero_unreachable_since"

#: problems that mean Xero answered (a refusal or a rate limit is an answer)
_ANSWERED = (None, RunProblem.RECONNECT, RunProblem.LIMIT)


def note_run_end(session: Session, outcome: RunOutcome, problem: RunProblem | None, at: datetime) -> None:
    """Record what a run that just ended learnt about Xero's reachability (caller commits)."""
    if problem == RunProblem.NETWORK:
        if get_setting(session, KEY) is None:
            set_setting(session, KEY, at.isoformat())
    elif problem in _ANSWERED and outcome in (RunOutcome.SUCCEEDED, RunOutcome.FAILED, RunOutcome.PAUSED):
        if get_setting(session, KEY) is not None:
            set_setting(session, KEY, None)


def unreachable_since(session: Session) -> datetime | None:
    """When runs first found Xero not answering, if no run has reached it since; else None."""
    value = get_setting(session, KEY)
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:  # a hand-edited value must not break the status bar
        return None
