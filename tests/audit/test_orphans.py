"""Rows deleted as orphans (removed from a relationship) are audited like explicit deletes."""

from __future__ import annotations

from sqlalchemy import select

from hts import weekdays
from hts.audit.models import AuditEntry
from hts.people.models import PupilAddress
from tests import factories


def test_removing_an_address_from_a_pupil_records_its_deletion(db_session):
    pupil = factories.make_pupil(db_session)
    second = PupilAddress(is_main=False, address="2 Other Road", postcode="B3 3CC", latitude=52.5,
                          longitude=-1.8, days=weekdays.parse("Wed"))
    pupil.addresses.append(second)
    db_session.flush()
    address_id = second.id
    pupil.addresses.remove(second)
    db_session.flush()
    entries = db_session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "pupil_address",
                                                         AuditEntry.entity_id == address_id)).all()
    assert [e.action for e in entries] == ["create", "delete"]
    assert entries[-1].before["address"] == "2 Other Road"
