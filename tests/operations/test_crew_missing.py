"""Runs not yet started that lack crew: found by the same rule in Python and in SQL, flagged on
the control room's board and run page and on the operator's."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from hts.operations.control import CREW_MISSING, WENT_WITHOUT_CREW, crew_gaps
from hts.operations.models import Run, RunPupil, RunPupilStatus, RunStatus
from hts.operators.models import StaffRole
from tests import factories
from tests.operations.test_views import _page

DAY = dt.date(2024, 11, 20)


def _crewed_run(session, code, *, operator, school, needs_pa=False, pa_absent=False, status=RunStatus.SCHEDULED,
                driver=True, vehicle=True, pa=True):
    """A run of a new route with the crew asked for, and one pupil (needing a PA when asked)."""
    pupil = factories.make_pupil(session, school=school, passenger_assistant=needs_pa)
    route = factories.make_route(session, school=school, route_code=code, operator=operator, pupils=[pupil])
    run = Run(route=route, run_on=DAY, session="am", route_version=1, school_id=school.id, operator_id=operator.id,
              due_at_school=dt.time(9, 0), status=status, pupils_expected=1,
              driver=factories.make_staff(session, operator=operator) if driver else None,
              vehicle=factories.make_vehicle(session, operator=operator) if vehicle else None)
    if pa and needs_pa:
        run.pa = factories.make_staff(session, operator=operator, role=StaffRole.PASSENGER_ASSISTANT)
    run.pupils.append(RunPupil(pupil=pupil, sequence=0,
                               status=RunPupilStatus.ABSENT if pa_absent else RunPupilStatus.EXPECTED))
    session.add(run)
    session.flush()
    return run


def _fleet(db_session):
    school = factories.make_school(db_session, name="Hazel School")
    ours = factories.make_operator(db_session, name="Ourtown Cars")
    make = lambda code, **kw: _crewed_run(db_session, code, operator=ours, school=school, **kw)  # noqa: E731
    return ours, {
        "CM-FULL": make("CM-FULL", needs_pa=True),
        "CM-NODRIVER": make("CM-NODRIVER", driver=False),
        "CM-NOVAN": make("CM-NOVAN", vehicle=False),
        "CM-NOPA": make("CM-NOPA", needs_pa=True, pa=False),
        "CM-PA-ABSENT": make("CM-PA-ABSENT", needs_pa=True, pa=False, pa_absent=True),
        "CM-UNDERWAY": make("CM-UNDERWAY", driver=False, status=RunStatus.UNDER_WAY),
        "CM-STOODDOWN": make("CM-STOODDOWN", driver=False, status=RunStatus.NOT_REQUIRED),
    }


def test_the_gaps_name_what_is_missing_and_the_sql_rule_finds_the_same_runs(db_session):
    _, runs = _fleet(db_session)
    assert crew_gaps(runs["CM-FULL"]) == []
    assert crew_gaps(runs["CM-NODRIVER"]) == ["no driver"]
    assert crew_gaps(runs["CM-NOVAN"]) == ["no vehicle"]
    assert crew_gaps(runs["CM-NOPA"]) == ["no passenger assistant"]
    assert crew_gaps(runs["CM-PA-ABSENT"]) == []  # the pupil who needs one is not travelling
    found = set(db_session.scalars(select(Run.id).where(Run.run_on == DAY, CREW_MISSING)))
    assert found == {runs[code].id for code in ("CM-NODRIVER", "CM-NOVAN", "CM-NOPA")}  # started or stood down: no


def test_the_board_warns_of_runs_without_crew_and_lists_exactly_them(client, login, db_session):
    _, runs = _fleet(db_session)
    login("operations")
    page = _page(client.get(f"/operations?date={DAY.isoformat()}"))
    assert "3 runs not yet started have no driver, no vehicle or no passenger assistant" in page
    assert page.count("Crew missing</strong>") == 3
    page = _page(client.get(f"/operations?date={DAY.isoformat()}&status=crew_missing"))
    assert {code for code in runs if f">{code}<" in page} == {"CM-NODRIVER", "CM-NOVAN", "CM-NOPA"}
    page = _page(client.get(f"/operations/runs/{runs['CM-NOPA'].id}"))
    assert "This run has no passenger assistant: it must not go until a compliant crew is assigned." in page
    assert "The compliance team or a planner assigns crew to route CM-NOPA" in page  # operations cannot assign
    assert "must not go" not in _page(client.get(f"/operations/runs/{runs['CM-FULL'].id}"))
    assert "must not go" not in _page(client.get(f"/operations/runs/{runs['CM-UNDERWAY'].id}"))


def test_a_planner_is_linked_to_the_assignment_of_the_runs_route(client, login, db_session):
    _, runs = _fleet(db_session)
    login("planner")
    page = _page(client.get(f"/operations/runs/{runs['CM-NODRIVER'].id}"))
    assert "This run has no driver: it must not go" in page
    assert f'href="/compliance/routes/{runs["CM-NODRIVER"].route_id}/assign">Assign crew to route CM-NODRIVER</a>' in page


def test_the_operator_sees_its_runs_without_crew(client, login, db_session):
    ours, runs = _fleet(db_session)
    login("operator", operator=ours)
    page = _page(client.get(f"/our-runs?date={DAY.isoformat()}"))
    assert "3 runs not yet started have no driver" in page
    page = _page(client.get(f"/our-runs?date={DAY.isoformat()}&show=crew_missing"))
    assert {code for code in runs if f">{code}<" in page} == {"CM-NODRIVER", "CM-NOVAN", "CM-NOPA"}
    page = _page(client.get(f"/our-runs/{runs['CM-NOVAN'].id}"))
    assert "This run has no vehicle: it must not go until a compliant crew is assigned." in page
    assert f'href="/compliance/routes/{runs["CM-NOVAN"].route_id}/assign"' in page


def test_a_run_reported_delivered_without_full_crew_on_record_is_raised_on_the_board(client, login, db_session):
    school = factories.make_school(db_session, name="Hazel School")
    ours = factories.make_operator(db_session, name="Ourtown Cars")
    went = _crewed_run(db_session, "CM-WENT", operator=ours, school=school, needs_pa=True, pa=False,
                       status=RunStatus.COMPLETED)
    _crewed_run(db_session, "CM-OK", operator=ours, school=school, status=RunStatus.COMPLETED)
    _crewed_run(db_session, "CM-CANCELLED", operator=ours, school=school, driver=False, status=RunStatus.CANCELLED)
    assert set(db_session.scalars(select(Run.id).where(Run.run_on == DAY, WENT_WITHOUT_CREW))) == {went.id}
    login("manager")
    page = _page(client.get(f"/operations?date={DAY.isoformat()}"))
    assert "1 run reported delivered had no driver, no vehicle or no passenger assistant a pupil needed" in page
    assert page.count("Went without full crew</strong>") == 1 and "runs not yet started" not in page
    page = _page(client.get(f"/operations?date={DAY.isoformat()}&status=went_without_crew"))
    assert ">CM-WENT<" in page and ">CM-OK<" not in page and ">CM-CANCELLED<" not in page


def test_compliance_lists_the_runs_that_went_ahead_without_full_crew(client, login, db_session):
    school = factories.make_school(db_session, name="Hazel School")
    ours = factories.make_operator(db_session, name="Ourtown Cars")
    _crewed_run(db_session, "CM-WENT", operator=ours, school=school, driver=False, status=RunStatus.ARRIVED)
    _crewed_run(db_session, "CM-OK", operator=ours, school=school, status=RunStatus.COMPLETED)
    login("compliance")
    assert 'href="/compliance/runs-without-crew"' in _page(client.get("/compliance"))
    page = _page(client.get(f"/compliance/runs-without-crew?date={(DAY + dt.timedelta(days=29)).isoformat()}"))
    assert ">CM-WENT<" in page and ">CM-OK<" not in page
    assert "No driver" in page and "Ourtown Cars" in page
    # The 30 days end on the day chosen: a day later, DAY falls out of the window.
    page = _page(client.get(f"/compliance/runs-without-crew?date={(DAY + dt.timedelta(days=30)).isoformat()}"))
    assert "No runs found." in page
    response = client.get("/compliance/runs-without-crew?date=yesterday")
    assert response.status_code == 400 and "is not a date" in _page(response)
