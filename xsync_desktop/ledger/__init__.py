"""The ledger's way in: import of billing exports (CSV or JSON) and demo data.

Depends only on xsync_desktop.store. Public API:
`import_files`, `validate_files`, `ImportReport`, `Rejection`, `ImportUsageError`
(here), `generate_demo_ledger` (ledger.demo), `export_ledger_json` (ledger.export).
"""

from .importer import import_files, validate_files
from .report import ImportReport, KindCounts, Rejection
from .sources import ImportUsageError

__all__ = ["ImportReport", "ImportUsageError", "KindCounts", "Rejection", "import_files", "validate_files"]
