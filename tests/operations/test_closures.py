"""School closures recorded on the day: the rules, the runs they stand down, and the page."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from hts.audit.models import AuditEntry
from hts.compliance.rules import Policy
from hts.compliance.sweep import run_sweep
from hts.mail.models import OutboxMessage
from hts.operations.calendar import bank_holidays
from hts.operations.closures import (
    MAX_CLOSURE_WEEKDAYS,
    ClosureInput,
    ClosureRefused,
    closure_days,
    record_closure,
    remove_closure,
)
from hts.operations.models import ClosureKind, Run, RunStatus, SchoolClosure
from hts.operations.run_notices import notify_operators
from hts.operations.runs import generate_runs, record_event
from hts.web import local_today
from tests import factories
from tests.compliance.test_sweep import crewed_route

WEDNESDAY = dt.date(2026, 11, 25)
POLICY = Policy()
THURSDAY, FRIDAY, MONDAY = (WEDNESDAY + dt.timedelta(days=n) for n in (1, 2, 5))


def closing(first: dt.date, last: dt.date | None = None, school_id: int | None = 1,
            kind: ClosureKind = ClosureKind.CLOSURE, reason: str = "heating failure") -> ClosureInput:
    return ClosureInput(school_id=school_id, first_day=first, last_day=last, kind=kind, reason=reason)


# --- The rules -------------------------------------------------------------------------------

def test_a_closure_covers_the_weekdays_from_its_first_day_to_its_last():
    assert closure_days(closing(THURSDAY), WEDNESDAY, {}) == ([THURSDAY], {})
    assert closure_days(closing(THURSDAY, MONDAY), WEDNESDAY, {}) == ([THURSDAY, FRIDAY, MONDAY], {})
    assert closure_days(closing(WEDNESDAY), WEDNESDAY, {}) == ([WEDNESDAY], {})  # today itself


@pytest.mark.parametrize(("first", "last", "field", "message"), [
    (WEDNESDAY - dt.timedelta(days=1), None, "first_day",
     "The first day must be today or later: a past day's runs are recorded on the runs board"),
    (FRIDAY, THURSDAY, "last_day", "The last day must be the same as the first day or after it"),
    (FRIDAY + dt.timedelta(days=1), FRIDAY + dt.timedelta(days=2), "first_day",
     "Those days are a weekend: schools are shut at weekends anyway"),
    (THURSDAY, THURSDAY + dt.timedelta(weeks=4, days=1), "last_day",
     f"A closure covers at most {MAX_CLOSURE_WEEKDAYS} weekdays; a longer break is a school holiday: "
     "load it with the school calendar import"),
])
def test_a_closure_that_cannot_be_recorded_says_why(first, last, field, message):
    assert closure_days(closing(first, last), WEDNESDAY, {})[1] == {field: message}


def test_a_day_already_closed_is_named_with_its_reason():
    taken = {FRIDAY: "inset: staff training", MONDAY: "closure: snow"}
    assert closure_days(closing(THURSDAY, MONDAY), WEDNESDAY, taken)[1] == \
        {"first_day": "Already closed on Friday 27 November 2026 (inset: staff training), and 1 more of these days"}


# --- Recording and removing: the runs already made follow ------------------------------------

@pytest.fixture
def two_schools(db_session):
    """Two schools with a route each, their runs made for Wednesday to Friday; Wednesday's first run
    is under way."""
    schools = [factories.make_school(db_session, name=name) for name in ("Oak Academy", "Elm School")]
    operators = [factories.make_operator(db_session, name=name, contact_email=email) for name, email in
                 (("Oak Cars", "desk@oakcars.example"), ("Elm Travel", "ops@elmtravel.example"))]
    routes = [factories.make_route(db_session, school=s, pupils=[factories.make_pupil(db_session, school=s)],
                                   operator=o, route_code=code)
              for s, o, code in zip(schools, operators, ("OAK-1", "ELM-1"), strict=True)]
    for day in (WEDNESDAY, THURSDAY, FRIDAY):
        generate_runs(db_session, day)
    runs = {(run.route_id, run.run_on): run for run in db_session.scalars(select(Run))}
    record_event(db_session, runs[routes[0].id, WEDNESDAY], kind="departed", source="op",
                 occurred_at=dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC))
    return schools, routes, runs


def statuses(db_session, routes, runs) -> list[list[str]]:
    """Each route's runs on Wednesday, Thursday and Friday."""
    db_session.expire_all()
    return [[runs[r.id, day].status.value for day in (WEDNESDAY, THURSDAY, FRIDAY)] for r in routes]


def test_closing_a_school_stands_its_runs_down_and_removing_it_puts_them_back(db_session, two_schools):
    (oak, _), routes, runs = two_schools
    rows, moved = record_closure(db_session, closing(WEDNESDAY, FRIDAY, school_id=oak.id), WEDNESDAY, POLICY)
    assert [row.closed_on for row in rows] == [WEDNESDAY, THURSDAY, FRIDAY]
    # Wednesday's run is under way and stays so; the other school's runs are untouched.
    assert [(m.day, m.stood_down, m.back_on) for m in moved] == [(THURSDAY, 1, 0), (FRIDAY, 1, 0)]
    assert statuses(db_session, routes, runs) == [["under_way", "not_required", "not_required"],
                                                  ["scheduled", "scheduled", "scheduled"]]
    assert runs[routes[0].id, THURSDAY].reason == "closure: heating failure"
    moved = remove_closure(db_session, rows[1], WEDNESDAY, POLICY)
    assert [(m.day, m.stood_down, m.back_on) for m in moved] == [(THURSDAY, 0, 1)]
    assert statuses(db_session, routes, runs)[0] == ["under_way", "scheduled", "not_required"]


def test_closing_every_school_stands_down_every_run_and_a_school_cannot_be_closed_twice(db_session, two_schools):
    (oak, _), routes, runs = two_schools
    record_closure(db_session, closing(THURSDAY, school_id=None, reason="snow"), WEDNESDAY, POLICY)
    assert statuses(db_session, routes, runs) == [["under_way", "not_required", "scheduled"],
                                                  ["scheduled", "not_required", "scheduled"]]
    before = db_session.scalar(select(func.count()).select_from(SchoolClosure))
    with pytest.raises(ClosureRefused) as refused:
        record_closure(db_session, closing(THURSDAY, FRIDAY, school_id=oak.id), WEDNESDAY, POLICY)
    assert refused.value.errors == {"first_day": "Already closed on Thursday 26 November 2026 (closure: snow)"}
    assert db_session.scalar(select(func.count()).select_from(SchoolClosure)) == before
    with pytest.raises(ClosureRefused) as refused:
        record_closure(db_session, closing(FRIDAY, school_id=oak.id, reason="  "), WEDNESDAY, POLICY)
    assert refused.value.errors == {"reason": "Enter why the school is closed, for example heating failure"}


def test_the_operator_of_each_run_that_moved_is_sent_one_notice(db_session, two_schools):
    (oak, _), routes, runs = two_schools
    _, moved = record_closure(db_session, closing(WEDNESDAY, FRIDAY, school_id=oak.id, reason="boiler"), WEDNESDAY, POLICY)
    assert notify_operators(db_session, moved) == 1  # Elm's runs did not move
    (notice,) = db_session.scalars(select(OutboxMessage)).all()
    assert (notice.to_address, notice.subject) == ("desk@oakcars.example", "Runs stood down: OAK-1")
    assert notice.body.splitlines()[:6] == [
        "Dear Oak Cars,", "",
        "These runs of yours are not required: please do not send a vehicle or crew.", "",
        "- Route OAK-1, morning run, Thursday 26 November 2026: closure: boiler",
        "- Route OAK-1, morning run, Friday 27 November 2026: closure: boiler"]
    # Lifting one day is a notice of its own, later.
    closure = db_session.scalar(select(SchoolClosure).where(SchoolClosure.closed_on == FRIDAY))
    assert notify_operators(db_session, remove_closure(db_session, closure, WEDNESDAY, POLICY)) == 1
    later = db_session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()[-1]
    assert later.subject == "Runs back on: OAK-1"
    assert "- Route OAK-1, morning run, Friday 27 November 2026" in later.body.splitlines()
    assert notify_operators(db_session, []) == 0


def test_runs_generated_again_do_not_get_back_crew_the_sweep_took_off(db_session):
    route, driver = crewed_route(db_session, badge_expires=THURSDAY - dt.timedelta(days=1))
    other = factories.make_school(db_session)
    generate_runs(db_session, THURSDAY)
    run_sweep(db_session, THURSDAY, POLICY)
    run = db_session.scalar(select(Run).where(Run.route_id == route.id))
    assert run.driver_id is None
    # Closing and opening another school on Thursday generates Thursday's runs again, this one too.
    rows, _ = record_closure(db_session, closing(THURSDAY, school_id=other.id), WEDNESDAY, POLICY)
    remove_closure(db_session, rows[0], WEDNESDAY, POLICY)
    db_session.expire_all()
    assert (run.status, run.driver_id) == (RunStatus.SCHEDULED, None)
    assert route.driver_id == driver.id


def test_a_past_days_closure_stays(db_session, two_schools):
    (oak, _), _, _ = two_schools
    rows, _ = record_closure(db_session, closing(THURSDAY, school_id=oak.id), WEDNESDAY, POLICY)
    with pytest.raises(ClosureRefused):
        remove_closure(db_session, rows[0], FRIDAY, POLICY)
    assert db_session.get(SchoolClosure, rows[0].id) is not None


# --- The page ----------------------------------------------------------------------------------

def next_school_day(after: dt.date) -> dt.date:
    """The first weekday after `after` that is not a bank holiday (no terms are stored in the tests)."""
    day = after + dt.timedelta(days=1)
    while day.weekday() >= 5 or day in bank_holidays(day.year):
        day += dt.timedelta(days=1)
    return day


@pytest.fixture
def tomorrow_runs(db_session):
    school = factories.make_school(db_session, name="Birch Primary")
    route = factories.make_route(db_session, school=school, pupils=[factories.make_pupil(db_session, school=school)],
                                 route_code="CLOSE-1", operator=factories.make_operator(db_session))
    day = next_school_day(local_today())
    generate_runs(db_session, day)
    return school, db_session.scalar(select(Run).where(Run.route_id == route.id, Run.run_on == day)), day


def test_the_control_room_closes_a_school_and_its_runs_stand_down(client, login, db_session, tomorrow_runs):
    school, run, day = tomorrow_runs
    user = login("operations")
    page = client.get("/operations/closures").get_data(as_text=True)
    assert "Close a school" in page and f'<option value="{school.id}">Birch Primary</option>' in page
    assert 'href="/import"' in page  # the calendar import, for the year's dates
    response = client.post("/operations/closures", data={
        "school": str(school.id), "first_day": day.isoformat(), "last_day": "", "kind": "closure",
        "reason": "burst pipe"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    long_day = f"{day:%A} {day.day} {day:%B %Y}"
    assert f"Birch Primary closed on {long_day} (closure: burst pipe). Runs already made: 1 run stood down for " \
           f"{long_day}. 1 operator was sent a notice." in page
    assert db_session.scalar(select(OutboxMessage.subject)) == "Runs stood down: CLOSE-1"
    board = " ".join(client.get(f"/operations?date={day.isoformat()}").get_data(as_text=True).split())
    assert "Closed on this day: Birch Primary (closure: burst pipe)." in board
    assert "burst pipe" in page and f"Remove<span class=\"govuk-visually-hidden\"> the closure of Birch Primary on {long_day}" in page
    db_session.expire_all()
    assert (run.status, run.reason) == (RunStatus.NOT_REQUIRED, "closure: burst pipe")
    closure = db_session.scalar(select(SchoolClosure))
    # Who closed the school, and who opened it again, is in the audit log.
    created = db_session.scalar(select(AuditEntry).where(AuditEntry.entity_type == "school_closure",
                                                         AuditEntry.action == "create"))
    assert (created.actor, created.after["reason"]) == (user.email, "burst pipe")
    response = client.post(f"/operations/closures/{closure.id}/remove")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Birch Primary is open again on {long_day}. Runs already made: 1 run back on for {long_day}." in page
    db_session.expire_all()
    assert run.status == RunStatus.SCHEDULED
    assert client.post(f"/operations/closures/{closure.id}/remove").status_code == 404  # already removed


def test_a_bad_closure_gets_field_messages_and_writes_nothing(client, login, db_session, tomorrow_runs):
    school, _, day = tomorrow_runs
    login("planner")
    response = client.post("/operations/closures", data={"school": "", "first_day": "31/02/2026", "kind": "",
                                                         "reason": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    for message in ("Choose the school that is closed, or every school",
                    "The first day the school is closed must be a real date, like 2026-11-25",
                    "Choose an unplanned closure or an inset day",
                    "Enter why the school is closed, for example heating failure"):
        assert message in page
    response = client.post("/operations/closures", data={
        "school": "999999", "first_day": day.isoformat(), "kind": "inset", "reason": "training"})
    assert response.status_code == 400
    assert "Choose a school from the list, or every school" in response.get_data(as_text=True)
    response = client.post("/operations/closures", data={
        "school": str(school.id), "first_day": (local_today() - dt.timedelta(days=1)).isoformat(),
        "kind": "inset", "reason": "training"})
    assert response.status_code == 400
    assert "The first day must be today or later" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(SchoolClosure)) == 0


def test_a_manager_sees_the_closures_but_cannot_record_or_remove_one(client, login, db_session, tomorrow_runs):
    school, _, day = tomorrow_runs
    db_session.add(SchoolClosure(school_id=None, closed_on=day, kind=ClosureKind.CLOSURE, reason="snow"))
    db_session.flush()
    login("manager")
    page = client.get("/operations/closures").get_data(as_text=True)
    assert "Every school" in page and "snow" in page
    assert "Close a school" not in page and "Remove<span" not in page
    assert 'href="/import"' not in page  # no link to a page a manager may not open
    assert client.post("/operations/closures", data={"school": "all", "first_day": day.isoformat(),
                                                     "kind": "closure", "reason": "snow"}).status_code == 403
    closure = db_session.scalar(select(SchoolClosure))
    assert client.post(f"/operations/closures/{closure.id}/remove").status_code == 403


def test_the_closures_list_is_paged_and_shows_one_schools_closures(client, login, db_session, app, monkeypatch):
    day = next_school_day(local_today())
    oak, elm = (factories.make_school(db_session, name=name) for name in ("Oak Academy", "Elm School"))
    db_session.add_all([SchoolClosure(school_id=oak.id, closed_on=day, kind=ClosureKind.INSET, reason="training"),
                        SchoolClosure(school_id=elm.id, closed_on=day, kind=ClosureKind.CLOSURE, reason="flood"),
                        SchoolClosure(school_id=None, closed_on=day, kind=ClosureKind.CLOSURE, reason="snow"),
                        SchoolClosure(school_id=elm.id, closed_on=local_today() - dt.timedelta(days=1),
                                      kind=ClosureKind.CLOSURE, reason="yesterday's leak")])
    db_session.flush()
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    login("manager")
    page = " ".join(client.get("/operations/closures").get_data(as_text=True).split())
    assert "Showing 1 to 2 of 3 closures." in page  # yesterday's is past
    assert page.index("snow") < page.index("training")  # every school's first
    page = client.get(f"/operations/closures?school={oak.id}").get_data(as_text=True)
    assert "training" in page and "snow" in page and "flood" not in page
    assert "2 closures." in page
