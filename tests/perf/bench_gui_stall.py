"""Measurements of GUI responsiveness (a script, not a timed test): prints figures.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.perf.bench_gui_stall [--invoices 10000] [--items 1000000]

1. cold start: imports + store + main window shown and painted;
2. the longest main-thread stall while a sync of N invoices runs against the
   in-process sandbox (a 5 ms QTimer probe records the longest gap between its
   ticks; the target is under 50 ms);
3. a run with 1,000,000 items (inserted with executemany): time until the Runs
   view shows its first rows, and until an outcome filter and a text search show
   theirs, with the stall probe running throughout.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
T0 = time.perf_counter()


class StallProbe:
    """Longest gap between ticks of a fast timer on the GUI thread."""

    def __init__(self, interval_ms: int = 5) -> None:
        from xsync_desktop.ui.qt import QTimer

        self.gaps: list[float] = []
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.gaps.clear()
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self._last)
        self._last = now

    def summary(self) -> str:
        if not self.gaps:
            return "no ticks"
        g = sorted(self.gaps)
        p99 = g[int(len(g) * 0.99) - 1] if len(g) > 100 else g[-1]
        return f"longest {g[-1] * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms over {len(g)} ticks"


def wait(app: Any, until: Any, timeout: float = 3600) -> float:
    start = time.perf_counter()
    while not until():
        app.processEvents()
        time.sleep(0.001)
        if time.perf_counter() - start > timeout:
            raise TimeoutError
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=1_000_000)
    args = parser.parse_args(argv)

    from tests.fixtures.ui import start_ui_sandbox
    from tests.ui.runs_data import add_run
    from xsync_desktop.profile import Profile
    from xsync_desktop.ui import demo
    from xsync_desktop.ui.app import build_app
    from xsync_desktop.ui.qt import QtWidgets

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as tmp:
        profile = Profile(Path(tmp) / "bench").ensure()
        sandbox = start_ui_sandbox(profile)
        services, window = build_app(profile, demo=True, sandbox=sandbox, show_dialogs=False)
        window.show()
        app.processEvents()
        print(f"cold start to usable window (imports, migrate, window shown): {time.perf_counter() - T0:.2f} s")
        probe = StallProbe()
        try:
            t = time.perf_counter()
            demo.ensure_demo_ledger(services, invoices=args.invoices)
            tenant_id, _ = demo.sign_in(services)
            demo.accept_suggested_mappings(services, tenant_id)
            print(f"demo ledger of {args.invoices:,} invoices + sign-in + mapping: {time.perf_counter() - t:.1f} s")

            done: list[Any] = []
            window.sync.finished.connect(done.append)
            window.sync.failed.connect(done.append)
            window.show_view("dashboard")
            probe.start()
            t = time.perf_counter()
            window.sync.sync_now()
            wait(app, lambda: bool(done))
            probe.stop()
            r = done[0]
            print(f"sync of {args.invoices:,} invoices: {time.perf_counter() - t:.1f} s, outcome "
                  f"{getattr(r, 'outcome', r)}; GUI stall during sync: {probe.summary()}")

            t = time.perf_counter()
            run_id = add_run(services.store.sessions, args.items, failed_every=1000)
            print(f"inserted {args.items:,} items (executemany): {time.perf_counter() - t:.1f} s")
            window.show_view("runs")
            runs = window.view("runs")
            probe.start()
            t = time.perf_counter()
            runs.runs_model.reload()
            runs.show_run(run_id)
            first = wait(app, lambda: runs.items_model.rowCount() > 0)
            counted = wait(app, lambda: runs.items_model.total >= 0) + first
            print(f"open run of {args.items:,} items: first rows {first * 1000:.0f} ms, total counted "
                  f"{counted * 1000:.0f} ms ({runs.items_model.total:,})")
            t = time.perf_counter()
            runs.set_filter(outcome="failed")
            shown = wait(app, lambda: runs.items_model.rowCount() > 0 and runs.items_model.total >= 0)
            print(f"filter outcome=failed: rows and count {shown * 1000:.0f} ms ({runs.items_model.total:,})")
            runs.set_filter(text="INV-0999")
            shown = wait(app, lambda: runs.items_model.rowCount() > 0)
            counted = wait(app, lambda: runs.items_model.total >= 0) + shown
            print(f"text search 'INV-0999': first rows {shown * 1000:.0f} ms, count {counted * 1000:.0f} ms "
                  f"({runs.items_model.total:,})")
            probe.stop()
            print(f"GUI stall while opening and filtering: {probe.summary()}")
        finally:
            window.confirm_close = lambda: True
            window.close()
            services.close()
            services.store.close()
            sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
