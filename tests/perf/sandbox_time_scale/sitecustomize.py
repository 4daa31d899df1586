"""Benchmark-only startup hook: sandboxes in this process tree run their rate-limit clock faster.

run_all.py puts this folder on PYTHONPATH for the GUI benchmark's child, with
XSYNC_BENCH_SANDBOX_TIME_SCALE set, because that benchmark starts its sandbox as a
separate process (composition/sandbox_process.py runs `python -m xsync_desktop.sandbox`) with no time-scale option. The
client's pacer is scaled by the same factor, so Xero's budget headers and the
client agree; without this the sandbox counts a real minute and the GUI sync is
paced at about one call a second however fast the client is allowed to go.
"""

import os

_scale = os.environ.get("XSYNC_BENCH_SANDBOX_TIME_SCALE")
if _scale:
    try:
        from xsync_desktop.sandbox import clock as _clock

        _original_init = _clock.SandboxClock.__init__

        def _scaled_init(self, time_scale=1.0, start=None):  # noqa: ANN001, ANN202
            _original_init(self, float(_scale), start)

        _clock.SandboxClock.__init__ = _scaled_init
    except ImportError:  # not a process that can reach the app's package
        pass
