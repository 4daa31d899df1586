"""Issue 14 point 4: while Xero does not answer, the progress says it is retrying (attempt
n of N), and afterwards the status bar shows the last successful sync and since when Xero
has been unreachable."""

from __future__ import annotations

from typing import Any

from xsync_desktop.sandbox.admin_client import SandboxAdmin


def test_progress_says_xero_is_not_answering_and_which_attempt(journey: Any) -> None:
    j = journey()
    dashboard = j.shortcut(1)
    seen: list[str] = []
    j.window.sync.progress.connect(lambda _p: seen.append(dashboard.progress_detail.text()))  # after the view's own
    with SandboxAdmin.of(j.sandbox) as admin:  # Xero answers 503 twice, then recovers
        admin.faults("status", status=503, path="/api.xro/2.0/", count=2)
        result = j.sync_now()
    assert any("Xero not answering, retrying (attempt 2 of 6)" in t for t in seen), seen
    assert any("attempt 3 of 6" in t for t in seen), seen
    assert result.problem is None


def test_status_bar_after_xero_stopped_answering(journey: Any) -> None:
    j = journey()
    first = j.sync_now()
    assert first.outcome in ("succeeded", "failed") and first.problem is None
    j.go_offline()
    result = j.sync_now()
    assert result.problem == "network"
    status = j.window.last_sync_label.text()
    assert status.startswith("Last successful sync: "), status
    assert "Xero unreachable since " in j.window.connection_label.text(), j.window.connection_label.text()


def test_unreachable_since_survives_a_restart_offline(journey: Any) -> None:
    """The app reopened on a PC still without network says since when, from the database."""
    j = journey(online=False)
    result = j.sync_now()
    assert result.problem == "network"
    before = j.window.connection_label.text()
    assert "Xero unreachable since " in before, before
    j.quit()
    again = journey(online=False, restart=True)
    status = again.window.connection_label.text()
    assert status == before, status  # the same moment: the outage began before the restart
    assert again.window.last_sync_label.text().startswith("Last successful sync: ")


def test_a_run_that_reaches_xero_clears_unreachable(journey: Any) -> None:
    j = journey(online=False)
    assert j.sync_now().problem == "network"
    j.quit()
    again = journey(online=True, restart=True)
    assert "Xero unreachable since " in again.window.connection_label.text()
    result = again.sync_now()
    assert result.problem is None
    assert "unreachable" not in again.window.connection_label.text()
    assert again.window.last_sync_label.text().startswith("Last sync: ")
