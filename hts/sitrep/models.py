"""Stored SITREP snapshots: the figures of a day as computed each evening, recomputed on late data."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime
from sqlalchemy.orm import Mapped, mapped_column

from hts.db import Base, utcnow


class SitrepSnapshot(Base):
    """One day's figures; `stale` is set when data for the day arrives after it was computed."""

    __tablename__ = "sitrep_snapshot"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, unique=True)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    stale: Mapped[bool] = mapped_column(Boolean, default=False)
