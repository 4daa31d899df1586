"""`xsync-desktop import` and `demo-data`: exit codes scripts can branch on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.fixtures.ledger import EXAMPLES, ledger_counts
from xsync_desktop.cli import main
from xsync_desktop.exit_codes import ExitCode
from xsync_desktop.profile import Profile
from xsync_desktop.store.store import open_store

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_CSV = [str(p) for p in sorted((EXAMPLES / "csv").glob("*.csv"))]


def _counts(profile_dir: Path) -> dict[str, int]:
    profile = Profile(profile_dir)
    store = open_store(profile.database_url, profile.backups_dir)
    try:
        return ledger_counts(store)
    finally:
        store.close()


def test_import_as_a_real_process(tmp_path: Path) -> None:
    profile = tmp_path / "profile ü"
    env = {k: v for k, v in os.environ.items() if k not in ("XSYNC_PROFILE", "XSYNC_DATABASE_URL")}
    proc = subprocess.run(
        [sys.executable, "-m", "xsync_desktop", "--profile", str(profile), "import", *EXAMPLE_CSV],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == ExitCode.OK, proc.stderr
    assert "20 added, 0 updated, 0 unchanged" in proc.stdout
    assert _counts(profile)["Invoice"] == 4


def test_rejected_rows_exit_1_and_print_the_report(tmp_path: Path, capsys) -> None:
    code = main(["--profile", str(tmp_path / "p"), "import", str(EXAMPLES / "bad-ledger.json")])
    assert code == ExitCode.REJECTED
    out = capsys.readouterr().out
    assert "bad-ledger.json invoices item 1, field due_date" in out
    assert _counts(tmp_path / "p")["Invoice"] == 0


def test_usage_errors_exit_2(tmp_path: Path, capsys) -> None:
    profile = str(tmp_path / "p")
    assert main(["--profile", profile, "import", str(tmp_path / "nope.csv")]) == ExitCode.USAGE
    assert "no such file" in capsys.readouterr().err
    odd = tmp_path / "notes.csv"
    odd.write_text("colour\nred\n", encoding="utf-8")
    assert main(["--profile", profile, "import", str(odd)]) == ExitCode.USAGE
    assert "cannot tell which records" in capsys.readouterr().err


def test_dry_run_exits_0_and_writes_nothing(tmp_path: Path, capsys) -> None:
    profile = tmp_path / "p"
    assert main(["--profile", str(profile), "import", "--dry-run", str(EXAMPLES / "ledger.json")]) == ExitCode.OK
    assert "nothing was written" in capsys.readouterr().out
    assert _counts(profile)["Invoice"] == 0


def test_demo_data_then_refuses_a_second_time(tmp_path: Path, capsys) -> None:
    profile = str(tmp_path / "p")
    assert main(["--profile", profile, "demo-data", "--invoices", "40", "--seed", "2"]) == ExitCode.OK
    assert "40 invoices" in capsys.readouterr().out
    assert main(["--profile", profile, "demo-data", "--invoices", "40"]) == ExitCode.USAGE
    assert "already has records" in capsys.readouterr().err
    assert _counts(tmp_path / "p")["Invoice"] == 40
