"""A planner loads a pupils file through the import page, fixes it, and finds the pupil."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests.e2e.accessibility import follow, submit, visit

HEADER = ("pupil_ref,first_name,last_name,date_of_birth,school_urn,address,postcode,latitude,"
          "longitude,wheelchair,passenger_assistant,solo,max_ride_minutes,travel_days")

# Line 2 is good; lines 3-6 each break one rule.
BAD_FILE = "\n".join([
    HEADER,
    "E2E-0001,Priya,Sharma,2014-05-03,E2E100,14 Vicarage Road,B14 7LX,52.4301,-1.8902,no,yes,no,,Mon Tue Wed Thu Fri",
    "E2E-0002,Tom,Okafor,2012-09-21,999999,3 Canal Side,B1 2JP,52.4789,-1.9105,no,no,no,,",
    "E2E-0003,Lily,Evans,31/02/2013,E2E100,88 Hagley Road,B16 8LB,52.4712,-1.9411,no,no,no,,",
    "E2E-0001,Priya,Sharma,2014-05-03,E2E100,14 Vicarage Road,B14 7LX,52.4301,-1.8902,no,yes,no,,",
    "E2E-0004,Noah,Price,2011-01-30,E2E100,1 Rue de Rivoli,B5 4BU,48.8566,2.3522,yes,no,no,50,Mon Wed",
]) + "\n"

GOOD_FILE = "\n".join([
    HEADER,
    "E2E-0001,Priya,Sharma,2014-05-03,E2E100,14 Vicarage Road,B14 7LX,52.4301,-1.8902,no,yes,no,,Mon Tue Wed Thu Fri",
    "E2E-0002,Tom,Okafor,2012-09-21,E2E100,3 Canal Side,B1 2JP,52.4789,-1.9105,no,no,no,,",
    "E2E-0003,Lily,Evans,28/02/2013,E2E100,88 Hagley Road,B16 8LB,52.4712,-1.9411,no,no,no,,",
    "E2E-0004,Noah,Price,2011-01-30,E2E100,12 Bristol Road,B5 4BU,52.4571,-1.9030,yes,no,no,50,Mon Wed",
]) + "\n"


def _upload(page: Page, path: Path) -> None:
    visit(page, "/import")
    page.get_by_role("radio", name="Pupils", exact=True).check()
    page.get_by_label("Upload a file").set_input_files(str(path))
    submit(page, page.get_by_role("button", name="Import").click)


def _problem_row(table: Locator, line: int, column: str) -> Locator:
    """The report's row for a line and column (cells: line, column, reason)."""
    return table.locator("tbody tr").filter(
        has=table.page.get_by_role("cell", name=str(line), exact=True)
    ).filter(has=table.page.get_by_role("cell", name=column, exact=True))


def test_a_pupils_file_with_bad_rows_is_reported_then_the_fixed_file_loads(
    page: Page, sign_in, make_school, tmp_path: Path
):
    make_school(urn="E2E100", name="Brookfield Primary School")
    sign_in("planner")

    bad = tmp_path / "pupils-bad.csv"
    bad.write_text(BAD_FILE, encoding="utf-8")
    _upload(page, bad)

    expect(page.get_by_role("heading", level=1)).to_contain_text("pupils-bad.csv")
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("The file was rejected")
    expect(summary).to_contain_text("4 problems")
    expect(summary).to_contain_text("nothing was written")
    table = page.get_by_role("table", name="Problems to fix in the file")
    expect(table.get_by_role("columnheader")).to_have_text(["Line", "Column", "Reason"])
    expect(table.locator("tbody tr")).to_have_count(4)
    expect(_problem_row(table, 3, "school_urn")).to_contain_text("unknown school '999999'")
    expect(_problem_row(table, 4, "date_of_birth")).to_contain_text("31/02/2013")
    expect(_problem_row(table, 5, "pupil_ref")).to_contain_text(re.compile("duplicate", re.I))
    expect(_problem_row(table, 5, "pupil_ref")).to_contain_text("line 2")
    expect(_problem_row(table, 6, "latitude")).to_contain_text("outside the UK")

    # Nothing from the rejected file was written, not even its good line.
    visit(page, "/pupils?q=Sharma")
    expect(page.get_by_role("link", name="Priya Sharma")).to_have_count(0)

    good = tmp_path / "pupils.csv"
    good.write_text(GOOD_FILE, encoding="utf-8")
    _upload(page, good)

    banner = page.locator(".govuk-notification-banner--success")
    expect(banner).to_contain_text("4 pupils rows read; 4 were created")
    expect(banner).not_to_contain_text("<h3")  # the heading is markup, not text
    expect(page.get_by_role("table", name="Problems to fix in the file")).to_have_count(0)

    # Find the pupil with the list's search box, as a planner would.
    follow(page, page.get_by_role("navigation", name="Menu").get_by_role("link", name="Pupils"))
    page.get_by_label("Search by name or reference").fill("sharma")
    submit(page, page.get_by_role("button", name="Search").click)
    results = page.get_by_role("table", name="Pupils")
    expect(results.locator("tbody tr")).to_have_count(1)
    expect(results).to_contain_text("E2E-0001")
    follow(page, results.get_by_role("link", name="Priya Sharma"))

    expect(page.get_by_role("heading", level=1)).to_have_text("Priya Sharma")
    details = page.locator(".govuk-summary-list")
    expect(details).to_contain_text("E2E-0001")
    expect(details).to_contain_text("3 May 2014")
    expect(details).to_contain_text("Brookfield Primary School")
    expect(details).to_contain_text("Passenger assistant")
    expect(page.get_by_role("table", name="Home addresses")).to_contain_text("14 Vicarage Road")
    expect(page.get_by_role("table", name="Home addresses")).to_contain_text("B14 7LX")


def test_loading_the_same_file_again_changes_nothing(page: Page, sign_in, make_school, tmp_path: Path):
    make_school(urn="E2E200", name="Lakeside Academy")
    sign_in("admin")
    path = tmp_path / "twice.csv"
    path.write_text(
        HEADER + "\nE2E-0201,Ada,Byron,2013-12-10,E2E200,5 Lake View,B29 6AA,52.4402,-1.9501,no,no,no,,\n",
        encoding="utf-8",
    )
    _upload(page, path)
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("1 were created")
    _upload(page, path)
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "0 were created, 0 were updated, 1 unchanged"
    )
