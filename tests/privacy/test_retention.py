"""Retention: pupils who left transport long ago are anonymised; the audit log is append-only."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from hts import jobs
from hts.audit.log import record as audit_record
from hts.audit.models import AuditEntry, AuditRedactionPermit
from hts.audit.redaction import redaction_permit, rewrite_entry
from hts.operations.models import PupilAbsence, Run, RunEvent, RunPupil, RunStatus, SafeguardingCase
from hts.people.models import Pupil, PupilAddress, School
from hts.privacy.retention import (
    REASON_REMOVED,
    anonymise_due,
    anonymous_ref,
    cutoff_for,
    redact_text,
    school_year_start,
)
from hts.routing.models import PupilIncompatibility, RouteStop
from hts.scheduler import JobStatus
from hts.sitrep.figures import sitrep
from tests import factories

TODAY = dt.date(2026, 11, 25)
LONG_AGO = dt.date(2019, 7, 20)  # more than six years before TODAY
RECENTLY = dt.date(2024, 7, 19)
PAST_DAY = dt.date(2019, 7, 1)


def _entries_of(db_session, entity_type, entity_id):
    return db_session.scalars(select(AuditEntry).where(
        AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id).order_by(AuditEntry.id)).all()


def _leaver(db_session, **kw):
    """A pupil who left transport in July 2019, with an old route, a run, an event, an absence."""
    pupil = factories.make_pupil(db_session, first_name="Zoë", last_name="Marchetti",
                                 date_of_birth=dt.date(2008, 3, 14), transport_ended_on=LONG_AGO,
                                 latitude=52.456789, longitude=-1.912345, **kw)
    pupil.addresses[0].address = "7 Acacia Avenue"  # an audited update, as a planner would make
    other = factories.make_pupil(db_session, school=pupil.school, first_name="Alex", last_name="Stays")
    route = factories.make_route(db_session, school=pupil.school, pupils=[pupil], withdrawn_on=LONG_AGO)
    audit_record(db_session, action="update", entity_type="route", entity_id=route.id,
                 entity_label=route.route_code, before={"pupils": other.pupil_ref},
                 after={"pupils": f"{other.pupil_ref} {pupil.pupil_ref}"})
    run = Run(route_id=route.id, run_on=PAST_DAY, session="am", route_version=1, school_id=pupil.school.id,
              due_at_school=dt.time(8, 50), status=RunStatus.COMPLETED, on_time=True, pupils_expected=1,
              pupils_absent=0, pupils_transported=1)
    run.pupils.append(RunPupil(pupil_id=pupil.id, sequence=1))
    db_session.add(run)
    db_session.flush()
    db_session.add_all([
        RunEvent(run_id=run.id, kind="no_show", occurred_at=dt.datetime(2019, 7, 1, 7, 40, tzinfo=dt.UTC),
                 pupil_id=pupil.id, reason="Zoë Marchetti not at the door; mum said zoe was ill",
                 source="control room"),
        PupilAbsence(pupil_id=pupil.id, absent_on=dt.date(2019, 7, 2), reason="Marchetti family holiday",
                     recorded_by="control@council.example"),
    ])
    low, high = sorted((pupil.id, other.id))
    db_session.add(PupilIncompatibility(pupil_id=low, other_pupil_id=high, reason="Zoë bit Alex on the bus"))
    db_session.flush()
    return pupil, other, route


def test_the_cutoff_counts_whole_years_back_and_copes_with_the_leap_day():
    assert cutoff_for(dt.date(2026, 11, 25), 6) == dt.date(2020, 11, 25)
    assert cutoff_for(dt.date(2024, 2, 29), 1) == dt.date(2023, 2, 28)


def test_a_date_of_birth_becomes_the_start_of_its_school_year():
    assert school_year_start(dt.date(2008, 3, 14)) == dt.date(2007, 9, 1)
    assert school_year_start(dt.date(2008, 9, 1)) == dt.date(2008, 9, 1)
    assert school_year_start(dt.date(2008, 8, 31)) == dt.date(2007, 9, 1)


def test_names_are_redacted_from_free_text_as_whole_words_ignoring_case():
    assert redact_text("ZOË was late; Zoëlle was not", ["Zoë"]) == "[pupil] was late; Zoëlle was not"
    assert redact_text(None, ["Zoë"]) is None


def test_a_pupil_who_left_long_ago_is_anonymised_everywhere(db_session):
    pupil, other, route = _leaver(db_session)
    old_ref, pupil_id = pupil.pupil_ref, pupil.id
    report = anonymise_due(db_session, today=TODAY, years=6)
    db_session.expire_all()

    assert report.pupils == [old_ref] and report.skipped == []
    pupil = db_session.get(Pupil, pupil_id)
    assert pupil.pupil_ref == anonymous_ref(pupil_id)
    assert (pupil.first_name, pupil.last_name) == ("Anonymised", "pupil")
    assert pupil.date_of_birth == dt.date(2007, 9, 1)
    assert pupil.anonymised_at is not None and pupil.transport_ended_on == LONG_AGO
    [address] = pupil.addresses
    assert (address.address, address.postcode) == ("", "")
    assert (address.latitude, address.longitude) == (52.46, -1.91)
    stop = db_session.scalars(select(RouteStop).where(RouteStop.route_id == route.id, RouteStop.sequence == 1)).one()
    assert (stop.latitude, stop.longitude) == (52.46, -1.91)
    [pair] = db_session.scalars(select(PupilIncompatibility).where(PupilIncompatibility.pupil_id.in_([pupil_id])
                                                                  | PupilIncompatibility.other_pupil_id.in_([pupil_id]))).all()
    assert pair.reason == REASON_REMOVED
    event = db_session.scalars(select(RunEvent).where(RunEvent.pupil_id == pupil_id)).one()
    # Only the name as written is found: a misspelling ("zoe") is beyond a text search.
    assert event.reason == "[pupil] not at the door; mum said zoe was ill"
    absence = db_session.scalars(select(PupilAbsence).where(PupilAbsence.pupil_id == pupil_id)).one()
    assert absence.reason == "[pupil] family holiday"
    # The other child is untouched.
    other = db_session.get(Pupil, other.id)
    assert other.first_name == "Alex" and other.anonymised_at is None
    # No audit entry still holds the pupil's names, address or reference.
    everything = json.dumps([(e.entity_label, e.before, e.after) for e in db_session.scalars(select(AuditEntry))],
                            ensure_ascii=False)
    for secret in ("Zoë", "Marchetti", "Acacia", old_ref, "2008-03-14", "bit Alex", "52.456789"):
        assert secret not in everything
    address_sides = [side for e in _entries_of(db_session, "pupil_address", address.id)
                     for side in (e.before, e.after) if side and "address" in side]
    assert address_sides and all(side["address"] == "" and side.get("postcode", "") == "" for side in address_sides)
    actions = [e.action for e in _entries_of(db_session, "pupil", pupil_id)]
    assert actions[0] == "create" and actions[-1] == "anonymise"
    assert report.addresses == 1 and report.incompatibilities == 1 and report.texts_redacted == 2
    assert report.stops_coarsened == 1 and report.audit_entries >= 4
    # The permit to rewrite audit entries is gone before anything commits.
    assert db_session.scalar(select(func.count()).select_from(AuditRedactionPermit)) == 0


def test_pupils_who_left_recently_or_still_travel_are_left_alone(db_session):
    recent = factories.make_pupil(db_session, transport_ended_on=RECENTLY)
    travelling = factories.make_pupil(db_session)
    report = anonymise_due(db_session, today=TODAY, years=6)
    assert report.pupils == [] and report.summary().startswith("anonymised 0 pupils")
    db_session.expire_all()
    assert db_session.get(Pupil, recent.id).anonymised_at is None
    assert db_session.get(Pupil, travelling.id).first_name == "Sam"


def test_a_shorter_retention_period_reaches_more_recent_leavers(db_session):
    recent = factories.make_pupil(db_session, transport_ended_on=RECENTLY)
    ref = recent.pupil_ref
    report = anonymise_due(db_session, today=TODAY, years=2)
    assert report.pupils == [ref]


def test_a_pupil_still_on_a_current_route_or_an_open_case_is_skipped_with_the_reason(db_session):
    on_route = factories.make_pupil(db_session, transport_ended_on=LONG_AGO)
    route = factories.make_route(db_session, school=on_route.school, pupils=[on_route])
    in_case = factories.make_pupil(db_session, transport_ended_on=LONG_AGO)
    db_session.add(SafeguardingCase(reference="SG-RET1", opened_on=LONG_AGO, category="conduct", pupil_id=in_case.id))
    db_session.flush()
    report = anonymise_due(db_session, today=TODAY, years=6)
    reasons = dict(report.skipped)
    assert report.pupils == []
    assert reasons[on_route.pupil_ref].startswith(f"still on current route {route.route_code}")
    assert reasons[in_case.pupil_ref] == "named by open safeguarding case SG-RET1: close it first"
    db_session.expire_all()
    assert db_session.get(Pupil, on_route.id).anonymised_at is None


def test_anonymising_twice_changes_nothing_the_second_time(db_session):
    _leaver(db_session)
    anonymise_due(db_session, today=TODAY, years=6)
    entries = db_session.scalar(select(func.count()).select_from(AuditEntry))
    again = anonymise_due(db_session, today=TODAY, years=6)
    assert again.pupils == [] and db_session.scalar(select(func.count()).select_from(AuditEntry)) == entries


def test_the_sitrep_of_a_past_day_is_the_same_before_and_after_anonymising(db_session):
    pupil, _other, _route = _leaver(db_session)
    before = sitrep(db_session, PAST_DAY, PAST_DAY).as_dict()
    assert before["routes_scheduled"] == 1
    anonymise_due(db_session, today=TODAY, years=6)
    db_session.expire_all()
    assert sitrep(db_session, PAST_DAY, PAST_DAY).as_dict() == before
    assert db_session.scalar(select(func.count()).select_from(RunPupil).where(RunPupil.pupil_id == pupil.id)) == 1


def test_the_command_dry_run_reports_and_changes_nothing(cli, db_session):
    pupil, *_ = _leaver(db_session)
    result = cli("pupils", "anonymise", "--dry-run", "--date", TODAY.isoformat())
    assert result.exit_code == 0, result.output
    assert f"would anonymise {pupil.pupil_ref}" in result.output
    assert "Would anonymise 1 pupils who left transport before 2020-11-25: 1 addresses" in result.output
    db_session.expire_all()
    assert db_session.get(Pupil, pupil.id).first_name == "Zoë"


def test_the_command_anonymises_and_prints_what_it_did(cli, db_session):
    pupil, *_ = _leaver(db_session)
    skipped = factories.make_pupil(db_session, transport_ended_on=LONG_AGO)
    factories.make_route(db_session, school=skipped.school, pupils=[skipped])
    ref = pupil.pupil_ref
    result = cli("pupils", "anonymise", "--date", TODAY.isoformat())
    assert result.exit_code == 0, result.output
    assert f"anonymised {ref}" in result.output
    assert f"skipped {skipped.pupil_ref}: still on current route" in result.output
    assert "Anonymised 1 pupils" in result.output and "1 skipped" in result.output
    db_session.expire_all()
    assert db_session.get(Pupil, pupil.id).first_name == "Anonymised"


def test_the_command_refuses_a_bad_date(cli):
    result = cli("pupils", "anonymise", "--date", "25/11/2026")
    assert result.exit_code == 2 and "is not a date" in result.output


def test_the_scheduled_job_anonymises_and_records_its_counts(app, db_session):
    pupil = factories.make_pupil(db_session, transport_ended_on=dt.date.today() - dt.timedelta(days=7 * 366))
    db_session.commit()
    assert jobs.run("retention", app) is True
    status = db_session.get(JobStatus, "retention")
    assert status.last_ok and status.last_detail.startswith("anonymised 1 pupils who left transport before")
    db_session.expire_all()
    assert db_session.get(Pupil, pupil.id).first_name == "Anonymised"


def test_the_database_refuses_to_change_or_delete_audit_entries(db_session):
    pupil = factories.make_pupil(db_session)
    entry = _entries_of(db_session, "pupil", pupil.id)[0]
    statements = [update(AuditEntry).where(AuditEntry.id == entry.id).values(actor="someone else"),
                  delete(AuditEntry).where(AuditEntry.id == entry.id),
                  text("DELETE FROM audit_entry")]
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"), db_session.begin_nested():
            db_session.execute(statement)
    db_session.expire_all()
    assert db_session.get(AuditEntry, entry.id).actor == entry.actor


def test_only_the_redaction_permit_lets_an_entry_be_rewritten_and_never_deleted(db_session):
    pupil = factories.make_pupil(db_session)
    entry = _entries_of(db_session, "pupil", pupil.id)[0]
    with redaction_permit(db_session, "test"):
        rewrite_entry(db_session, entry.id, entity_label="redacted")
        with pytest.raises(DBAPIError, match="append-only"), db_session.begin_nested():
            db_session.execute(delete(AuditEntry).where(AuditEntry.id == entry.id))
    assert db_session.scalar(select(func.count()).select_from(AuditRedactionPermit)) == 0
    with pytest.raises(DBAPIError, match="append-only"), db_session.begin_nested():
        rewrite_entry(db_session, entry.id, entity_label="again")
    db_session.expire_all()
    assert db_session.get(AuditEntry, entry.id).entity_label == "redacted"


def test_an_anonymised_address_keeps_only_coarse_coordinates(db_session):
    pupil, *_ = _leaver(db_session)
    anonymise_due(db_session, today=TODAY, years=6)
    db_session.expire_all()
    address = db_session.scalars(select(PupilAddress).where(PupilAddress.pupil_id == pupil.id)).one()
    assert address.geocoded_by == "anonymised"
    assert round(address.latitude, 2) == address.latitude


def _import_pupils(db_session, ended: str | None):
    """Import one pupil at school URN RET100, with a transport_ended_on column unless `ended` is None."""
    import io

    from hts.imports.service import run_import

    if db_session.scalar(select(func.count()).select_from(School).where(School.urn == "RET100")) == 0:
        factories.make_school(db_session, urn="RET100")
    header = "pupil_ref,first_name,last_name,date_of_birth,school_urn,address,postcode,latitude,longitude"
    row = "PRET01,Ada,Lovelace,2012-12-10,RET100,1 Engine Row,B1 1AA,52.48,-1.90"
    if ended is not None:
        header, row = header + ",transport_ended_on", row + f",{ended}"
    return run_import(db_session, "pupils", io.BytesIO(f"{header}\n{row}\n".encode()), filename="pupils.csv")


def test_the_pupils_file_may_say_when_transport_ended_and_leaving_the_column_out_keeps_it(db_session):
    report = _import_pupils(db_session, "2019-07-19")
    assert report.ok, [p.text() for p in report.problems]
    pupil = db_session.scalars(select(Pupil).where(Pupil.pupil_ref == "PRET01")).one()
    assert pupil.transport_ended_on == dt.date(2019, 7, 19)
    assert _import_pupils(db_session, None).ok
    assert pupil.transport_ended_on == dt.date(2019, 7, 19)
    assert _import_pupils(db_session, "").ok
    assert pupil.transport_ended_on is None


def test_an_end_of_transport_before_birth_is_reported_on_its_line_and_column(db_session):
    report = _import_pupils(db_session, "2001-01-01")
    assert not report.ok
    [problem] = report.problems
    assert (problem.line, problem.column) == (2, "transport_ended_on")
    assert "before the date of birth" in problem.message


def test_published_versions_and_draft_plans_lose_the_home_location_and_old_reference(db_session):
    from hts.routing.models import DraftPlan, DraftRoute, RouteVersion
    from hts.routing.versions import snapshot_of

    pupil, other, route = _leaver(db_session)
    old_ref = pupil.pupil_ref
    version = RouteVersion(route_id=route.id, version=1, effective_from=dt.date(2018, 9, 1),
                           snapshot=snapshot_of(route))
    plan = DraftPlan(session="am", weekday=0, time_limit_seconds=10, requested_by="planner@council.example")
    plan.routes.append(DraftRoute(
        route_code="D1", school_id=pupil.school_id, vehicle_type="car", seats=4, wheelchair_spaces=0,
        passenger_assistant=False, daily_price_pence=9000, distance_metres=1000,
        stops=[{"time": "08:00", "latitude": 52.456789, "longitude": -1.912345, "pupil_refs": [old_ref]},
               {"time": "08:05", "latitude": 52.5, "longitude": -1.8, "pupil_refs": [other.pupil_ref]}],
        ride_minutes={old_ref: 20.0, other.pupil_ref: 12.5}))
    db_session.add_all([version, plan])
    db_session.flush()
    report = anonymise_due(db_session, today=TODAY, years=6)
    db_session.expire_all()
    pickup = db_session.get(RouteVersion, version.id).snapshot["stops"][0]
    assert (pickup["latitude"], pickup["longitude"]) == (52.46, -1.91)
    draft = db_session.scalars(select(DraftRoute).where(DraftRoute.route_code == "D1")).one()
    assert draft.stops[0]["pupil_refs"] == [anonymous_ref(pupil.id)]
    assert (draft.stops[0]["latitude"], draft.stops[1]["latitude"]) == (52.46, 52.5)
    assert set(draft.ride_minutes) == {anonymous_ref(pupil.id), other.pupil_ref}
    assert report.draft_routes == 1 and report.stops_coarsened == 2


def test_an_account_named_by_audit_entries_cannot_be_deleted_only_locked(db_session):
    from hts.audit.log import Actor, acting_as
    from hts.auth.models import User

    user = factories.make_user(db_session, role="planner")
    with acting_as(Actor(user.email, user.id)):
        factories.make_school(db_session)
    # Deleting the account would blank user_id on its entries (ON DELETE SET NULL): an UPDATE.
    with pytest.raises(DBAPIError, match="append-only"), db_session.begin_nested():
        db_session.execute(delete(User).where(User.id == user.id))
    db_session.expire_all()
    assert db_session.get(User, user.id) is not None


def test_an_incompatibility_removed_before_anonymising_loses_its_reason_in_the_log_too(db_session):
    pupil, other, _route = _leaver(db_session)
    pair = db_session.scalars(select(PupilIncompatibility)).one()
    pair_id = pair.id
    db_session.delete(pair)
    db_session.flush()
    anonymise_due(db_session, today=TODAY, years=6)
    sides = [side for e in _entries_of(db_session, "pupil_incompatibility", pair_id) for side in (e.before, e.after)
             if side]
    assert len(sides) == 2 and all(side["reason"] == REASON_REMOVED for side in sides)
