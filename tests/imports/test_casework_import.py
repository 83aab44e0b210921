"""Complaints, safeguarding cases and bus pass applications: references, dates, stale days."""

from __future__ import annotations

import datetime as dt
import io

from sqlalchemy import func, select

from hts.imports.exports import write_export
from hts.operations.models import BusPassApplication, Complaint, SafeguardingCase
from hts.sitrep.models import SitrepSnapshot
from tests import factories
from tests.imports.conftest import csv_text, problems_of

COMPLAINT_HEADER = "reference,received,category,operator_ref,route_code,response_due,closed"
CASE_HEADER = "reference,opened,category,route_code,staff_ref,pupil_ref,closed"
PASS_HEADER = "reference,received,assessed"


def _snapshots(db_session, *days: dt.date) -> list[SitrepSnapshot]:
    snapshots = [SitrepSnapshot(day=day, figures={}, stale=False) for day in days]
    db_session.add_all(snapshots)
    db_session.flush()
    return snapshots


def _stale(db_session, snapshots) -> list[bool]:
    for snapshot in snapshots:
        db_session.refresh(snapshot)
    return [s.stale for s in snapshots]


def test_a_complaint_links_its_operator_and_route_and_stales_the_days_it_was_open(load, db_session):
    operator = factories.make_operator(db_session, operator_ref="OPC")
    route = factories.make_route(db_session, route_code="RC-1", operator=operator)
    before, received, during, closed, after = _snapshots(
        db_session, dt.date(2026, 9, 1), dt.date(2026, 9, 8), dt.date(2026, 9, 10), dt.date(2026, 9, 15),
        dt.date(2026, 9, 20))
    report = load("complaints", csv_text(COMPLAINT_HEADER,
                                         "C-1,2026-09-08,lateness,OPC,RC-1,2026-09-22,2026-09-15"))
    assert report.ok and report.created == 1
    complaint = db_session.scalar(select(Complaint).where(Complaint.reference == "C-1"))
    assert (complaint.operator_id, complaint.route_id, complaint.response_due_on, complaint.closed_on) == \
        (operator.id, route.id, dt.date(2026, 9, 22), dt.date(2026, 9, 15))
    assert _stale(db_session, [before, received, during, closed, after]) == [False, True, True, True, False]


def test_reimporting_complaints_changes_nothing_and_closing_one_is_an_audited_update(load, db_session,
                                                                                      audit_count):
    text = csv_text(COMPLAINT_HEADER, "C-2,10/09/2026,driver conduct,,,24/09/2026,")
    assert load("complaints", text).created == 1
    before = audit_count()
    again = load("complaints", text)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1) and audit_count() == before
    closed = load("complaints", text.replace("24/09/2026,", "24/09/2026,2026-09-20"))
    assert closed.updated == 1 and audit_count() == before + 1


def test_complaint_rows_are_checked_and_a_bad_file_writes_nothing(load, db_session):
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    report = load("complaints", csv_text(
        COMPLAINT_HEADER,
        "C-1,2026-09-08,lateness,,,2026-09-22,",
        "C-2,2026-09-08,lateness,NOPE,,2026-09-22,",
        "C-3,2026-09-08,lateness,,R-NOPE,2026-09-22,",
        "C-4,2026-09-08,lateness,,,2026-09-01,",
        "C-5,2026-09-08,lateness,,,2026-09-22,2026-09-07",
        f"C-6,{future},lateness,,,{future},",
        "C-7,2026-09-08,,,,,",
        "C-1,2026-09-09,lateness,,,2026-09-22,",
    ))
    assert problems_of(report) == [(3, "operator_ref"), (4, "route_code"), (5, "response_due"), (6, "closed"),
                                   (7, "received"), (8, "category"), (8, "response_due"), (9, "reference")]
    messages = {(p.line, p.column): p.message for p in report.problems}
    assert messages[(3, "operator_ref")] == "unknown operator 'NOPE': import the operators first"
    assert messages[(5, "response_due")] == "2026-09-01 is before received 2026-09-08"
    assert messages[(6, "closed")] == "2026-09-07 is before received 2026-09-08"
    assert db_session.scalar(select(func.count()).select_from(Complaint)) == 0


def test_a_safeguarding_case_names_its_route_staff_and_pupil(load, db_session):
    school = factories.make_school(db_session)
    pupil = factories.make_pupil(db_session, school=school, pupil_ref="PSG")
    staff = factories.make_staff(db_session, staff_ref="SSG")
    route = factories.make_route(db_session, route_code="RSG", school=school, pupils=[pupil])
    opened, = _snapshots(db_session, dt.date(2026, 9, 9))
    report = load("safeguarding", csv_text(CASE_HEADER, "SG-1,2026-09-09,conduct of staff,RSG,SSG,PSG,"))
    assert report.ok
    case = db_session.scalar(select(SafeguardingCase).where(SafeguardingCase.reference == "SG-1"))
    assert (case.route_id, case.staff_id, case.pupil_id, case.closed_on) == (route.id, staff.id, pupil.id, None)
    assert _stale(db_session, [opened]) == [True]


def test_safeguarding_rows_are_checked(load, db_session):
    report = load("safeguarding", csv_text(
        CASE_HEADER,
        "SG-1,2026-09-09,conduct,,S-NOPE,,",
        "SG-2,2026-09-09,conduct,,,P-NOPE,",
        "SG-3,2026-09-09,conduct,,,,2026-09-08",
        "SG-4,9/9/26,conduct,,,,",
    ))
    assert problems_of(report) == [(2, "staff_ref"), (3, "pupil_ref"), (4, "closed"), (5, "opened")]
    assert report.problems[0].message == "unknown member of staff 'S-NOPE': import the staff first"
    assert report.problems[2].message == "2026-09-08 is before opened 2026-09-09"
    assert db_session.scalar(select(func.count()).select_from(SafeguardingCase)) == 0


def test_bus_pass_applications_import_check_and_export_back(load, db_session):
    bad = load("bus_passes", csv_text(PASS_HEADER, "BP-1,2026-09-04,2026-09-01", "BP-2,,"))
    assert problems_of(bad) == [(2, "assessed"), (3, "received")]
    assert db_session.scalar(select(func.count()).select_from(BusPassApplication)) == 0
    waiting, assessed = _snapshots(db_session, dt.date(2026, 9, 5), dt.date(2026, 9, 10))
    good = load("bus_passes", csv_text(PASS_HEADER, "BP-1,2026-09-04,2026-09-10", "BP-2,04/09/2026,"))
    assert good.created == 2 and _stale(db_session, [waiting, assessed]) == [True, True]
    out = io.StringIO()
    write_export(db_session, "bus_passes", out)
    assert out.getvalue().splitlines() == [PASS_HEADER, "BP-1,2026-09-04,2026-09-10", "BP-2,2026-09-04,"]
    assert load("bus_passes", out.getvalue()).unchanged == 2
