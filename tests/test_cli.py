"""The `hts init` and `hts users create` commands."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select

from hts import create_app
from hts.auth.models import Role, User
from hts.cli import main
from hts.db import make_engine
from hts.migrate import current_revision
from tests import factories


def test_init_creates_a_database_and_is_safe_to_run_again(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    monkeypatch.setenv("HTS_DATABASE_URL", url)
    monkeypatch.setenv("HTS_SECRET_KEY", "x")
    runner = CliRunner()
    first = runner.invoke(main, ["init"])
    assert first.exit_code == 0, first.output
    assert "migrated from empty" in first.output
    second = runner.invoke(main, ["init"])
    assert second.exit_code == 0
    assert "up to date" in second.output
    assert current_revision(make_engine(url)) is not None


def test_init_reports_an_unreachable_database_without_a_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("HTS_DATABASE_URL", f"sqlite:///{tmp_path / 'missing-dir' / 'x' / 'db.sqlite3'}")
    monkeypatch.setenv("HTS_SECRET_KEY", "x")
    result = CliRunner().invoke(main, ["init"])
    assert result.exit_code == 1
    assert "Error: could not migrate" in result.output
    assert "Traceback" not in result.output


def test_users_create_makes_an_operator_account_tied_to_its_operator(app, db_session):
    operator = factories.make_operator(db_session, operator_ref="OPX1")
    result = app.test_cli_runner().invoke(args=[
        "users", "create", "--email", "Desk@OPX.example", "--name", "Desk", "--role", "operator",
        "--operator", "OPX1", "--password", "long enough pass 1",
    ])
    assert result.exit_code == 0, result.output
    user = db_session.scalar(select(User).where(User.email == "desk@opx.example"))
    assert user.role == Role.OPERATOR and user.operator_id == operator.id


def test_users_create_refuses_bad_input_with_exit_code_2(app, db_session):
    runner = app.test_cli_runner()
    no_operator = runner.invoke(args=["users", "create", "--email", "a@b.example", "--name", "A",
                                      "--role", "operator", "--password", "long enough pass 1"])
    assert no_operator.exit_code == 2
    assert "must name its operator" in no_operator.output
    short = runner.invoke(args=["users", "create", "--email", "a@b.example", "--name", "A",
                                "--role", "planner", "--password", "short"])
    assert short.exit_code == 2
    assert "at least 10 characters" in short.output
    bad_role = runner.invoke(args=["users", "create", "--email", "a@b.example", "--name", "A",
                                   "--role", "wizard", "--password", "long enough pass 1"])
    assert bad_role.exit_code == 2
    assert db_session.scalar(select(User).where(User.email == "a@b.example")) is None


def test_the_app_reads_its_database_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("HTS_DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite3'}")
    monkeypatch.setenv("HTS_SECRET_KEY", "x")
    app = create_app()
    assert app.config["DATABASE_URL"].endswith("env.sqlite3")


def test_the_real_command_line_reaches_our_routes_group_not_flasks(tmp_path, monkeypatch):
    monkeypatch.setenv("HTS_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("HTS_SECRET_KEY", "x")
    runner = CliRunner()
    assert runner.invoke(main, ["init"]).exit_code == 0
    result = runner.invoke(main, ["routes", "assign", "NO-SUCH-ROUTE", "--driver", "S1"])
    assert result.exit_code == 2
    assert "no route 'NO-SUCH-ROUTE'" in result.output
