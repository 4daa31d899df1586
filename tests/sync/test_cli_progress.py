"""What the headless sync prints while it works (read in schedulers' logs)."""

from __future__ import annotations


def test_cli_progress_shows_the_final_count_of_a_growing_phase(capsys) -> None:
    from xsync_desktop.sync.cli import _Printer
    from xsync_desktop.sync.progress import Progress

    printer = _Printer()
    printer(Progress("pull_payments", 1000, 1000, message="1000 payments read"))
    printer(Progress("pull_payments", 1781, 1781, message="1781 payments read"))
    out = capsys.readouterr().out
    assert "1781/1781" in out
