"""Entry script of the frozen program (PyInstaller needs a file, not a `-m` module).

A windowed Windows exe starts with sys.stdout and sys.stderr set to None, so
any stray print() or a logging StreamHandler would raise inside the GUI. They
are pointed at os.devnull instead; the app's own log file in the profile's
logs folder is where a windowed run leaves its trace.
"""

from __future__ import annotations

import os
import sys


def _give_windowed_exe_harmless_stdio() -> None:
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115 (lives as long as the process)


if __name__ == "__main__":
    _give_windowed_exe_harmless_stdio()
    from xsync_desktop.cli import main

    sys.exit(main())
