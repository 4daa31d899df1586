"""What the composition root hands the GUI for one profile (`GuiEnvironment`), and how.

Its own module so that ui/app.py (which starts the window) and ui/profile_opening.py (which
builds the environment in a background thread) both use it without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..profile import Profile

if TYPE_CHECKING:
    from .demo import LedgerSeeder
    from .services import XeroSetup


def _nothing_to_stop() -> None:
    return None


@dataclass
class GuiEnvironment:
    """What the composition root hands the GUI for one profile: plain objects, no choices left."""

    #: how this process reaches Xero (real endpoints and the OS keyring, or the demo's sandbox)
    xero: XeroSetup
    #: the demo's ledger seeder; set only for a demo, whose bootstrap then runs after start
    seed_demo_ledger: LedgerSeeder | None = None
    #: stops what the root started for this environment (the demo's sandbox), at exit
    stop: Callable[[], None] = _nothing_to_stop


#: builds the environment once the profile is known and locked (so a refused second copy starts nothing)
EnvironmentFor = Callable[[Profile], GuiEnvironment]
