"""Fixtures shared by the control room's tests and the operator's own runs pages."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from hts.operations.models import Run
from hts.operations.runs import generate_runs
from tests import factories

#: A past Wednesday (no terms are stored in the tests, so every weekday but a bank holiday is a school day).
DAY = dt.date(2024, 11, 13)


@pytest.fixture
def day_runs(db_session):
    """Two schools, two operators, a morning route each, and the day's runs generated."""
    oak = factories.make_school(db_session, name="Oak Academy", start_time=dt.time(9, 0))
    elm = factories.make_school(db_session, name="Elm School", start_time=dt.time(8, 45))
    ours = factories.make_operator(db_session, name="Ourtown Cars")
    theirs = factories.make_operator(db_session, name="Theirville Taxis")
    ava = factories.make_pupil(db_session, school=oak, first_name="Ava", last_name="Stone")
    ben = factories.make_pupil(db_session, school=oak, first_name="Ben", last_name="Marsh")
    cal = factories.make_pupil(db_session, school=elm, first_name="Cal", last_name="Reed")
    oak_route = factories.make_route(db_session, school=oak, pupils=[ava, ben], route_code="BOARD-OAK", operator=ours)
    elm_route = factories.make_route(db_session, school=elm, pupils=[cal], route_code="BOARD-ELM", operator=theirs)
    generate_runs(db_session, DAY)
    runs = {run.route_id: run for run in db_session.scalars(select(Run).where(Run.run_on == DAY))}
    return {"oak": oak, "elm": elm, "ours": ours, "theirs": theirs, "ava": ava, "ben": ben, "cal": cal,
            "oak_run": runs[oak_route.id], "elm_run": runs[elm_route.id]}
