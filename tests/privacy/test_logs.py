"""No children's personal data in the application's logs or error messages."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from hts import db
from hts.db import make_engine


def test_a_failed_statement_does_not_quote_its_values(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE child (name TEXT UNIQUE)"))
        connection.execute(text("INSERT INTO child VALUES (:name)"), {"name": "Amara Okafor"})
    with pytest.raises(IntegrityError) as failed, engine.begin() as connection:
        connection.execute(text("INSERT INTO child VALUES (:name)"), {"name": "Amara Okafor"})
    assert "Amara" not in str(failed.value)
    assert "hidden due to hide_parameters" in str(failed.value)


def test_a_failing_job_logs_only_the_kind_of_error(app, monkeypatch, caplog):
    from hts import jobs

    def broken() -> str:
        raise ValueError("pupil Amara Okafor at 1 Test Road")

    monkeypatch.setattr(jobs, "heartbeat", broken)
    with caplog.at_level(logging.INFO, logger="hts.jobs"):
        assert jobs.run("heartbeat", app) is False
    assert "ValueError" in caplog.text and "Amara" not in caplog.text
    with app.app_context():
        from hts.scheduler import JobStatus

        status = db.session.get(JobStatus, "heartbeat")
        try:
            assert "Amara" in status.last_detail  # the admin's job page still has the whole error
        finally:
            db.session.delete(status)  # leave no failed heartbeat behind for other tests
            db.session.commit()
