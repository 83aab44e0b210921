"""Transport operators, their staff and vehicles, and the documents each of them holds."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Date, DateTime, Enum, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hts.db import Base, utcnow


class StaffRole(enum.StrEnum):
    """What a member of an operator's staff does on a route."""

    DRIVER = "driver"
    PASSENGER_ASSISTANT = "passenger_assistant"


class VehicleType(enum.StrEnum):
    """Vehicle classes a council contracts."""

    CAR = "car"
    MPV = "mpv"
    WAV = "wav"
    MINIBUS = "minibus"


class HolderType(enum.StrEnum):
    """What a document is held by."""

    OPERATOR = "operator"
    STAFF = "staff"
    VEHICLE = "vehicle"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Store the lower-case values, as a CHECK constraint rather than a native PostgreSQL type,
    # so adding a value is a one-line migration on both databases.
    return Enum(
        cls, name=name, native_enum=False, create_constraint=True, length=32,
        values_callable=lambda e: [m.value for m in e],
    )


class Operator(Base):
    """A transport company contracted by the council."""

    __tablename__ = "operator"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_ref: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(254))
    depot_postcode: Mapped[str] = mapped_column(String(10))
    depot_latitude: Mapped[float] = mapped_column(Float)
    depot_longitude: Mapped[float] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    staff: Mapped[list[Staff]] = relationship(back_populates="operator")
    vehicles: Mapped[list[Vehicle]] = relationship(back_populates="operator")

    def __str__(self) -> str:
        return f"{self.name} ({self.operator_ref})"


class Staff(Base):
    """A driver or passenger assistant employed by an operator."""

    __tablename__ = "staff"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_ref: Mapped[str] = mapped_column(String(32), unique=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operator.id", ondelete="RESTRICT"), index=True)
    role: Mapped[StaffRole] = mapped_column(_enum(StaffRole, "staff_role"))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    operator: Mapped[Operator] = relationship(back_populates="staff")

    @property
    def full_name(self) -> str:
        """First and last name."""
        return f"{self.first_name} {self.last_name}"

    def __str__(self) -> str:
        return f"{self.full_name} ({self.staff_ref})"


class Vehicle(Base):
    """A vehicle an operator runs, with its two capacity dimensions."""

    __tablename__ = "vehicle"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    registration: Mapped[str] = mapped_column(String(16), unique=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operator.id", ondelete="RESTRICT"), index=True)
    vehicle_type: Mapped[VehicleType] = mapped_column(_enum(VehicleType, "vehicle_type"))
    seats: Mapped[int] = mapped_column(Integer)
    wheelchair_spaces: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    operator: Mapped[Operator] = relationship(back_populates="vehicles")

    __table_args__ = (
        CheckConstraint("seats >= 0 AND wheelchair_spaces >= 0", name="capacity"),
        CheckConstraint("seats + wheelchair_spaces > 0", name="carries_someone"),
    )

    def __str__(self) -> str:
        return self.registration


class Document(Base):
    """A document held by exactly one operator, member of staff or vehicle."""

    __tablename__ = "document"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    holder_type: Mapped[HolderType] = mapped_column(_enum(HolderType, "holder_type"))
    operator_id: Mapped[int | None] = mapped_column(
        ForeignKey("operator.id", ondelete="CASCADE"), index=True
    )
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    vehicle_id: Mapped[int | None] = mapped_column(
        ForeignKey("vehicle.id", ondelete="CASCADE"), index=True
    )
    document_type: Mapped[str] = mapped_column(String(40), index=True)
    reference: Mapped[str] = mapped_column(String(64))
    issued_on: Mapped[dt.date | None] = mapped_column(Date)
    expires_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    #: 'verified', 'pending' or 'rejected'; for a DBS Update Service check, its result code.
    status: Mapped[str] = mapped_column(String(32), default="verified")
    #: Who recorded it (an officer, an operator's user, an import, or the Update Service check).
    recorded_by: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    operator: Mapped[Operator | None] = relationship()
    staff: Mapped[Staff | None] = relationship()
    vehicle: Mapped[Vehicle | None] = relationship()

    __table_args__ = (
        CheckConstraint(
            "(holder_type = 'operator' AND operator_id IS NOT NULL AND staff_id IS NULL"
            " AND vehicle_id IS NULL)"
            " OR (holder_type = 'staff' AND staff_id IS NOT NULL AND operator_id IS NULL"
            " AND vehicle_id IS NULL)"
            " OR (holder_type = 'vehicle' AND vehicle_id IS NOT NULL AND operator_id IS NULL"
            " AND staff_id IS NULL)",
            name="one_holder",
        ),
        CheckConstraint(
            "expires_on IS NULL OR issued_on IS NULL OR issued_on <= expires_on", name="dates"
        ),
    )

    @property
    def holder(self) -> Operator | Staff | Vehicle:
        """The operator, member of staff or vehicle holding the document."""
        return self.operator or self.staff or self.vehicle  # type: ignore[return-value]

    @property
    def holder_ref(self) -> str:
        """The holder's own reference (operator_ref, staff_ref or registration)."""
        if self.operator is not None:
            return self.operator.operator_ref
        if self.staff is not None:
            return self.staff.staff_ref
        return self.vehicle.registration if self.vehicle else ""

    def __str__(self) -> str:
        return f"{self.document_type} {self.reference}"


#: Document types of domain.md; the import refuses others.
DOCUMENT_TYPES: dict[str, str] = {
    "dbs_enhanced": "Enhanced DBS certificate with children's barred list",
    "dbs_update_check": "DBS Update Service status check",
    "driving_licence": "Driving licence",
    "driver_badge": "Hackney carriage or private hire driver badge",
    "safeguarding_training": "Safeguarding training",
    "pa_training": "Passenger assistant training",
    "council_id_badge": "Council ID badge",
    "vehicle_licence": "Vehicle licence (plate)",
    "mot": "MOT certificate",
    "vehicle_insurance": "Vehicle insurance",
    "psv_operator_licence": "PSV operator licence",
    "section_19_permit": "Section 19 permit",
    "operator_licence": "Operator licence",
    "public_liability_insurance": "Public liability insurance",
    "employers_liability_insurance": "Employer's liability insurance",
    "contract": "Contract",
}

#: Which holders may hold which document types.
DOCUMENT_HOLDERS: dict[str, frozenset[str]] = {
    "operator": frozenset(
        {"operator_licence", "psv_operator_licence", "public_liability_insurance",
         "employers_liability_insurance", "contract"}
    ),
    "staff": frozenset(
        {"dbs_enhanced", "dbs_update_check", "driving_licence", "driver_badge",
         "safeguarding_training", "pa_training", "council_id_badge"}
    ),
    "vehicle": frozenset(
        {"vehicle_licence", "mot", "vehicle_insurance", "psv_operator_licence",
         "section_19_permit"}
    ),
}

DBS_RESULT_CODES = ("BLANK_NO_NEW_INFO", "NON_BLANK_NO_NEW_INFO", "NEW_INFO", "NO_MATCH_FOUND")
DOCUMENT_STATUSES = ("verified", "pending", "rejected")
