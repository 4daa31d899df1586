"""Several desks on one PostgreSQL database: each desk is its own process with its own profile
folder, its own (in-memory) keyring and its own PKCE sign-in to the sandbox, sharing only the
database URL. Needs a server: XSYNC_TEST_POSTGRES_URL (scripts/test.sh sets it from
scripts/postgres.sh); without one these tests skip and say why.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.db import POSTGRES_ENV
from tests.reliability.helpers import check_consistency, tenant_with_data
from xsync_desktop.store.store import Store, open_store

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def shared_url(database_url: str) -> str:
    """A fresh PostgreSQL database for the test (the db fixture makes and drops it)."""
    if not os.environ.get(POSTGRES_ENV):
        pytest.skip(f"several-desk tests need a PostgreSQL server: set {POSTGRES_ENV} "
                    "(bash scripts/postgres.sh prints one)")
    return database_url


@dataclass
class Desk:
    """One front-desk PC: a profile folder of its own, the shared database, the demo sandbox."""

    name: str
    profile: Path
    env: dict[str, str] = field(default_factory=dict)

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "xsync_desktop", "--profile", str(self.profile), *args],
                                env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "xsync_desktop", "--profile", str(self.profile), *args],
                              env=self.env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def desks(tmp_path: Path, shared_url: str, sandbox) -> list[Desk]:  # noqa: ANN001
    made = []
    for name in ("FRONT-DESK-1", "BOOKKEEPER PC ü"):
        env = dict(os.environ, XSYNC_DATABASE_URL=shared_url, XSYNC_DEMO_SANDBOX=sandbox.base_url,
                   XSYNC_DESK_NAME=name, PYTHONPATH=str(ROOT))
        made.append(Desk(name, tmp_path / f"profile {name}", env))
    return made


@pytest.fixture
def shared_store(shared_url: str) -> Iterator[Store]:
    st = open_store(shared_url)
    yield st
    st.close()


def assert_xero_matches(desk: Desk, url: str, admin, tenant_ids: list[str]) -> None:  # noqa: ANN001
    """Xero holds exactly one object per ledger record: no duplicate, nothing missing, nothing stuck."""
    tenant = tenant_with_data(admin, tenant_ids)
    assert tenant is not None, "nothing reached Xero"
    problems = check_consistency(desk.profile, admin, tenant, url)
    assert not problems.problems() and not problems.running_runs, (problems.problems(), problems.running_runs)


@contextmanager
def desk_window(qtbot: Any, profile_dir: Path, shared_url: str) -> Iterator[tuple[Any, Any]]:
    """A desk's real window (built by the composition root) on the shared database, shown and
    listening for the other desks' changes; closed afterwards. (services, window)."""
    from xsync_desktop.composition.gui import build_app
    from xsync_desktop.profile import Profile

    services, window = build_app(Profile(profile_dir, shared_url).ensure(), demo=False, smoke=True,
                                 show_dialogs=False)
    try:
        window.confirm_close = lambda: True
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        qtbot.waitUntil(services.live_updates.feed.connected.is_set, timeout=10_000)
        yield services, window
    finally:
        window.close()
        services.close()
        services.store.close()
