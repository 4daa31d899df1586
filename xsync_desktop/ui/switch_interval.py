"""How soon the GUI thread gets the GIL back from a busy sync worker.

A sync runs in a worker thread of the same process. When the GUI thread wakes (a timer,
a paint, a click) while the worker runs Python code, it waits for CPython's switch
interval (5 ms by default) before the worker is asked to let go, and waits that long
again each time it blocks in a query or a Qt call and comes back. Measured with
tests/perf/bench_gui_stall.py (1,000 invoices, client paced 60x): p99 of the window's
frame gaps 26-28 ms with 5 ms, 14-20 ms with 1 ms. The worker's throughput is bound
by Xero's pace, not by the extra switches.
"""

from __future__ import annotations

import sys

#: seconds a thread may hold the GIL while another waits for it (CPython's default: 0.005)
GUI_SWITCH_INTERVAL = 0.001


def shorten_for_gui() -> float:
    """Set the shorter interval for the app's lifetime; returns the previous one."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(GUI_SWITCH_INTERVAL)
    return previous
