"""One import point for every mapped class (Alembic's env and callers use this)."""

from .base import Base
from .ledger_models import (
    CreditAllocation,
    CreditNote,
    CreditNoteLine,
    Customer,
    Facility,
    Invoice,
    InvoiceLine,
    Payment,
    Tenancy,
    Unit,
)
from .sync_models import (
    AppSetting,
    ChangeLog,
    ChecklistSignoff,
    ImportBatch,
    Link,
    Mapping,
    ReconException,
    SyncItem,
    SyncLockHolder,
    SyncRun,
    Watermark,
    XeroReference,
)

__all__ = [
    "AppSetting", "Base", "ChangeLog", "ChecklistSignoff", "CreditAllocation", "CreditNote",
    "CreditNoteLine", "Customer", "Facility", "ImportBatch", "Invoice", "InvoiceLine", "Link",
    "Mapping", "Payment", "ReconException", "SyncItem", "SyncLockHolder", "SyncRun", "Tenancy", "Unit", "Watermark",
    "XeroReference",
]
