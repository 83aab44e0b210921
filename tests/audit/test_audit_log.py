"""Changes to audited records are logged with who, what and when."""

from __future__ import annotations

from sqlalchemy import select

from hts.audit.log import Actor, acting_as
from hts.audit.models import AuditEntry
from tests import factories


def _entries(session, entity_type, entity_id):
    return list(session.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id)
        .order_by(AuditEntry.id)
    ))


def test_creating_and_changing_a_pupil_records_before_and_after(db_session):
    with acting_as(Actor("planner@council.example", None)):
        pupil = factories.make_pupil(db_session, first_name="Ava")
        pupil.first_name = "Eva"
        pupil.wheelchair = True
        db_session.flush()
    created, updated = _entries(db_session, "pupil", pupil.id)
    assert created.action == "create" and created.after["first_name"] == "Ava"
    assert updated.action == "update"
    assert updated.before == {"first_name": "Ava", "wheelchair": False}
    assert updated.after == {"first_name": "Eva", "wheelchair": True}
    assert updated.actor == "planner@council.example"


def test_deleting_a_document_records_what_it_held(db_session):
    staff = factories.make_staff(db_session)
    document = factories.make_document(db_session, holder=staff, reference="123456789012")
    document_id = document.id
    db_session.delete(document)
    db_session.flush()
    deleted = _entries(db_session, "document", document_id)[-1]
    assert deleted.action == "delete"
    assert deleted.before["reference"] == "123456789012"
    assert deleted.after is None


def test_passwords_never_reach_the_audit_log(db_session):
    user = factories.make_user(db_session, role="admin")
    entry = _entries(db_session, "app_user", user.id)[0]
    assert "password_hash" not in entry.after
    assert "session_token" not in entry.after


def test_an_unchanged_save_writes_no_entry(db_session):
    school = factories.make_school(db_session, name="Oak Primary")
    school.name = "Oak Primary"
    db_session.flush()
    assert [e.action for e in _entries(db_session, "school", school.id)] == ["create"]
