"""Planners start an optimisation in the background, watch it, compare, promote or discard it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hts.routing import worker
from hts.routing.models import DraftPlan, PlanStatus, Route
from tests.routing.test_planning import small_city


@pytest.fixture
def launched(monkeypatch):
    started: list[int] = []
    monkeypatch.setattr(worker, "launch", lambda plan_id, app=None: started.append(plan_id))
    return started


def test_a_planner_queues_a_plan_and_its_worker_is_started(client, login, db_session, launched):
    small_city(db_session)
    login("planner")
    response = client.post("/plans", data={"session": "am", "weekday": "2", "schools": "700001", "time_limit": "10"})
    assert response.status_code == 302
    plan = db_session.scalar(select(DraftPlan))
    assert plan.status == PlanStatus.QUEUED and launched == [plan.id]
    assert plan.school_urns == ["700001"]
    page = client.get(response.headers["Location"])
    assert "Progress" in page.get_data(as_text=True)
    assert client.get(f"/plans/{plan.id}/progress").json["status"] == "queued"


def test_bad_plan_input_is_refused_field_by_field(client, login, db_session, launched):
    login("planner")
    response = client.post("/plans", data={"weekday": "2", "schools": "999999", "time_limit": "5"})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Choose the morning or the afternoon" in text
    assert "No school with URN 999999" in text
    assert "Enter between 10 and 1,800 seconds" in text
    assert db_session.scalar(select(DraftPlan)) is None and launched == []


def test_the_worker_runs_the_plan_and_the_page_compares_and_promotes_it(client, login, db_session, app, launched):
    school, pupils = small_city(db_session)
    from tests import factories

    for i, pupil in enumerate(pupils[:7]):
        factories.make_route(db_session, school=school, pupils=[pupil], route_code=f"OLD-{i}")
    login("planner")
    client.post("/plans", data={"session": "am", "weekday": "2", "schools": "700001", "time_limit": "10"})
    plan = db_session.scalar(select(DraftPlan))
    plan.time_limit_seconds = 2
    worker.execute(db_session, plan, {**app.config, "PLAN_WORKERS": 1})
    assert plan.status == PlanStatus.READY
    page = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert "Draft against the published network" in page and "Publish this plan" in page
    response = client.post(f"/plans/{plan.id}/promote")
    assert response.status_code == 302
    assert plan.status == PlanStatus.PROMOTED
    live = db_session.scalars(select(Route).where(Route.withdrawn_on.is_(None), Route.school_id == school.id)).all()
    assert {r.route_code for r in live} == {r.route_code for r in plan.routes}


def test_a_failed_plan_says_why(db_session, app):
    plan = DraftPlan(session="am", weekday=0, school_urns=["NOPE"], time_limit_seconds=10, requested_by="t")
    db_session.add(plan)
    db_session.commit()
    worker.execute(db_session, plan, app.config)
    assert plan.status == PlanStatus.FAILED and "no school with URN NOPE" in plan.error


def test_managers_may_look_but_not_start_and_operators_may_not_look(client, login, db_session, launched):
    login("manager")
    assert client.get("/plans").status_code == 200
    assert client.post("/plans", data={"session": "am", "weekday": "0", "time_limit": "10"}).status_code == 403
    client.post("/logout")
    login("operator")
    assert client.get("/plans").status_code == 403


def test_discarding_sets_a_ready_plan_aside(client, login, db_session):
    plan = DraftPlan(session="pm", weekday=1, school_urns=[], time_limit_seconds=10, requested_by="t",
                     status=PlanStatus.READY, summary={"vehicles": 0})
    db_session.add(plan)
    login("planner")
    client.post(f"/plans/{plan.id}/discard")
    assert plan.status == PlanStatus.DISCARDED
