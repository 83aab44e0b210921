"""The published route network: routes, their ordered stops and the pupils at each stop."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement

from hts import weekdays
from hts.db import Base, utcnow
from hts.operators.models import Operator, Staff, Vehicle
from hts.people.models import Pupil, School


class Session(enum.StrEnum):
    """Morning (to school) or afternoon (home from school)."""

    AM = "am"
    PM = "pm"


class StopKind(enum.StrEnum):
    """What happens at a stop."""

    PICKUP = "pickup"
    SCHOOL = "school"
    DROPOFF = "dropoff"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(
        cls, name=name, native_enum=False, create_constraint=True, length=16,
        values_callable=lambda e: [m.value for m in e],
    )


route_stop_pupil = Table(
    "route_stop_pupil",
    Base.metadata,
    Column("stop_id", ForeignKey("route_stop.id", ondelete="CASCADE"), primary_key=True),
    Column("pupil_id", ForeignKey("pupil.id", ondelete="RESTRICT"), primary_key=True, index=True),
)


class Route(Base):
    """A published route: one vehicle's journey to (am) or from (pm) school on given weekdays."""

    __tablename__ = "route"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    route_code: Mapped[str] = mapped_column(String(32), unique=True)
    session: Mapped[Session] = mapped_column(_enum(Session, "route_session"))
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="RESTRICT"), index=True)
    operator_id: Mapped[int | None] = mapped_column(
        ForeignKey("operator.id", ondelete="RESTRICT"), index=True
    )
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicle.id", ondelete="SET NULL"))
    driver_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    pa_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    daily_price_pence: Mapped[int] = mapped_column(Integer, default=0)
    days: Mapped[int] = mapped_column(Integer, default=weekdays.SCHOOL_DAYS)
    distance_metres: Mapped[int] = mapped_column(Integer, default=0)
    #: The number of the version in force today (see RouteVersion; runs copy it).
    version: Mapped[int] = mapped_column(Integer, default=1)
    #: The contracted vehicle class (car, mpv, wav, minibus): the capacity to plan with while
    #: no vehicle is assigned.
    vehicle_type: Mapped[str | None] = mapped_column(String(16))
    #: A planner locked the route: re-optimisation leaves it and its pupils as they are.
    locked: Mapped[bool] = mapped_column(default=False)
    #: A route created by a change request runs from this day; None means from publication.
    starts_on: Mapped[dt.date | None] = mapped_column(Date)
    #: Set when a promoted plan replaced the route: kept for its runs and history, no longer run.
    withdrawn_on: Mapped[dt.date | None] = mapped_column(Date)
    published_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    school: Mapped[School] = relationship()
    operator: Mapped[Operator | None] = relationship()
    vehicle: Mapped[Vehicle | None] = relationship()
    driver: Mapped[Staff | None] = relationship(foreign_keys=[driver_id])
    pa: Mapped[Staff | None] = relationship(foreign_keys=[pa_id])
    stops: Mapped[list[RouteStop]] = relationship(
        back_populates="route", cascade="all, delete-orphan", order_by="RouteStop.sequence"
    )

    __table_args__ = (
        CheckConstraint("daily_price_pence >= 0", name="price"),
        CheckConstraint("driver_id IS NULL OR pa_id IS NULL OR driver_id <> pa_id", name="crew"),
    )

    @property
    def pupils(self) -> list[Pupil]:
        """Pupils on the route in stop order."""
        return [pupil for stop in self.stops for pupil in stop.pupils]

    @property
    def daily_price(self) -> float:
        """Daily price in pounds."""
        return self.daily_price_pence / 100

    def __str__(self) -> str:
        return self.route_code


class RouteStop(Base):
    """A stop on a route, in order, with its planned time."""

    __tablename__ = "route_stop"

    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("route.id", ondelete="CASCADE"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    kind: Mapped[StopKind] = mapped_column(_enum(StopKind, "stop_kind"))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id", ondelete="RESTRICT"))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    planned_time: Mapped[dt.time] = mapped_column(Time)

    route: Mapped[Route] = relationship(back_populates="stops")
    school: Mapped[School | None] = relationship()
    pupils: Mapped[list[Pupil]] = relationship(secondary=route_stop_pupil, order_by="Pupil.pupil_ref")

    __table_args__ = (UniqueConstraint("route_id", "sequence"),)


def serving(school_ids: list[int]) -> ColumnElement[bool]:
    """Routes that serve one of these schools: their own, or one they stop at on the way (nearby
    schools sharing a vehicle)."""
    return or_(Route.school_id.in_(school_ids),
               Route.id.in_(select(RouteStop.route_id).where(RouteStop.school_id.in_(school_ids))))


class PupilIncompatibility(Base):
    """Two pupils who must not travel together, with the reason (kept from the crew)."""

    __tablename__ = "pupil_incompatibility"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupil.id", ondelete="CASCADE"), index=True)
    other_pupil_id: Mapped[int] = mapped_column(ForeignKey("pupil.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(200))

    __table_args__ = (
        UniqueConstraint("pupil_id", "other_pupil_id"),
        CheckConstraint("pupil_id < other_pupil_id", name="ordered_pair"),
    )

    def __str__(self) -> str:
        return f"Incompatibility {self.pupil_id}-{self.other_pupil_id}"


class PlanStatus(enum.StrEnum):
    """Where a draft plan is in its life."""

    QUEUED = "queued"
    RUNNING = "running"
    READY = "ready"
    FAILED = "failed"
    DISCARDED = "discarded"
    PROMOTED = "promoted"


class DraftPlan(Base):
    """An optimised plan for a session and weekday, for planners to review before it is published."""

    __tablename__ = "draft_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    session: Mapped[Session] = mapped_column(_enum(Session, "plan_session"))
    weekday: Mapped[int] = mapped_column(Integer)
    #: The schools planned (URNs); empty means every school.
    school_urns: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[PlanStatus] = mapped_column(_enum(PlanStatus, "plan_status"), default=PlanStatus.QUEUED)
    time_limit_seconds: Mapped[int] = mapped_column(Integer)
    requested_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    progress_message: Mapped[str] = mapped_column(String(300), default="")
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    unassigned: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text)

    routes: Mapped[list[DraftRoute]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="DraftRoute.route_code"
    )

    def __str__(self) -> str:
        return f"Draft plan {self.id} ({self.session} {weekdays.NAMES[self.weekday]})"


class DraftRoute(Base):
    """One route of a draft plan; its stops are kept as data until the plan is promoted."""

    __tablename__ = "draft_route"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("draft_plan.id", ondelete="CASCADE"), index=True)
    route_code: Mapped[str] = mapped_column(String(32))
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"))
    vehicle_type: Mapped[str] = mapped_column(String(16))
    seats: Mapped[int] = mapped_column(Integer)
    wheelchair_spaces: Mapped[int] = mapped_column(Integer)
    passenger_assistant: Mapped[bool] = mapped_column()
    daily_price_pence: Mapped[int] = mapped_column(Integer)
    distance_metres: Mapped[int] = mapped_column(Integer)
    #: [{"time": "08:12", "latitude": .., "longitude": .., "pupil_refs": [..]} or {"school_urn": ..}]
    stops: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    #: pupil_ref -> ride minutes
    ride_minutes: Mapped[dict[str, float]] = mapped_column(JSON)

    plan: Mapped[DraftPlan] = relationship(back_populates="routes")
    school: Mapped[School] = relationship()

    __table_args__ = (UniqueConstraint("plan_id", "route_code"),)

    @property
    def other_school_urns(self) -> list[str]:
        """Schools the route stops at besides its own (nearby schools sharing the vehicle)."""
        own = self.school.urn if self.school is not None else None
        return list(dict.fromkeys(stop["school_urn"] for stop in self.stops
                                  if "school_urn" in stop and stop["school_urn"] != own))


class ChangeState(enum.StrEnum):
    """Where a route change request is: draft -> submitted -> approved -> published, or rejected."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    PUBLISHED = "published"
    REJECTED = "rejected"

    @property
    def is_open(self) -> bool:
        """Whether the request still holds its routes (no other request may change them)."""
        return self in (ChangeState.DRAFT, ChangeState.SUBMITTED, ChangeState.APPROVED)


class ChangeAction(enum.StrEnum):
    """What a change request does to one route."""

    MODIFY = "modify"
    CREATE = "create"
    WITHDRAW = "withdraw"


class ChangeRequest(Base):
    """A controlled change to published routes: why, who asked, from when, and who approved it."""

    __tablename__ = "change_request"
    __audited__ = True
    __audit_exclude__ = frozenset({"lock_version", "updated_at"})

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    #: Who asked for the change (a school, a parent, the compliance team...), as told.
    requested_by: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[ChangeState] = mapped_column(_enum(ChangeState, "change_state"), default=ChangeState.DRAFT,
                                               index=True)
    effective_date: Mapped[dt.date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    rejected_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    rejected_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: School days of notice the operator had when it was published.
    notice_school_days: Mapped[int | None] = mapped_column(Integer)
    #: Optimistic locking: every save increments it; a save from a stale page is refused.
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    items: Mapped[list[RouteChange]] = relationship(
        back_populates="change", cascade="all, delete-orphan", order_by="RouteChange.id"
    )
    created_by: Mapped[Any] = relationship("User", foreign_keys=[created_by_id])
    submitted_by: Mapped[Any] = relationship("User", foreign_keys=[submitted_by_id])
    approved_by: Mapped[Any] = relationship("User", foreign_keys=[approved_by_id])
    rejected_by: Mapped[Any] = relationship("User", foreign_keys=[rejected_by_id])
    published_by: Mapped[Any] = relationship("User", foreign_keys=[published_by_id])

    __mapper_args__ = {"version_id_col": lock_version}

    def __str__(self) -> str:
        return f"Change {self.id}: {self.title}"


class RouteChange(Base):
    """One route in a change request: the version it was drawn from and what it becomes."""

    __tablename__ = "route_change"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    change_request_id: Mapped[int] = mapped_column(
        ForeignKey("change_request.id", ondelete="CASCADE"), index=True
    )
    #: None for a route the change creates, until it is published.
    route_id: Mapped[int | None] = mapped_column(ForeignKey("route.id", ondelete="CASCADE"), index=True)
    action: Mapped[ChangeAction] = mapped_column(_enum(ChangeAction, "change_action"))
    #: The route's newest published version when the change was drawn up (optimistic locking).
    base_version: Mapped[int | None] = mapped_column(Integer)
    route_code: Mapped[str] = mapped_column(String(32))
    #: The route as it will be (see hts.routing.versions); None when it is withdrawn.
    proposed: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: Readable lines: pupils added or removed, stop order, times, vehicle, crew.
    summary: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: The route while the request is open, else None: unique, so one open request per route
    #: (and per new route code), even with two planners at the same moment.
    open_key: Mapped[str | None] = mapped_column(String(48), unique=True)

    change: Mapped[ChangeRequest] = relationship(back_populates="items")
    route: Mapped[Route | None] = relationship()

    def __str__(self) -> str:
        return f"{self.action.value} {self.route_code}"


class RouteVersion(Base):
    """A published version of a route and the day it takes effect: one in force on any day."""

    __tablename__ = "route_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("route.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[dt.date] = mapped_column(Date)
    #: The route as published (see hts.routing.versions); {"withdrawn": true} for a withdrawal.
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    change_request_id: Mapped[int | None] = mapped_column(ForeignKey("change_request.id", ondelete="SET NULL"))
    published_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    published_by: Mapped[str] = mapped_column(String(254), default="")

    change: Mapped[ChangeRequest | None] = relationship()

    __table_args__ = (
        UniqueConstraint("route_id", "version"),
        UniqueConstraint("route_id", "effective_from"),
    )
