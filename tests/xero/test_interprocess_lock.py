"""The profile lock excludes a second holder (flock/msvcrt locks are per open file, even in one process)."""

from __future__ import annotations

from pathlib import Path

import pytest

from xsync_desktop.xero.errors import XeroError
from xsync_desktop.xero.interprocess_lock import InterProcessLock, lock_path_for


def test_second_holder_waits_then_gets_it(tmp_path: Path) -> None:
    path = lock_path_for("profile ü/1", tmp_path / "dir with space")
    assert path.name == "profile___1.xero.lock"
    first = InterProcessLock(path)
    first.acquire()
    with pytest.raises(XeroError) as info:
        InterProcessLock(path, timeout=0.1).acquire()
    assert "Another copy" in info.value.user_message
    first.release()
    with InterProcessLock(path, timeout=1):
        pass
