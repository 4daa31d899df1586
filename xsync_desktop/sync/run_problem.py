"""Why a run stopped early: the engine's verdict that the CLI turns into an exit code and the GUI into words."""

from __future__ import annotations

from enum import StrEnum


class RunProblem(StrEnum):
    """`RunResult.problem`; None when nothing stopped the run early."""

    #: the Xero connection is gone (invalid grant, revoked, forbidden): reconnect in the app
    RECONNECT = "reconnect"
    #: Xero's daily limit: the run is paused until it resets
    LIMIT = "limit"
    #: Xero or the network did not answer
    NETWORK = "network"
    #: Xero refused the run for another reason, or the app hit a bug
    ERROR = "error"
    #: the disk holding the profile is full
    DISK_FULL = "disk_full"
