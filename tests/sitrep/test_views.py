"""The manager's dashboard, its drill-downs, the CSV exports and the week-ending PDF."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zlib

import pytest
from sqlalchemy import update

from hts.operations.models import CallDay, Complaint, RunStatus, SchoolTerm
from hts.sitrep.models import SitrepSnapshot
from hts.sitrep.report import rag, school_days, term_period, trend, week_ending_for
from hts.sitrep.snapshots import store_snapshot
from tests import factories
from tests.sitrep.test_figures import add_run

#: A past Wednesday and its Friday.
DAY = dt.date(2005, 6, 8)
FRIDAY = dt.date(2005, 6, 10)


@pytest.fixture
def week(db_session):
    """Monday: 2 runs on time. Wednesday: one on time, one late, one cancelled, one not required; calls."""
    school = factories.make_school(db_session)
    routes = [factories.make_route(db_session, school=school, route_code=f"WK-{n}") for n in range(6)]
    monday = DAY - dt.timedelta(days=2)
    add_run(db_session, routes[0], day=monday, expected=2)
    add_run(db_session, routes[1], day=monday, expected=2)
    add_run(db_session, routes[2], day=DAY, expected=2)
    add_run(db_session, routes[3], day=DAY, status=RunStatus.ARRIVED, on_time=False, expected=2)
    add_run(db_session, routes[4], day=DAY, status=RunStatus.CANCELLED, expected=1)
    add_run(db_session, routes[5], day=DAY, status=RunStatus.NOT_REQUIRED, expected=3)
    db_session.add_all([CallDay(call_on=DAY, received=100, answered=85), CallDay(call_on=monday, received=50, answered=50)])
    db_session.add(Complaint(reference="SIT-C1", received_on=DAY - dt.timedelta(days=30), category="Lateness",
                             response_due_on=DAY - dt.timedelta(days=2)))
    db_session.flush()
    return routes


def _page(response):
    return response.get_data(as_text=True)


# --- Pure parts ------------------------------------------------------------------------------

def test_a_week_ends_on_this_friday_or_at_a_weekend_on_the_one_just_gone():
    assert week_ending_for(dt.date(2026, 11, 23)) == dt.date(2026, 11, 27)  # Monday
    assert week_ending_for(dt.date(2026, 11, 27)) == dt.date(2026, 11, 27)  # Friday
    assert week_ending_for(dt.date(2026, 11, 29)) == dt.date(2026, 11, 27)  # Sunday


def test_status_against_a_target_is_given_in_words():
    assert rag(99.5, 99.0, 1.0).words == "Target met"
    assert rag(98.5, 99.0, 1.0).words == "Below target"
    assert rag(97.0, 99.0, 1.0).words == "Well below target"
    assert rag(None, 99.0, 1.0).words == "No data"


def test_the_trend_covers_the_council_terms_school_days_up_to_the_day(db_session):
    db_session.add(SchoolTerm(name="Summer 2005", starts_on=dt.date(2005, 4, 18), ends_on=dt.date(2005, 7, 22)))
    db_session.flush()
    name, start, end = term_period(db_session, DAY)
    assert (name, start, end) == ("Summer 2005", dt.date(2005, 4, 18), DAY)
    days = school_days(db_session, start, end)
    assert dt.date(2005, 5, 2) not in days  # early May bank holiday
    assert dt.date(2005, 4, 23) not in days  # a Saturday
    assert days[0] == dt.date(2005, 4, 18) and days[-1] == DAY


def test_the_trend_uses_a_current_stored_snapshot_and_recomputes_a_stale_one(db_session, week):
    store_snapshot(db_session, DAY)
    db_session.execute(update(SitrepSnapshot).where(SitrepSnapshot.day == DAY)
                       .values(figures={**_stored(db_session), "routes_delivered_pct": 12.34}))
    assert trend(db_session, [DAY])[0]["routes_delivered_pct"] == 12.34
    db_session.execute(update(SitrepSnapshot).where(SitrepSnapshot.day == DAY).values(stale=True))
    assert trend(db_session, [DAY])[0]["routes_delivered_pct"] == 66.67  # 2 of 3 (not required left out)


def _stored(session):
    from sqlalchemy import select

    return session.scalar(select(SitrepSnapshot.figures).where(SitrepSnapshot.day == DAY))


# --- Access ----------------------------------------------------------------------------------

SITREP_PAGES = ("/sitrep", "/sitrep/figures.csv", "/sitrep/trend.csv", "/sitrep/week.pdf")


def test_an_operator_user_is_refused_the_sitrep(client, login):
    login("operator")
    for url in SITREP_PAGES:
        assert client.get(url).status_code == 403, url


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/sitrep")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["manager", "admin", "operations", "planner", "compliance"])
def test_council_staff_may_read_the_sitrep(client, login, role, week):
    login(role)
    for url in SITREP_PAGES:
        assert client.get(f"{url}?date={DAY.isoformat()}").status_code == 200, url


# --- The dashboard ---------------------------------------------------------------------------

def test_the_dashboard_shows_the_day_and_the_week_beside_their_targets(client, login, week):
    login("manager")
    page = " ".join(_page(client.get(f"/sitrep?date={DAY.isoformat()}")).split())
    assert "SITREP for Wednesday 8 June 2005" in page
    assert "Week ending Friday 10 June 2005" in page
    assert "66.67%" in page  # day: 2 of 3 routes delivered
    assert "2 of 3 routes" in page and "4 of 5 routes" in page  # the week adds Monday's two
    assert "Target 99.00%" in page and "Target 99.80%" in page and "Target 90.00%" in page
    assert "Well below target" in page
    assert "85 of 100 calls" in page and "135 of 150 calls" in page


def test_each_figure_links_to_exactly_the_runs_behind_it(client, login, week):
    login("manager")
    page = _page(client.get(f"/sitrep?date={DAY.isoformat()}"))
    links = {m.group(1).replace("&amp;", "&") for m in re.finditer(r'href="(/operations\?[^"]+)"', page)}
    not_delivered = next(link for link in links if "status=not_delivered" in link and "date=" in link)
    listed = _page(client.get(not_delivered))
    assert "WK-4" in listed and "WK-2" not in listed and "WK-3" not in listed and "WK-5" not in listed
    late = next(link for link in links if "status=late" in link and "date=" in link)
    listed = _page(client.get(late))
    assert "WK-3" in listed and "WK-2" not in listed and "WK-4" not in listed
    week_late = next(link for link in links if "status=late" in link and "start=" in link)
    assert "start=2005-06-06" in week_late and "end=2005-06-10" in week_late


def test_casework_figures_link_to_their_lists(client, login, week):
    login("manager")
    page = _page(client.get(f"/sitrep?date={DAY.isoformat()}"))
    assert 'href="/operations/complaints?state=overdue"' in page
    listed = _page(client.get("/operations/complaints?state=overdue"))
    assert "SIT-C1" in listed


def test_roles_that_cannot_open_the_runs_see_figures_without_links(client, login, week):
    login("compliance")
    page = _page(client.get(f"/sitrep?date={DAY.isoformat()}"))
    assert "1 not delivered" in page and "/operations?" not in page


def test_the_trend_has_chart_data_and_the_same_numbers_in_a_table(client, login, db_session, week):
    db_session.add(SchoolTerm(name="Summer 2005", starts_on=dt.date(2005, 6, 6), ends_on=dt.date(2005, 7, 22)))
    login("manager")
    page = _page(client.get(f"/sitrep?date={DAY.isoformat()}"))
    raw = re.search(r'data-sitrep-trend="([^"]+)"', page).group(1)
    chart = json.loads(raw.replace("&#34;", '"').replace("&quot;", '"').replace("&amp;", "&"))
    assert chart["labels"] == ["6 Jun", "7 Jun", "8 Jun"]
    delivered = next(s for s in chart["series"] if s["key"] == "routes_delivered_pct")
    assert delivered["values"] == [100.0, None, 66.67] and delivered["target"] == 99.0
    assert "Trend figures by school day" in page and "Wed 8 Jun 2005" in page
    assert "<script>" not in page and " style=" not in page  # CSP: no inline script or style


# --- Exports ---------------------------------------------------------------------------------

def test_the_figures_csv_has_the_days_and_the_weeks_figures_with_targets(client, login, week):
    login("manager")
    response = client.get(f"/sitrep/figures.csv?date={DAY.isoformat()}")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = {row["key"]: row for row in csv.DictReader(io.StringIO(_page(response)))}
    assert rows["routes_scheduled"]["day"] == "3" and rows["routes_scheduled"]["week"] == "5"
    assert rows["routes_delivered_pct"]["day"] == "66.67" and rows["routes_delivered_pct"]["target"] == "99.00"
    assert rows["calls_answered_pct"]["week"] == "90.00"
    assert rows["complaints_overdue"]["day"] == "1"
    assert rows["period_start"]["week"] == "2005-06-06"


def test_the_trend_csv_has_a_row_per_school_day(client, login, db_session, week):
    db_session.add(SchoolTerm(name="Summer 2005", starts_on=dt.date(2005, 6, 6), ends_on=dt.date(2005, 7, 22)))
    login("manager")
    rows = list(csv.DictReader(io.StringIO(_page(client.get(f"/sitrep/trend.csv?date={DAY.isoformat()}")))))
    assert [row["day"] for row in rows] == ["2005-06-06", "2005-06-07", "2005-06-08"]
    assert rows[0]["routes_delivered_pct"] == "100.00" and rows[1]["routes_delivered_pct"] == ""
    assert rows[2]["calls_answered_pct"] == "85.00" and rows[2]["routes_scheduled"] == "3"


def _pdf_text(data: bytes) -> str:
    """Text of every (Flate-compressed or plain) content stream of a PDF."""
    text = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            text.append(zlib.decompress(match.group(1)).decode("latin-1"))
        except zlib.error:
            text.append(match.group(1).decode("latin-1"))
    return "".join(text)


def test_the_week_ending_report_is_a_pdf_with_its_title_figures_and_status_in_words(client, login, week):
    login("manager")
    response = client.get(f"/sitrep/week.pdf?week_ending={FRIDAY.isoformat()}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    text = _pdf_text(response.data)
    assert "week-ending report" in text
    assert "Week ending Friday 10 June 2005" in text
    assert "80.00%" in text  # 4 of 5 routes delivered in the week
    assert "Well below target" in text and "Definitions" in text


def test_a_week_ending_on_another_weekday_is_refused_with_a_message(client, login):
    login("manager")
    response = client.get("/sitrep/week.pdf?week_ending=2005-06-08")
    assert response.status_code == 302
    page = _page(client.get(response.headers["Location"]))
    assert "is not a Friday" in page
