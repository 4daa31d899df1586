"""`xsync-desktop config`: the sync settings for scripted installs (issue 14 point 12).

On a real profile database: a valid --set is written and shown, a refused key or value
exits 2 with the reason and writes nothing (not even the valid values beside it), and the
real process returns those exit codes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from xsync_desktop.cli import main
from xsync_desktop.exit_codes import ExitCode
from xsync_desktop.profile import Profile
from xsync_desktop.store.models import AppSetting
from xsync_desktop.store.store import open_store
from xsync_desktop.sync.sync_settings import SYNC_SETTINGS

ROOT = Path(__file__).resolve().parents[2]


def _stored(profile_dir: Path) -> dict[str, str | None]:
    """Every setting row in the profile's database, as another process would read it."""
    profile = Profile(profile_dir)
    store = open_store(profile.database_url, profile.backups_dir)
    try:
        with store.sessions() as s:
            return {row.key: row.value for row in s.scalars(select(AppSetting))}
    finally:
        store.close()


def test_show_lists_every_setting_with_what_it_changes(tmp_path: Path, capsys) -> None:
    assert main(["--profile", str(tmp_path / "p"), "config"]) == ExitCode.OK
    out = capsys.readouterr().out
    for spec in SYNC_SETTINGS:
        assert spec.explains in out
    assert "invoice_status = AUTHORISED" in out and "line_amount_types = Exclusive" in out


def test_valid_values_are_written(tmp_path: Path, capsys) -> None:
    profile = tmp_path / "p"
    code = main(["--profile", str(profile), "config", "--set", "invoice_status=draft",
                 "line_amount_types=Inclusive", "sync_start_date=2026-01-01", "schedule_minutes=60"])
    assert code == ExitCode.OK, capsys.readouterr().err
    stored = _stored(profile)
    assert stored["invoice_status"] == "DRAFT"  # as the engine compares it
    assert stored["line_amount_types"] == "Inclusive"
    assert stored["sync_start_date"] == "2026-01-01"
    assert stored["schedule_minutes"] == "60"
    assert "invoice_status set to DRAFT" in capsys.readouterr().out
    # An empty value clears the start date: every record is sent again.
    assert main(["--profile", str(profile), "config", "--set", "sync_start_date="]) == ExitCode.OK
    assert _stored(profile)["sync_start_date"] is None


def test_a_refused_value_writes_nothing(tmp_path: Path, capsys) -> None:
    profile = tmp_path / "p"
    assert main(["--profile", str(profile), "config", "--set", "schedule_minutes=30"]) == ExitCode.OK
    before = _stored(profile)
    capsys.readouterr()
    for bad in (["invoice_status=DRAFT", "line_amount_types=Gross"],  # one good, one bad: neither written
                ["sync_start_date=2026-02-30"], ["schedule_minutes=2"], ["schedule_minutes=soon"],
                ["invoice_status"], ["currency=AUD"]):
        code = main(["--profile", str(profile), "config", "--set", *bad])
        assert code == ExitCode.USAGE, bad
        err = capsys.readouterr().err
        assert err.startswith("config: ") and "Nothing was changed." in err, err
        assert _stored(profile) == before, bad
    assert main(["--profile", str(profile), "config", "--set", "line_amount_types=Gross"]) == ExitCode.USAGE
    assert "use one of Exclusive, Inclusive, NoTax" in capsys.readouterr().err


def test_exit_codes_of_the_real_process(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("XSYNC_PROFILE", "XSYNC_DATABASE_URL")}
    profile = tmp_path / "profile ü"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "xsync_desktop", "--profile", str(profile), "config", *args],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    ok = run("--set", "invoice_status=DRAFT")
    assert ok.returncode == ExitCode.OK, ok.stderr
    refused = run("--set", "invoice_status=PAID")
    assert refused.returncode == ExitCode.USAGE
    assert "'PAID' is not allowed; use one of AUTHORISED, DRAFT" in refused.stderr
    shown = run("--show")
    assert shown.returncode == ExitCode.OK and "invoice_status = DRAFT" in shown.stdout
