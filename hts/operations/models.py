"""The school calendar, daily runs with their pupils and events, and pupil absences."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    String,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hts.db import Base, utcnow
from hts.operators.models import Staff, Vehicle
from hts.people.models import Pupil, School
from hts.routing.models import Route


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, create_constraint=True, length=20,
                values_callable=lambda e: [m.value for m in e])


class SchoolTerm(Base):
    """A term for one school, or for every school when `school_id` is empty (the council's dates)."""

    __tablename__ = "school_term"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)

    school: Mapped[School | None] = relationship()

    __table_args__ = (CheckConstraint("starts_on <= ends_on", name="order"),)


class ClosureKind(enum.StrEnum):
    """Why a school is shut on a term-time weekday."""

    INSET = "inset"
    CLOSURE = "closure"


class SchoolClosure(Base):
    """An inset day or unplanned closure, for one school or all (audited: it stands runs down)."""

    __tablename__ = "school_closure"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    closed_on: Mapped[dt.date] = mapped_column(Date, index=True)
    kind: Mapped[ClosureKind] = mapped_column(_enum(ClosureKind, "closure_kind"))
    reason: Mapped[str] = mapped_column(String(200))

    school: Mapped[School | None] = relationship()

    def __str__(self) -> str:
        where = f"school {self.school_id}" if self.school_id is not None else "every school"
        return f"{self.kind.value} of {where} on {self.closed_on.isoformat()}"


class RunStatus(enum.StrEnum):
    """Where a run is in its day."""

    SCHEDULED = "scheduled"
    UNDER_WAY = "under_way"
    ARRIVED = "arrived"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NOT_REQUIRED = "not_required"


#: Statuses that count as delivered in the SITREP.
DELIVERED = (RunStatus.ARRIVED, RunStatus.COMPLETED)


class Run(Base):
    """One route on one day: the crew on the day, the pupils expected and what happened."""

    __tablename__ = "run"

    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("route.id", ondelete="CASCADE"), index=True)
    run_on: Mapped[dt.date] = mapped_column(Date, index=True)
    session: Mapped[str] = mapped_column(String(2))
    route_version: Mapped[int] = mapped_column(Integer)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="RESTRICT"), index=True)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operator.id", ondelete="SET NULL"), index=True)
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicle.id", ondelete="SET NULL"))
    driver_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    pa_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    status: Mapped[RunStatus] = mapped_column(_enum(RunStatus, "run_status"), default=RunStatus.SCHEDULED)
    reason: Mapped[str | None] = mapped_column(String(300))
    #: The time the run must reach school by: the start time (am) or finish time (pm).
    due_at_school: Mapped[dt.time] = mapped_column(Time)
    arrived_at_school: Mapped[dt.time | None] = mapped_column(Time)
    on_time: Mapped[bool | None] = mapped_column(Boolean)
    pupils_expected: Mapped[int] = mapped_column(Integer, default=0)
    pupils_absent: Mapped[int] = mapped_column(Integer, default=0)
    pupils_transported: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    route: Mapped[Route] = relationship()
    school: Mapped[School] = relationship()
    vehicle: Mapped[Vehicle | None] = relationship()
    driver: Mapped[Staff | None] = relationship(foreign_keys=[driver_id])
    pa: Mapped[Staff | None] = relationship(foreign_keys=[pa_id])
    pupils: Mapped[list[RunPupil]] = relationship(back_populates="run", cascade="all, delete-orphan",
                                                  order_by="RunPupil.sequence")

    __table_args__ = (
        UniqueConstraint("route_id", "run_on"),
        CheckConstraint("pupils_absent <= pupils_expected AND pupils_transported <= pupils_expected",
                        name="pupil_counts"),
    )

    def __str__(self) -> str:
        return f"{self.route.route_code} on {self.run_on.isoformat()}"


class RunPupilStatus(enum.StrEnum):
    """A pupil's journey on a run."""

    EXPECTED = "expected"
    ABSENT = "absent"
    BOARDED = "boarded"
    NOT_PRESENTED = "not_presented"
    DELIVERED = "delivered"


class RunPupil(Base):
    """A pupil expected on a run, and what became of their journey."""

    __tablename__ = "run_pupil"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("run.id", ondelete="CASCADE"), index=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupil.id", ondelete="CASCADE"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    status: Mapped[RunPupilStatus] = mapped_column(_enum(RunPupilStatus, "run_pupil_status"),
                                                   default=RunPupilStatus.EXPECTED)

    run: Mapped[Run] = relationship(back_populates="pupils")
    pupil: Mapped[Pupil] = relationship()

    __table_args__ = (UniqueConstraint("run_id", "pupil_id"),)


class RunEvent(Base):
    """Something reported about a run (by an operator's device, the control room or an import)."""

    __tablename__ = "run_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("run.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    pupil_id: Mapped[int | None] = mapped_column(ForeignKey("pupil.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(100))
    #: Unique per source, so a retried post never counts twice.
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (UniqueConstraint("source", "idempotency_key"),)


class PupilAbsence(Base):
    """A pupil not travelling on a day (both sessions, or one)."""

    __tablename__ = "pupil_absence"

    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupil.id", ondelete="CASCADE"), index=True)
    absent_on: Mapped[dt.date] = mapped_column(Date, index=True)
    #: 'am', 'pm' or 'both'.
    session: Mapped[str] = mapped_column(String(4), default="both")
    reason: Mapped[str] = mapped_column(String(200))
    recorded_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    pupil: Mapped[Pupil] = relationship()

    __table_args__ = (UniqueConstraint("pupil_id", "absent_on", "session"),)


class CallDay(Base):
    """Calls to the transport line on one day, as the telephony system reports them."""

    __tablename__ = "call_day"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_on: Mapped[dt.date] = mapped_column(Date, unique=True)
    received: Mapped[int] = mapped_column(Integer)
    answered: Mapped[int] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("answered >= 0 AND answered <= received", name="counts"),)


class Complaint(Base):
    """A complaint, with the date a response is due."""

    __tablename__ = "complaint"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    received_on: Mapped[dt.date] = mapped_column(Date, index=True)
    category: Mapped[str] = mapped_column(String(60))
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operator.id", ondelete="SET NULL"), index=True)
    route_id: Mapped[int | None] = mapped_column(ForeignKey("route.id", ondelete="SET NULL"))
    response_due_on: Mapped[dt.date] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)

    route: Mapped[Route | None] = relationship()

    __table_args__ = (CheckConstraint("closed_on IS NULL OR closed_on >= received_on", name="dates"),)

    def __str__(self) -> str:
        return self.reference


class SafeguardingCase(Base):
    """A safeguarding concern raised about transport, open until closed."""

    __tablename__ = "safeguarding_case"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    opened_on: Mapped[dt.date] = mapped_column(Date, index=True)
    category: Mapped[str] = mapped_column(String(60))
    route_id: Mapped[int | None] = mapped_column(ForeignKey("route.id", ondelete="SET NULL"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    pupil_id: Mapped[int | None] = mapped_column(ForeignKey("pupil.id", ondelete="SET NULL"))
    closed_on: Mapped[dt.date | None] = mapped_column(Date)

    __table_args__ = (CheckConstraint("closed_on IS NULL OR closed_on >= opened_on", name="dates"),)

    def __str__(self) -> str:
        return self.reference


class BusPassApplication(Base):
    """An application for a bus pass, awaiting assessment until assessed."""

    __tablename__ = "bus_pass_application"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    received_on: Mapped[dt.date] = mapped_column(Date, index=True)
    assessed_on: Mapped[dt.date | None] = mapped_column(Date)

    __table_args__ = (CheckConstraint("assessed_on IS NULL OR assessed_on >= received_on", name="dates"),)
