"""The school calendar, incompatible pupils, and repeated DBS Update Service checks."""

from __future__ import annotations

import datetime as dt
import io

from sqlalchemy import func, select

from hts.imports.exports import write_export
from hts.operations.calendar import load_calendar
from hts.operations.models import ClosureKind, Run, SchoolClosure, SchoolTerm
from hts.operations.runs import generate_runs, record_event
from hts.operators.models import Document
from hts.routing.models import PupilIncompatibility
from tests import factories
from tests.imports.conftest import csv_text, problems_of

CALENDAR_HEADER = "school_urn,kind,starts_on,ends_on,name_or_reason"
PAIR_HEADER = "pupil_ref,other_pupil_ref,reason"
DOCUMENT_HEADER = "holder_type,holder_ref,document_type,reference,issued_on,expires_on,status"


def _closures(db_session) -> list[tuple]:
    return sorted(((c.school_id, c.kind, c.closed_on, c.reason) for c in db_session.scalars(select(SchoolClosure))),
                  key=lambda c: (c[0] or 0, c[2]))


def test_terms_and_closure_days_are_loaded_and_the_calendar_uses_them(load, db_session):
    school = factories.make_school(db_session, urn="500001")
    other = factories.make_school(db_session, urn="500002")
    report = load("calendar", csv_text(
        CALENDAR_HEADER,
        ",term,2026-09-03,2026-10-23,Autumn 1",
        "500002,term,2026-09-08,2026-10-23,Autumn 1 (late start)",
        "500001,inset,2026-10-02,2026-10-05,staff training",
        ",closure,2026-10-14,,snow",
    ))
    assert report.ok and report.created == 4, [p.text() for p in report.problems]
    terms = sorted((t.school_id or 0, t.name) for t in db_session.scalars(select(SchoolTerm)))
    assert terms == [(0, "Autumn 1"), (other.id, "Autumn 1 (late start)")]
    # Friday and Monday: the weekend between is not stored.
    assert _closures(db_session) == [
        (None, ClosureKind.CLOSURE, dt.date(2026, 10, 14), "snow"),
        (school.id, ClosureKind.INSET, dt.date(2026, 10, 2), "staff training"),
        (school.id, ClosureKind.INSET, dt.date(2026, 10, 5), "staff training")]
    calendar = load_calendar(db_session)
    assert calendar.closed_reason(school.id, dt.date(2026, 10, 5)) == "inset: staff training"
    assert calendar.closed_reason(other.id, dt.date(2026, 9, 7)) == "school holiday"
    assert calendar.closed_reason(other.id, dt.date(2026, 10, 14)) == "closure: snow"


def test_the_calendar_exports_ranges_back_and_reimports_unchanged(load, db_session, audit_count):
    factories.make_school(db_session, urn="500001")
    text = csv_text(CALENDAR_HEADER, ",term,2026-09-03,2026-10-23,Autumn 1",
                    "500001,inset,2026-10-02,2026-10-05,staff training", ",closure,2026-10-14,,snow")
    load("calendar", text)
    out = io.StringIO()
    assert write_export(db_session, "calendar", out) == 3
    assert out.getvalue().splitlines() == [
        CALENDAR_HEADER, ",term,2026-09-03,2026-10-23,Autumn 1", ",closure,2026-10-14,2026-10-14,snow",
        "500001,inset,2026-10-02,2026-10-05,staff training"]
    for again in (load("calendar", text), load("calendar", out.getvalue())):
        assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    changed = load("calendar", text.replace("snow", "burst pipe").replace("2026-10-23", "2026-10-22"))
    assert (changed.created, changed.updated) == (0, 2)
    assert db_session.scalar(select(SchoolTerm.ends_on)) == dt.date(2026, 10, 22)


def test_runs_already_made_follow_a_calendar_imported_after_them(load, db_session):
    today = dt.date(2026, 11, 25)  # a Wednesday
    days = (today - dt.timedelta(days=1), today, today + dt.timedelta(days=1))
    schools = [factories.make_school(db_session, urn=urn) for urn in ("500001", "500002")]
    routes = [factories.make_route(db_session, school=s, pupils=[factories.make_pupil(db_session, school=s)],
                                   operator=factories.make_operator(db_session)) for s in schools]
    for day in days:
        generate_runs(db_session, day)
    runs = {(run.route_id, run.run_on): run for run in db_session.scalars(select(Run))}
    record_event(db_session, runs[routes[0].id, today], kind="departed", source="op",
                 occurred_at=dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC))

    def statuses() -> list[list[str]]:
        """Each route's runs yesterday, today and tomorrow."""
        db_session.expire_all()
        return [[runs[route.id, day].status.value for day in days] for route in routes]

    # The term ends today: tomorrow's runs stand down; yesterday's and the one under way are kept.
    ends_today = csv_text(CALENDAR_HEADER, ",term,2026-09-03,2026-11-25,Autumn")
    check = load("calendar", ends_today, today=today, dry_run=True)
    assert check.warnings == ["The runs already made for Thursday 26 November 2026 would follow the new "
                              "calendar: 2 runs now not required."]
    assert statuses() == [["scheduled", "under_way", "scheduled"], ["scheduled", "scheduled", "scheduled"]]
    report = load("calendar", ends_today, today=today)
    assert report.ok and report.warnings == [w.replace("would follow", "follow") for w in check.warnings] + \
        ["2 operators were sent a notice of the runs that moved."]  # not on the dry run
    assert statuses() == [["scheduled", "under_way", "not_required"], ["scheduled", "scheduled", "not_required"]]
    assert runs[routes[0].id, days[2]].reason == "school holiday"
    # The term runs on after all, but the first school has an inset day tomorrow.
    report = load("calendar", csv_text(CALENDAR_HEADER, ",term,2026-09-03,2026-12-18,Autumn",
                                       "500001,inset,2026-11-26,,staff training"), today=today)
    assert report.warnings == ["The runs already made for Thursday 26 November 2026 follow the new calendar: "
                               "1 run back on.", "1 operator was sent a notice of the runs that moved."]
    assert statuses() == [["scheduled", "under_way", "not_required"], ["scheduled", "scheduled", "scheduled"]]
    assert runs[routes[0].id, days[2]].reason == "inset: staff training"
    # Loading the same calendar again moves nothing, and says nothing.
    again = load("calendar", csv_text(CALENDAR_HEADER, ",term,2026-09-03,2026-12-18,Autumn"), today=today)
    assert again.ok and again.warnings == []
    assert statuses() == [["scheduled", "under_way", "not_required"], ["scheduled", "scheduled", "scheduled"]]


def test_calendar_rows_are_checked_and_a_bad_file_writes_nothing(load, db_session):
    factories.make_school(db_session, urn="500001")
    report = load("calendar", csv_text(
        CALENDAR_HEADER,
        ",term,2026-09-03,2026-10-23,Autumn 1",
        "999999,term,2026-09-03,2026-10-23,Autumn 1",
        "500001,holiday,2026-09-03,2026-10-23,Autumn 1",
        "500001,inset,2026-10-05,2026-10-02,training",
        "500001,closure,2026-10-03,2026-10-04,weekend",
        ",term,2026-10-01,2026-12-18,Autumn 2",
        "500001,term,2026-09-03,2062-10-23,Typo",
        "500001,inset,2026-10-06,,",
        ",term,2026-09-03,2026-09-20,Autumn 1 again",
    ))
    assert problems_of(report) == [(3, "school_urn"), (4, "kind"), (5, "ends_on"), (6, "starts_on"),
                                   (7, "starts_on"), (8, "ends_on"), (9, "name_or_reason"), (10, "starts_on")]
    messages = {p.line: p.message for p in report.problems}
    assert messages[6] == "2026-10-03 to 2026-10-04 has no weekdays: schools are shut at weekends anyway"
    assert messages[7] == "overlaps the term on line 2 for the same school"
    assert messages[10] == "duplicate key: line 2 has the same starts_on"
    assert db_session.scalar(select(func.count()).select_from(SchoolTerm)) == 0


def test_an_incompatible_pair_is_stored_lower_id_first_and_either_order_is_the_same_pair(load, db_session,
                                                                                        audit_count):
    first = factories.make_pupil(db_session, pupil_ref="PA1")
    second = factories.make_pupil(db_session, pupil_ref="PA2")
    report = load("incompatibilities", csv_text(PAIR_HEADER, "PA2,PA1,keep apart"))
    assert report.ok and report.created == 1
    pair = db_session.scalar(select(PupilIncompatibility))
    assert (pair.pupil_id, pair.other_pupil_id, pair.reason) == (first.id, second.id, "keep apart")
    before = audit_count()
    assert load("incompatibilities", csv_text(PAIR_HEADER, "PA1,PA2,keep apart")).unchanged == 1
    assert audit_count() == before
    assert load("incompatibilities", csv_text(PAIR_HEADER, "PA1,PA2,bullying")).updated == 1
    out = io.StringIO()
    write_export(db_session, "incompatibilities", out)
    assert out.getvalue().splitlines()[1] == "PA1,PA2,bullying"


def test_incompatibility_rows_are_checked(load, db_session):
    factories.make_pupil(db_session, pupil_ref="PA1")
    factories.make_pupil(db_session, pupil_ref="PA2")
    report = load("incompatibilities", csv_text(
        PAIR_HEADER, "PA1,PA2,keep apart", "PA1,PA1,argues", "PA1,NOPE,x", "PA2,PA1,again", ",PA2,x"))
    assert problems_of(report) == [(3, "other_pupil_ref"), (4, "other_pupil_ref"), (5, "other_pupil_ref"),
                                   (6, "pupil_ref")]
    messages = [p.message for p in report.problems]
    assert messages[0] == "pupil PA1 cannot be incompatible with themself"
    assert messages[1] == "unknown pupil 'NOPE': import the pupils first"
    assert messages[2] == "duplicate key: line 2 has the same other_pupil_ref"
    assert db_session.scalar(select(func.count()).select_from(PupilIncompatibility)) == 0


def test_each_update_service_check_of_a_certificate_is_its_own_document(load, db_session):
    factories.make_staff(db_session, staff_ref="SD1")
    text = csv_text(DOCUMENT_HEADER,
                    "staff,SD1,dbs_enhanced,001234567890,2024-02-01,,verified",
                    "staff,SD1,dbs_update_check,001234567890,2026-06-30,,BLANK_NO_NEW_INFO",
                    "staff,SD1,dbs_update_check,001234567890,2026-09-30,,NEW_INFO")
    assert load("documents", text).created == 3
    checks = db_session.scalars(select(Document).where(Document.document_type == "dbs_update_check")
                                .order_by(Document.issued_on)).all()
    assert [(d.issued_on, d.status) for d in checks] == [(dt.date(2026, 6, 30), "BLANK_NO_NEW_INFO"),
                                                         (dt.date(2026, 9, 30), "NEW_INFO")]
    again = load("documents", text)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    # The same check twice in one file is a duplicate; another type keeps its key without the date.
    duplicate = load("documents", csv_text(
        DOCUMENT_HEADER, "staff,SD1,dbs_update_check,001234567890,2026-06-30,,BLANK_NO_NEW_INFO",
        "staff,SD1,dbs_update_check,001234567890,30/06/2026,,NEW_INFO"))
    assert problems_of(duplicate) == [(3, "reference")]
    renewed = load("documents", csv_text(DOCUMENT_HEADER,
                                         "staff,SD1,dbs_enhanced,001234567890,2024-03-01,,verified"))
    assert (renewed.created, renewed.updated) == (0, 1)


def test_a_check_stored_by_the_status_client_is_matched_by_its_day(load, db_session):
    staff = factories.make_staff(db_session, staff_ref="SD2")
    factories.make_document(db_session, holder=staff, document_type="dbs_update_check",
                            reference="001234567891", issued_on=dt.date(2026, 10, 1), status="BLANK_NO_NEW_INFO")
    report = load("documents", csv_text(
        DOCUMENT_HEADER, "staff,SD2,dbs_update_check,001234567891,2026-10-01,,BLANK_NO_NEW_INFO",
        "staff,SD2,dbs_update_check,001234567891,2026-11-01,,BLANK_NO_NEW_INFO"))
    assert (report.created, report.unchanged) == (1, 1)
