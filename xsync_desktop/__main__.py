"""`python -m xsync_desktop` and the `xsync-desktop` console script."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
