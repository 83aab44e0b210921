"""The demo loads through the import code: every file passes, and `hts demo` fills the database."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from werkzeug.security import check_password_hash

import hts.imports.service
from hts.auth.models import Role, User
from hts.demo import generator
from hts.demo.accounts import demo_email
from hts.demo.generator import LOAD_ORDER, generate, write_files
from hts.imports.service import run_import
from hts.operators.models import Document, Operator, Staff, Vehicle
from hts.people.models import Postcode, Pupil, PupilAddress, School
from hts.routing.models import ChangeRequest, Route
from tests.demo.conftest import TODAY

PASSWORD = re.compile(r"password (\S+) as:")


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_every_demo_file_passes_a_dry_run_of_the_importer_and_then_loads(db_session, tmp_path):
    city = generate(seed=3, pupils=120, today=TODAY)
    for kind, path in write_files(city, tmp_path).items():
        check = run_import(db_session, kind, path, filename=path.name, dry_run=True, today=TODAY)
        assert check.ok, (kind, [p.text() for p in check.problems[:5]])
        load = run_import(db_session, kind, path, filename=path.name, today=TODAY)
        assert load.ok and load.created == len(city.rows(kind)), kind
    geocoded = db_session.scalar(select(func.count()).select_from(PupilAddress)
                                 .where(PupilAddress.geocoded_by != "file"))
    assert geocoded > 0
    assert _count(db_session, Route) == 2 * len(city.routes)


def _demo(app, *args: str):
    return app.test_cli_runner().invoke(args=["demo", "--pupils", "200", "--today", TODAY.isoformat(), *args])


def test_hts_demo_loads_the_city_and_prints_one_password_for_every_role(app, db_session, tmp_path):
    result = _demo(app, "--keep-files", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "Loading pupils: 200 rows ... done in" in result.output
    assert "http://127.0.0.1:5000" in result.output
    assert _count(db_session, Pupil) == 200
    assert _count(db_session, School) == 6 and _count(db_session, Operator) == 3
    assert _count(db_session, Postcode) > 2000
    assert _count(db_session, Staff) > 0 and _count(db_session, Vehicle) > 0
    assert _count(db_session, Document) > 0 and _count(db_session, Route) > 100
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{kind}.csv" for kind in LOAD_ORDER)
    password = PASSWORD.search(result.output).group(1)
    for role in Role:
        assert demo_email(role) in result.output
        user = db_session.scalar(select(User).where(User.email == demo_email(role)))
        assert user.role == role and user.active
        assert check_password_hash(user.password_hash, password)
    operator_user = db_session.scalar(select(User).where(User.email == demo_email(Role.OPERATOR)))
    account_ref = generate(seed=generator.DEFAULT_SEED, pupils=200, today=TODAY).account_operator_ref
    assert f"operator {account_ref}" in result.output
    assert operator_user.operator_id == db_session.scalar(
        select(Operator.id).where(Operator.operator_ref == account_ref))
    assert db_session.scalar(select(func.count()).select_from(Route)
                             .where(Route.operator_id == operator_user.operator_id)) > 0
    states = sorted(state.value for state in db_session.scalars(select(ChangeRequest.state)))
    assert states == ["draft", "published", "submitted"]
    manager = db_session.scalar(select(User).where(User.email == demo_email(Role.MANAGER)))
    assert manager.route_approver


def test_running_hts_demo_again_changes_no_data_and_resets_the_passwords(app, db_session):
    first = _demo(app)
    assert first.exit_code == 0, first.output
    admin = db_session.scalar(select(User).where(User.email == demo_email(Role.ADMIN)))
    admin.active = False
    db_session.flush()
    second = _demo(app, "--url", "http://0.0.0.0:8080")
    assert second.exit_code == 0, second.output
    assert "Loading pupils: 200 rows ... done in" in second.output and "200 unchanged" in second.output
    assert "Sign in at http://0.0.0.0:8080 with password" in second.output  # where `make demo` serves
    old, new = (PASSWORD.search(r.output).group(1) for r in (first, second))
    assert old != new
    db_session.refresh(admin)
    assert admin.active
    assert check_password_hash(admin.password_hash, new) and not check_password_hash(admin.password_hash, old)
    assert _count(db_session, Pupil) == 200
    assert _count(db_session, ChangeRequest) == 3  # made once, not again


def test_a_rejected_demo_file_stops_the_load_with_exit_1_and_writes_nothing(app, db_session, monkeypatch):
    def broken_schools(city):
        return [(*row[:5], "nine o'clock", row[6]) for row in generator._school_rows(city)]

    monkeypatch.setitem(generator._ROW_MAKERS, "schools", broken_schools)
    result = _demo(app)
    assert result.exit_code == 1
    assert "schools.csv: line 2, column start_time" in result.output
    assert "nothing was written" in result.output and "Traceback" not in result.output
    assert _count(db_session, School) == 0 and _count(db_session, Postcode) == 0


@pytest.mark.parametrize("args", [["--pupils", "10"], ["--today", "1st September"]])
def test_hts_demo_refuses_bad_options_with_exit_2(app, db_session, args):
    result = app.test_cli_runner().invoke(args=["demo", *args])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_a_database_error_is_reported_in_one_line_without_a_traceback(app, db_session, monkeypatch):
    def out_of_date(*args, **kwargs):
        raise OperationalError("SELECT route.withdrawn_on FROM route", {},
                               Exception("no such column: route.withdrawn_on"))

    monkeypatch.setattr(hts.imports.service, "run_import", out_of_date)
    result = _demo(app)
    assert result.exit_code == 1
    assert "no such column: route.withdrawn_on" in result.output and "hts init" in result.output
    assert "Traceback" not in result.output
