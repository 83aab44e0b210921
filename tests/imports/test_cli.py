"""`hts import` and `hts export` exit codes and messages."""

from __future__ import annotations

from sqlalchemy import func, select

from hts.imports.kinds import KINDS
from hts.people.models import School

GOOD = KINDS["schools"].example_csv().replace("B23 6SA,,", "B23 6SA,52.53,-1.83")
BAD = GOOD.replace("08:50", "8 o'clock")


def _schools(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(School))


def test_a_good_file_is_imported_and_summarised(app, db_session, write_file):
    result = app.test_cli_runner().invoke(args=["import", "schools", str(write_file("s.csv", GOOD))])
    assert result.exit_code == 0, result.output
    assert "2 were created" in result.output
    assert _schools(db_session) == 2


def test_a_rejected_file_lists_every_problem_exits_2_and_writes_nothing(app, db_session, write_file):
    result = app.test_cli_runner().invoke(args=["import", "schools", str(write_file("s.csv", BAD))])
    assert result.exit_code == 2
    assert "line 2, column start_time: '8 o'clock' is not a time (use HH:MM, e.g. 08:45)" in result.output
    assert "nothing was written" in result.output and "Traceback" not in result.output
    assert _schools(db_session) == 0


def test_a_dry_run_checks_but_writes_nothing(app, db_session, write_file):
    result = app.test_cli_runner().invoke(args=["import", "schools", str(write_file("s.csv", GOOD)), "--dry-run"])
    assert result.exit_code == 0 and "Check only" in result.output
    assert _schools(db_session) == 0


def test_an_unknown_kind_or_a_missing_file_exits_2(app, db_session, tmp_path):
    unknown = app.test_cli_runner().invoke(args=["import", "buses", str(tmp_path / "x.csv")])
    assert unknown.exit_code == 2 and "buses" in unknown.output
    missing = app.test_cli_runner().invoke(args=["import", "schools", str(tmp_path / "none.csv")])
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_export_writes_the_import_format(app, db_session, write_file, tmp_path):
    app.test_cli_runner().invoke(args=["import", "schools", str(write_file("s.csv", GOOD))])
    target = tmp_path / "out.csv"
    result = app.test_cli_runner().invoke(args=["export", "schools", str(target)])
    assert result.exit_code == 0 and "Exported 2 schools rows" in result.output
    assert target.read_text(encoding="utf-8").splitlines()[0] == ",".join(KINDS["schools"].names)


def test_the_new_kinds_import_and_export_on_the_command_line(app, db_session, write_file, tmp_path):
    calls = write_file("calls.csv", KINDS["calls"].example_csv())
    result = app.test_cli_runner().invoke(args=["import", "calls", str(calls)])
    assert result.exit_code == 0 and "2 were created" in result.output, result.output
    target = tmp_path / "calls-out.csv"
    assert app.test_cli_runner().invoke(args=["export", "calls", str(target)]).exit_code == 0
    assert target.read_text(encoding="utf-8").splitlines()[1:] == ["2026-09-07,131,122", "2026-09-08,118,109"]
    bad = write_file("runs.csv", KINDS["runs"].example_csv())
    rejected = app.test_cli_runner().invoke(args=["import", "runs", str(bad)])
    assert rejected.exit_code == 2
    assert "line 2, column route_code: unknown route 'R-103456-AM1': import the routes first" in rejected.output
