"""Schools, pupils and their home addresses; the offline postcode table and geocoding cache."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hts import weekdays
from hts.db import Base, utcnow


class School(Base):
    """A school that pupils travel to."""

    __tablename__ = "school"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    urn: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    postcode: Mapped[str] = mapped_column(String(10))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    start_time: Mapped[dt.time] = mapped_column(Time)
    finish_time: Mapped[dt.time] = mapped_column(Time)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    pupils: Mapped[list[Pupil]] = relationship(back_populates="school")

    __table_args__ = (CheckConstraint("start_time < finish_time", name="day_order"),)

    def __str__(self) -> str:
        return f"{self.name} ({self.urn})"


class Pupil(Base):
    """A child eligible for transport, with the needs that shape their journey."""

    __tablename__ = "pupil"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_ref: Mapped[str] = mapped_column(String(32), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[dt.date] = mapped_column(Date)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="RESTRICT"), index=True)
    wheelchair: Mapped[bool] = mapped_column(Boolean, default=False)
    passenger_assistant: Mapped[bool] = mapped_column(Boolean, default=False)
    solo: Mapped[bool] = mapped_column(Boolean, default=False)
    max_ride_minutes: Mapped[int | None] = mapped_column(Integer)
    travel_days: Mapped[int] = mapped_column(Integer, default=weekdays.SCHOOL_DAYS)
    #: The day the pupil stopped using transport; retention counts from it (hts/privacy/retention.py).
    transport_ended_on: Mapped[dt.date | None] = mapped_column(Date)
    #: When the retention job replaced the pupil's personal data; such a record holds no names.
    anonymised_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    school: Mapped[School] = relationship(back_populates="pupils")
    addresses: Mapped[list[PupilAddress]] = relationship(
        back_populates="pupil",
        cascade="all, delete-orphan",
        order_by="PupilAddress.is_main.desc(), PupilAddress.id",
    )

    __table_args__ = (
        CheckConstraint("max_ride_minutes IS NULL OR max_ride_minutes > 0", name="ride_limit"),
        CheckConstraint("travel_days > 0 AND travel_days < 128", name="travel_days_mask"),
    )

    @property
    def full_name(self) -> str:
        """First and last name."""
        return f"{self.first_name} {self.last_name}"

    def age_on(self, day: dt.date) -> int:
        """Age in whole years on the given day."""
        birthday_passed = (day.month, day.day) >= (self.date_of_birth.month, self.date_of_birth.day)
        return day.year - self.date_of_birth.year - (0 if birthday_passed else 1)

    def address_on(self, day: dt.date | int) -> PupilAddress | None:
        """The home address the pupil travels from on that weekday (shared care aware)."""
        main = None
        for address in self.addresses:
            if address.is_main:
                main = address
            elif weekdays.includes(address.days, day):
                return address
        return main

    def __str__(self) -> str:
        return f"{self.full_name} ({self.pupil_ref})"


class PupilAddress(Base):
    """A pupil's home address; a second one carries the weekdays spent there (shared care)."""

    __tablename__ = "pupil_address"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupil.id", ondelete="CASCADE"), index=True)
    is_main: Mapped[bool] = mapped_column(Boolean, default=True)
    address: Mapped[str] = mapped_column(String(300))
    postcode: Mapped[str] = mapped_column(String(10))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    #: Weekdays at this address; for the main address, the days not covered by another.
    days: Mapped[int] = mapped_column(Integer, default=weekdays.SCHOOL_DAYS)
    geocoded_by: Mapped[str] = mapped_column(String(20), default="file")

    pupil: Mapped[Pupil] = relationship(back_populates="addresses")

    def __str__(self) -> str:
        return f"{self.address}, {self.postcode}"


class Postcode(Base):
    """A row of the ONS Postcode Directory: the offline geocoder's table."""

    __tablename__ = "postcode"

    #: Normalised: upper case with one space before the inward code (e.g. 'B1 1AA').
    pcds: Mapped[str] = mapped_column(String(10), primary_key=True)
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)


class GeocodeCache(Base):
    """A remembered answer from an online geocoder, so each query is asked once."""

    __tablename__ = "geocode_cache"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    query: Mapped[str] = mapped_column(String(400))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (UniqueConstraint("provider", "query"),)
