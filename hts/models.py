"""Import every model so the metadata knows every table (Alembic and the app use this)."""

from hts.api.models import ApiToken
from hts.audit.models import AuditEntry
from hts.auth.models import LoginAttempt, User
from hts.compliance.models import (
    GatewayReview,
    GatewayReviewItem,
    OperatorDecision,
    SweepResult,
)
from hts.mail.models import OutboxMessage
from hts.operations.models import (
    BusPassApplication,
    CallDay,
    Complaint,
    PupilAbsence,
    Run,
    RunEvent,
    RunPupil,
    SafeguardingCase,
    SchoolClosure,
    SchoolTerm,
)
from hts.operators.models import Document, Operator, Staff, Vehicle
from hts.people.models import GeocodeCache, Postcode, Pupil, PupilAddress, School
from hts.privacy.models import PupilRecordView
from hts.routing.models import (
    DraftPlan,
    DraftRoute,
    PupilIncompatibility,
    Route,
    RouteStop,
    route_stop_pupil,
)
from hts.scheduler import JobStatus, apscheduler_jobs
from hts.sitrep.models import SitrepSnapshot

__all__ = [
    "DraftPlan", "DraftRoute", "PupilIncompatibility",
    "ApiToken",
    "JobStatus", "apscheduler_jobs",
    "SitrepSnapshot",
    "PupilRecordView",
    "BusPassApplication", "CallDay", "Complaint", "PupilAbsence", "Run", "RunEvent", "RunPupil",
    "SafeguardingCase", "SchoolClosure", "SchoolTerm",
    "AuditEntry", "Document", "GatewayReview", "GatewayReviewItem", "OperatorDecision", "OutboxMessage", "SweepResult", "GeocodeCache", "LoginAttempt", "Operator", "Postcode", "Pupil",
    "PupilAddress", "Route", "RouteStop", "School", "Staff", "User", "Vehicle", "route_stop_pupil",
]
