"""Data protection: views of a child's record are logged and shown to admins; subject access exports."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from hts import weekdays
from hts.audit.log import Actor, acting_as
from hts.audit.log import record as audit_record
from hts.operations.models import Run, RunEvent, RunPupil, SafeguardingCase
from hts.people.models import PupilAddress
from hts.privacy.models import PupilRecordView
from hts.privacy.service import EXPORT_VIEW, record_view, subject_access_export
from hts.routing.models import PupilIncompatibility
from tests import factories


def _views(db_session, pupil):
    return db_session.scalars(
        select(PupilRecordView).where(PupilRecordView.pupil_id == pupil.id).order_by(PupilRecordView.id)
    ).all()


def _case_naming(db_session, pupil, reference="SG-0001"):
    case = SafeguardingCase(reference=reference, opened_on=dt.date(2026, 9, 10), category="Conduct",
                            pupil_id=pupil.id)
    db_session.add(case)
    db_session.flush()
    return case


def test_opening_a_pupil_page_logs_a_view_with_the_user(client, login, db_session):
    pupil = factories.make_pupil(db_session)
    user = login("planner")
    assert client.get(f"/pupils/{pupil.id}").status_code == 200
    db_session.expire_all()
    [view] = _views(db_session, pupil)
    assert (view.user_id, view.actor, view.what) == (user.id, user.email, "pupil page")
    assert view.viewed_at is not None


def test_the_pupil_page_links_admins_to_the_views_page_and_hides_it_from_planners(client, login, db_session):
    pupil = factories.make_pupil(db_session)
    login("planner")
    assert f"/privacy/pupils/{pupil.id}/views" not in client.get(f"/pupils/{pupil.id}").get_data(as_text=True)
    client.post("/logout")
    login("admin")
    assert f"/privacy/pupils/{pupil.id}/views" in client.get(f"/pupils/{pupil.id}").get_data(as_text=True)


def test_an_admin_sees_who_viewed_the_record(client, login, db_session):
    pupil = factories.make_pupil(db_session)
    with acting_as(Actor("viewer@council.example")):
        record_view(db_session, pupil.id, "run sheet")
    login("admin")
    page = client.get(f"/privacy/pupils/{pupil.id}/views")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "viewer@council.example" in text and "run sheet" in text
    assert f"/privacy/pupils/{pupil.id}/export" in text


@pytest.mark.parametrize("role", ["planner", "operations", "manager", "compliance"])
def test_non_admins_are_refused_the_privacy_pages(client, login, db_session, role):
    pupil = factories.make_pupil(db_session)
    login(role)
    assert client.get(f"/privacy/pupils/{pupil.id}/views").status_code == 403
    assert client.get(f"/privacy/pupils/{pupil.id}/export").status_code == 403
    db_session.expire_all()
    assert not [v for v in _views(db_session, pupil) if v.what == EXPORT_VIEW]


def test_an_unknown_pupil_is_not_found(client, login):
    login("admin")
    assert client.get("/privacy/pupils/999999/views").status_code == 404
    assert client.get("/privacy/pupils/999999/export").status_code == 404


def _full_pupil(db_session):
    pupil = factories.make_pupil(db_session, first_name="Zoë")
    other = factories.make_pupil(db_session, school=pupil.school, first_name="Alex", last_name="Other")
    current = factories.make_route(db_session, school=pupil.school, pupils=[pupil])
    old = factories.make_route(db_session, school=pupil.school, pupils=[pupil], withdrawn_on=dt.date(2026, 9, 1))
    audit_record(db_session, action="update", entity_type="route", entity_id=current.id,
                 entity_label=current.route_code, before={"pupils": other.pupil_ref},
                 after={"pupils": f"{other.pupil_ref} {pupil.pupil_ref}"})
    run = Run(route_id=current.id, run_on=dt.date(2026, 9, 14), session="am", route_version=1,
              school_id=pupil.school.id, due_at_school=dt.time(8, 50))
    run.pupils.append(RunPupil(pupil_id=pupil.id, sequence=1))
    db_session.add(run)
    db_session.flush()
    db_session.add(RunEvent(run_id=run.id, kind="no_show", occurred_at=dt.datetime(2026, 9, 14, 7, 40, tzinfo=dt.UTC),
                            pupil_id=pupil.id, reason="Not at the door", source="control room"))
    low, high = sorted((pupil.id, other.id))
    db_session.add(PupilIncompatibility(pupil_id=low, other_pupil_id=high, reason="Conflict on board"))
    case = _case_naming(db_session, pupil)
    _case_naming(db_session, other, reference="SG-0002")
    pupil.addresses[0].address = "1 New Street"
    db_session.flush()
    return pupil, other, current, old, case


def test_the_export_holds_everything_about_the_pupil_and_logs_itself(db_session):
    pupil, other, current, old, case = _full_pupil(db_session)
    with acting_as(Actor("earlier@council.example")):
        record_view(db_session, pupil.id, "pupil page")
    with acting_as(Actor("dpo@council.example", None)):
        data = subject_access_export(db_session, pupil)
    assert next(iter(data)) == "readme" and "subject access" in data["readme"]
    assert data["pupil"]["pupil_ref"] == pupil.pupil_ref and data["pupil"]["first_name"] == "Zoë"
    assert [a["address"] for a in data["addresses"]] == ["1 New Street"]
    assert [r["route_code"] for r in data["routes_current"]] == [current.route_code]
    assert [r["route_code"] for r in data["routes_withdrawn"]] == [old.route_code]
    assert [c["record_id"] for c in data["route_changes"]] == [current.id]
    assert [(r["route_code"], r["pupil_status"]) for r in data["runs"]] == [(current.route_code, "expected")]
    assert [(e["kind"], e["route_code"]) for e in data["run_events"]] == [("no_show", current.route_code)]
    assert data["incompatibilities"] == [{"reason": "Conflict on board"}]
    assert [c["reference"] for c in data["safeguarding_cases"]] == [case.reference]
    audited = {(e["record"], e["action"]) for e in data["audit_entries"]}
    assert {("pupil", "create"), ("pupil_address", "create"), ("pupil_address", "update")} <= audited
    assert all(e["record_id"] != other.id for e in data["audit_entries"] if e["record"] == "pupil")
    assert [(v["by"], v["what"]) for v in data["record_views"]] == [
        ("dpo@council.example", EXPORT_VIEW), ("earlier@council.example", "pupil page")]
    # Another child's personal details are not part of this pupil's request.
    assert "Alex" not in json.dumps(data, ensure_ascii=False)


def test_the_admin_export_downloads_pretty_utf8_json_and_is_logged(client, login, db_session):
    pupil, *_ = _full_pupil(db_session)
    user = login("admin")
    response = client.get(f"/privacy/pupils/{pupil.id}/export")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert f"subject-access-{pupil.pupil_ref}.json" in response.headers["Content-Disposition"]
    body = response.get_data().decode("utf-8")
    assert body.startswith('{\n  "readme": ') and "Zoë" in body
    assert json.loads(body)["record_views"][0]["by"] == user.email
    db_session.expire_all()
    assert [(v.user_id, v.what) for v in _views(db_session, pupil)] == [(user.id, EXPORT_VIEW)]


def test_the_command_writes_the_export_and_logs_it(cli, db_session, tmp_path):
    pupil = factories.make_pupil(db_session)
    _case_naming(db_session, pupil)
    out = tmp_path / "export.json"
    result = cli("pupils", "export-data", pupil.pupil_ref, str(out))
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["pupil"]["pupil_ref"] == pupil.pupil_ref
    assert [c["reference"] for c in data["safeguarding_cases"]] == ["SG-0001"]
    assert [v["what"] for v in data["record_views"]] == [EXPORT_VIEW]
    db_session.expire_all()
    assert [v.what for v in _views(db_session, pupil)] == [EXPORT_VIEW]


def test_the_command_refuses_an_unknown_pupil_with_exit_2_and_writes_nothing(cli, tmp_path):
    out = tmp_path / "export.json"
    result = cli("pupils", "export-data", "NO-SUCH-PUPIL", str(out))
    assert result.exit_code == 2
    assert "no pupil has the reference 'NO-SUCH-PUPIL'" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_the_command_reports_an_unwritable_file_with_exit_2_and_logs_nothing(cli, db_session, tmp_path):
    pupil = factories.make_pupil(db_session)
    result = cli("pupils", "export-data", pupil.pupil_ref, str(tmp_path / "missing" / "export.json"))
    assert result.exit_code == 2
    assert "could not write" in result.output
    db_session.expire_all()
    assert _views(db_session, pupil) == []


def test_the_export_keeps_the_history_of_an_address_since_deleted(db_session):
    pupil = factories.make_pupil(db_session)
    second = PupilAddress(is_main=False, address="9 Shared Care Lane", postcode="B3 3CC",
                          latitude=52.5, longitude=-1.8, days=weekdays.bit(0))
    pupil.addresses.append(second)
    db_session.flush()
    gone = second.id
    db_session.delete(second)
    pupil.addresses.remove(second)
    db_session.flush()
    data = subject_access_export(db_session, pupil)
    assert len(data["addresses"]) == 1
    history = [(e["action"], e["record_id"]) for e in data["audit_entries"] if e["record"] == "pupil_address"]
    assert ("create", gone) in history and ("delete", gone) in history
