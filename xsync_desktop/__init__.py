"""xsync desktop: keeps a self-storage billing ledger aligned with Xero."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("xsync-desktop")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.1.0"

