"""The collector's tables. Import models from here; `metadata` is what the migrations describe."""

from collector.models.accounts import ROLE_LABELS, ROLES, ApiToken, AuditEntry, User
from collector.models.base import Base
from collector.models.dossiers import (
    DOSSIER_EVENT_KINDS,
    DOSSIER_OUTCOMES,
    Dossier,
    DossierEvent,
)
from collector.models.jobs import ExportJob
from collector.models.kiosks import Kiosk, KioskChain
from collector.models.procedures import Procedure
from collector.models.receipts import RECEIPT_STATES, IntegrationToken, Receipt
from collector.models.reports import (
    CountsState,
    ReportCount,
    ReportCross,
    ReportGroupCount,
    ReportTarget,
)
from collector.models.responses import CHANNELS, Answer, Response
from collector.models.units import Unit, UnitLink

metadata = Base.metadata

__all__ = [
    "CHANNELS",
    "ROLES",
    "ROLE_LABELS",
    "Answer",
    "ApiToken",
    "AuditEntry",
    "Base",
    "CountsState",
    "DOSSIER_EVENT_KINDS",
    "DOSSIER_OUTCOMES",
    "Dossier",
    "DossierEvent",
    "ExportJob",
    "IntegrationToken",
    "Procedure",
    "Kiosk",
    "KioskChain",
    "RECEIPT_STATES",
    "Receipt",
    "ReportCount",
    "ReportCross",
    "ReportGroupCount",
    "ReportTarget",
    "Response",
    "Unit",
    "UnitLink",
    "User",
    "metadata",
]
