"""No token ever reaches a file: a full day's use, then every byte under the profile is searched.

The app is built exactly as the GUI builds it (demo mode against an in-process
sandbox whose own state file lives *outside* the profile: that file is Xero's side
and holds tokens by design). The test signs in through the real PKCE loopback
flow, syncs (push and pull), forces a refresh with a 401 in the middle of a run,
syncs again after a bookkeeper's edit in Xero, exports the run log and the month-end
checklist as CSV, makes a database backup, and closes the window (QSettings INI).
The log runs at DEBUG, so httpx/httpcore records pass the redaction filter too.

Secrets are collected as they are made: every authorization code and code_verifier
(wrapping PkcePair.new and the browser), every access, refresh and id token (wrapping
the token-response parser). Then every file under the profile (database, -wal and
-shm while the app is still open, logs, exports, backups, window.ini) is read as
bytes and must contain none of them, in UTF-8 or UTF-16.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from xsync_desktop.profile import Profile

pytestmark = pytest.mark.reliability


class Secrets:
    def __init__(self) -> None:
        self.values: dict[str, set[str]] = {"code": set(), "code_verifier": set(), "access_token": set(),
                                            "refresh_token": set(), "id_token": set()}

    def add(self, kind: str, value: str | None) -> None:
        if value:
            self.values[kind].add(value)

    def needles(self) -> list[tuple[str, bytes]]:
        out = []
        for kind, values in self.values.items():
            for v in values:
                for enc in ("utf-8", "utf-16-le"):
                    out.append((f"{kind} ({enc})", v.encode(enc)))
                if v.count(".") == 2:  # a JWT: its signature alone is enough to leak it
                    out.append((f"{kind} signature", v.rsplit(".", 1)[1].encode()))
        return out


def _scan(root: Path, secrets: Secrets) -> list[str]:
    found = []
    needles = secrets.needles()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for label, needle in needles:
            if needle in data:
                found.append(f"{label} in {path.relative_to(root)}")
    return found


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> Secrets:
    from xsync_desktop.xero import login, tokens

    rec = Secrets()
    real_token_set = tokens._token_set

    def recording_token_set(body: dict, now: float, previous_refresh: str | None) -> Any:
        ts = real_token_set(body, now, previous_refresh)
        rec.add("access_token", ts.access_token)
        rec.add("refresh_token", ts.refresh_token)
        rec.add("id_token", ts.id_token)
        return ts

    monkeypatch.setattr(tokens, "_token_set", recording_token_set)
    real_new = login.PkcePair.new

    def recording_new(*args: Any, **kwargs: Any) -> Any:
        pair = real_new(*args, **kwargs)
        rec.add("code_verifier", pair.verifier)
        return pair

    monkeypatch.setattr(login.PkcePair, "new", staticmethod(recording_new))
    return rec


@pytest.mark.qt_log_ignore("propagateSizeHints")
def test_no_token_code_or_verifier_in_any_file_the_app_wrote(
        profile: Profile, secrets: Secrets, qtbot: Any, tmp_path: Path) -> None:
    from tests.fixtures.ui import start_ui_sandbox
    from xsync_desktop.composition.demo import seed_demo_ledger
    from xsync_desktop.composition.gui import build_app
    from xsync_desktop.sandbox.admin_client import SandboxAdmin
    from xsync_desktop.store.migrate import backup_sqlite
    from xsync_desktop.sync.checklist import compute_checklist, export_checklist_csv
    from xsync_desktop.ui import demo
    from xsync_desktop.ui.errors import setup_logging

    srv = start_ui_sandbox(None)  # Xero's side: its state (with tokens) is not in the profile
    handler = setup_logging(profile.logs_dir, level=logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.setLevel(logging.DEBUG)
    services = window = None
    try:
        services, window = build_app(profile, demo=True, sandbox=srv, show_dialogs=False)
        window.confirm_close = lambda: True
        window.show()

        def browser(url: str) -> bool:
            import threading

            def play() -> None:
                location = srv.approve(url)
                secrets.add("code", parse_qs(urlsplit(location).query)["code"][0])
                with httpx.Client(timeout=10) as c:
                    c.get(location)
            threading.Thread(target=play, daemon=True).start()
            return True

        services.xero.opener = browser
        demo.ensure_demo_ledger(services, seed_demo_ledger, invoices=40)
        tenant_id, _ = demo.sign_in(services, timeout=20)
        demo.accept_suggested_mappings(services, tenant_id)
        assert secrets.values["code"] and secrets.values["code_verifier"] and secrets.values["access_token"]

        def sync() -> Any:
            with qtbot.waitSignal(window.sync.finished, timeout=60_000) as sig:
                assert window.sync.sync_now("manual")
            return sig.args[0]

        admin = SandboxAdmin.of(srv)
        first = sync()
        assert first.outcome == "succeeded", first.message
        # a 401 in the pull phase: the session refreshes (rotating the refresh token) and replays
        refresh_tokens_before = len(secrets.values["refresh_token"])
        admin.faults("token_expired", method="GET", path="/api.xro/2.0/Payments", count=1)
        inv = next(r for r in admin.objects(tenant_id, "Invoices") if r["Status"] == "AUTHORISED")
        admin.edit_invoice(tenant_id, inv["InvoiceID"], Reference="edited by the bookkeeper")
        second = sync()
        assert second.outcome == "succeeded", second.message  # the 401 is answered by one refresh
        assert len(secrets.values["refresh_token"]) > refresh_tokens_before, "no refresh happened"

        runs = window.view("runs")
        window.show_view("runs")
        runs.runs_model.reload()
        runs.show_run(second.run_id)
        qtbot.waitUntil(lambda: runs.items_model.run_id == second.run_id)
        assert runs.export_csv(profile.exports_dir / "run-log.csv")
        qtbot.waitUntil(lambda: runs.last_export is not None, timeout=10_000)
        with services.store.sessions() as s:
            month = inv["DateString"][:7]
            export_checklist_csv(compute_checklist(s, tenant_id, month), profile.exports_dir / "checklist.csv")
        backup_sqlite(services.store.engine, profile.backups_dir, label="secrecy-test")
        for h in root.handlers:
            h.flush()

        open_leaks = _scan(profile.root, secrets)  # the WAL and -shm exist only while the app is open
        assert (profile.root / "xsync.db-wal").exists() or not open_leaks
        window.close()
        services.close()
        services.store.close()
        services = None
        closed_leaks = _scan(profile.root, secrets)
        written = sorted(str(p.relative_to(profile.root)) for p in profile.root.rglob("*") if p.is_file())
        print(f"scanned {len(written)} files: {written}; {sum(len(v) for v in secrets.values.values())} secrets")
        assert "window.ini" in written and any(w.startswith("logs/") for w in written)
        assert any(w.startswith("exports/") for w in written) and any(w.startswith("backups/") for w in written)
        log_text = (profile.logs_dir / "xsync-desktop.log").read_text(encoding="utf-8")
        assert "HTTP Request" in log_text and "identity/connect/token" in log_text  # the log saw the traffic
        assert not open_leaks and not closed_leaks, open_leaks + closed_leaks
    finally:
        if services is not None:
            window.close()
            services.close()
            services.store.close()
        root.removeHandler(handler)
        handler.close()
        root.setLevel(old_level)
        srv.stop()
