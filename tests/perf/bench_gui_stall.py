"""Measurements of GUI responsiveness (a script, not a timed test): prints figures.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.perf.bench_gui_stall \
        [--invoices 10000] [--items 1000000] [--sandbox process|thread] [--diagnose]

1. cold start: imports + store + main window shown and painted;
2. the longest main-thread stall while a sync of N invoices runs and `--after` seconds
   after it ends (a 5 ms QTimer probe records the longest gap between its ticks; the
   target is under 50 ms). Run directly, the demo's Xero client paces at Xero's real 60
   calls a minute (run_all's gui section speeds it up 60x);
   By default the sandbox runs in its own process (composition/sandbox_process.py, rate
   limits off), as real Xero is remote; `--sandbox thread` puts it in this
   process (it then competes with the GUI for the GIL, which a customer never sees);
3. a run with 1,000,000 items (inserted with executemany): time until the Runs
   view shows its first rows, and until an outcome filter and a text search show
   theirs, with the stall probe running throughout (`--items 0` skips it).

`--diagnose` says where stalls come from: progress signals and "changed"
notifications per second on the GUI thread, garbage collections (per thread,
generation and duration, from gc.callbacks), and for every stall over 40 ms the
stacks of the GUI thread and the busiest other threads, sampled by a watchdog
thread while the stall is happening.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
T0 = time.perf_counter()


class StallProbe:
    """Longest gap between ticks of a fast timer on the GUI thread."""

    def __init__(self, interval_ms: int = 5) -> None:
        from xsync_desktop.ui.qt import QTimer

        self.gaps: list[float] = []
        self.ends: list[float] = []  # when each gap ended (perf_counter), to tell where stalls fall
        self.last = time.perf_counter()
        self.active = False
        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.gaps.clear()
        self.ends.clear()
        self.last = time.perf_counter()
        self.active = True
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        self.active = False

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self.last)
        self.ends.append(now)
        self.last = now

    def split(self, at: float, over: float = 0.03) -> str:
        """The longest gap before and after `at` (the sync's end), and every gap over `over`
        seconds with when it ended relative to `at`: says whether a stall is the sync's own
        or what follows its end (refreshes, the catch-up collection)."""
        before = [g for g, e in zip(self.gaps, self.ends, strict=True) if e <= at]
        after = [g for g, e in zip(self.gaps, self.ends, strict=True) if e > at]
        listed = ", ".join(f"{g * 1000:.0f} ms at {e - at:+.1f} s" for g, e in zip(self.gaps, self.ends, strict=True) if g > over)
        return (f"longest before the end {max(before, default=0) * 1000:.1f} ms, after it "
                f"{max(after, default=0) * 1000:.1f} ms; over {over * 1000:.0f} ms: {listed or 'none'}")

    def summary(self) -> str:
        if not self.gaps:
            return "no ticks"
        g = sorted(self.gaps)
        p99 = g[int(len(g) * 0.99) - 1] if len(g) > 100 else g[-1]
        over = sum(1 for x in g if x > 0.05)
        return (f"longest {g[-1] * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms over {len(g)} ticks "
                f"({over} over 50 ms)")


class Diagnosis:
    """Where stalls come from: GC pauses, signal rates, and stacks sampled during stalls."""

    def __init__(self, probe: StallProbe, threshold: float = 0.04) -> None:
        self.probe = probe
        self.threshold = threshold
        self.gc_events: list[tuple[str, int, float, int]] = []  # thread, generation, seconds, collected
        self._gc_start: dict[int, float] = {}
        self._gen2_objects = 0
        self.stall_stacks: Counter[str] = Counter()
        self.stall_samples = 0
        self.gen2_heap: list[str] = []  # each full collection's pause
        self.counts: Counter[str] = Counter()
        self._stop = threading.Event()
        self._main = threading.main_thread().ident
        self._watchdog = threading.Thread(target=self._watch, name="stall-watchdog", daemon=True)

    def install(self, services: Any, window: Any) -> None:
        gc.callbacks.append(self._gc)
        window.sync.progress.connect(lambda _p: self.counts.update(["progress signal"]))
        services.changed.connect(lambda topic: self.counts.update([f"changed:{topic}"]))
        self._watchdog.start()

    def remove(self) -> None:
        self._stop.set()
        if self._gc in gc.callbacks:
            gc.callbacks.remove(self._gc)

    def _gc(self, phase: str, info: dict[str, Any]) -> None:
        tid = threading.get_ident()
        if phase == "start":
            if info["generation"] == 2:  # counted before the clock starts: the walk's size
                self._gen2_objects = len(gc.get_objects(2))
            self._gc_start[tid] = time.perf_counter()
        elif tid in self._gc_start:
            took = time.perf_counter() - self._gc_start.pop(tid)
            name = "GUI" if tid == self._main else threading.current_thread().name
            self.gc_events.append((name, info["generation"], took, info.get("collected", 0)))
            if info["generation"] == 2:
                self.gen2_heap.append(f"{took * 1000:.0f} ms ({info.get('collected', 0):,} collected of "
                                      f"{self._gen2_objects:,} in the oldest generation, in {name})")

    def _watch(self) -> None:
        stall_start = None
        taken = 0
        while not self._stop.wait(0.005):
            if not self.probe.active:
                continue
            last = self.probe.last
            if time.perf_counter() - last < self.threshold:
                continue
            if stall_start != last:
                stall_start, taken = last, 0
                self.stall_samples += 1
            if taken >= 20:
                continue
            taken += 1  # a sample every 5 ms while the stall lasts, at most 20
            frames = sys._current_frames()
            names = {t.ident: t.name for t in threading.enumerate()}
            for tid, frame in frames.items():
                if tid == threading.get_ident():
                    continue  # the watchdog itself
                who = "GUI" if tid == self._main else names.get(tid, str(tid))
                if who.startswith("sandbox-"):
                    continue
                where = self._where(traceback.extract_stack(frame), gui=tid == self._main)
                self.stall_stacks[f"[{who.split('-')[0]}] {where}"] += 1

    @staticmethod
    def _where(stack: traceback.StackSummary, gui: bool) -> str:
        """The innermost frames and the app's own innermost frames (the innermost are
        SQLAlchemy or Qt; the app's frames say which view or which step of the sync asked)."""
        inner = list(stack)[-(3 if gui else 5):]
        app = [f for f in stack if "xsync_desktop" in f.filename and f not in inner][-3:]
        inner = app + inner
        return " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(inner))

    def report(self, seconds: float) -> None:
        print(f"--- diagnosis over {seconds:.1f} s")
        for key, n in sorted(self.counts.items()):
            print(f"  {key}: {n} ({n / seconds:.1f}/s)")
        by: dict[tuple[str, int], list[float]] = {}
        for name, gen, took, _c in self.gc_events:
            by.setdefault((name.split("-")[0], gen), []).append(took)
        for (name, gen), ts in sorted(by.items()):
            print(f"  gc gen{gen} in {name}: {len(ts)} collections, longest {max(ts) * 1000:.1f} ms, "
                  f"total {sum(ts) * 1000:.0f} ms")
        if self.gen2_heap:
            print(f"  full collections: {'; '.join(self.gen2_heap)}; now {len(gc.get_objects()):,} tracked objects, "
                  f"{gc.get_freeze_count():,} frozen")
        print(f"  stalls sampled (> {self.threshold * 1000:.0f} ms): {self.stall_samples}")
        for stack, n in self.stall_stacks.most_common(14):
            print(f"  x{n} {stack}")


def wait(app: Any, until: Any, timeout: float = 3600) -> float:
    start = time.perf_counter()
    while not until():
        app.processEvents()
        time.sleep(0.001)
        if time.perf_counter() - start > timeout:
            raise TimeoutError
    return time.perf_counter() - start


def start_sandbox(kind: str, profile: Any) -> Any:
    if kind == "thread":
        from tests.fixtures.ui import start_ui_sandbox

        return start_ui_sandbox(profile)
    from tests.fixtures.xero import free_loopback_ports
    from xsync_desktop.composition.sandbox_process import SandboxProcess

    return SandboxProcess(rate_limits=False, redirect_ports=free_loopback_ports())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--sandbox", choices=("process", "thread"), default="process")
    parser.add_argument("--diagnose", action="store_true")
    parser.add_argument("--no-gc-tuning", action="store_true", help="skip what run_gui does to the collector")
    parser.add_argument("--default-switch-interval", action="store_true",
                        help="keep CPython's 5 ms switch interval (run_gui shortens it)")
    parser.add_argument("--after", type=float, default=2.0,
                        help="seconds the probe keeps watching after the sync ends (issue 16: 120)")
    args = parser.parse_args(argv)

    from tests.fixtures.ui import close_app
    from tests.ui.runs_data import add_run
    from xsync_desktop.composition.demo import seed_demo_ledger
    from xsync_desktop.composition.gui import build_app
    from xsync_desktop.profile import Profile
    from xsync_desktop.ui import demo
    from xsync_desktop.ui.qt import QtWidgets

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as tmp:
        profile = Profile(Path(tmp) / "bench").ensure()
        sandbox = start_sandbox(args.sandbox, profile)
        services, window = build_app(profile, demo=True, sandbox=sandbox, show_dialogs=False)
        window.show()
        app.processEvents()
        print(f"cold start to usable window (imports, migrate, window shown): {time.perf_counter() - T0:.2f} s "
              f"(sandbox in a {args.sandbox})")
        if not args.no_gc_tuning:
            from xsync_desktop.ui.gc_tuning import settle_after_start

            settle_after_start()  # as run_gui does once the window is up
        if not args.default_switch_interval:
            from xsync_desktop.ui.switch_interval import shorten_for_gui

            shorten_for_gui()  # as run_gui does
        print(f"switch interval: {sys.getswitchinterval() * 1000:g} ms")
        print(f"tracked objects after start: {len(gc.get_objects()):,} (frozen: {gc.get_freeze_count():,})")
        probe = StallProbe()
        diag = Diagnosis(probe) if args.diagnose else None
        try:
            t = time.perf_counter()
            demo.ensure_demo_ledger(services, seed_demo_ledger, invoices=args.invoices)
            tenant_id, _ = demo.sign_in(services)
            demo.accept_suggested_mappings(services, tenant_id)
            print(f"demo ledger of {args.invoices:,} invoices + sign-in + mapping: {time.perf_counter() - t:.1f} s")

            done: list[Any] = []
            window.sync.finished.connect(done.append)
            window.sync.failed.connect(done.append)
            window.show_view("dashboard")
            if diag is not None:
                diag.install(services, window)
            probe.start()
            t = time.perf_counter()
            window.sync.sync_now()
            wait(app, lambda: bool(done))
            ended = time.perf_counter()
            took = ended - t
            settle = time.perf_counter() + args.after  # what follows the end (refreshes, collections)
            wait(app, lambda: time.perf_counter() > settle)
            probe.stop()
            r = done[0]
            print(f"sync of {args.invoices:,} invoices: {took:.1f} s, outcome "
                  f"{getattr(r, 'outcome', r)}; GUI stall during sync: {probe.summary()} "
                  f"(watched until {args.after:g} s after its end)")
            print(f"GUI stalls around the sync's end: {probe.split(ended)}")
            if diag is not None:
                diag.remove()
                diag.report(took)

            if args.items:
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
                runs.set_filter(outcome="failed")
                shown = wait(app, lambda: runs.items_model.rowCount() > 0 and runs.items_model.total >= 0)
                print(f"filter outcome=failed: rows and count {shown * 1000:.0f} ms ({runs.items_model.total:,})")
                # "INV-0999" finds items 999,000-999,999 of a million; smaller runs search their own 99.9%
                needle = "INV-0999" if args.items >= 1_000_000 else f"INV-{args.items * 999 // 1000:07d}"[:-3]
                runs.set_filter(text=needle)
                shown = wait(app, lambda: runs.items_model.rowCount() > 0)
                counted = wait(app, lambda: runs.items_model.total >= 0) + shown
                print(f"text search {needle!r}: first rows {shown * 1000:.0f} ms, count {counted * 1000:.0f} ms "
                      f"({runs.items_model.total:,})")
                probe.stop()
                print(f"GUI stall while opening and filtering: {probe.summary()}")
        finally:
            close_app(services, window, sandbox)
    return 0


if __name__ == "__main__":
    sys.exit(main())
