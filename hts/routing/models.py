"""The published route network: routes, their ordered stops and the pupils at each stop."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

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
    version: Mapped[int] = mapped_column(Integer, default=1)
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
