"""Exports write the import formats back, so export -> import changes nothing."""

from __future__ import annotations

import io

from hts.imports.exports import run_export, safe_cell, write_export
from hts.imports.kinds import KINDS
from tests import factories
from tests.imports.conftest import ORDER


def test_every_kind_round_trips_through_export_and_import(examples, load, tmp_path, audit_count, db_session):
    files = {}
    for kind in ORDER:
        path = tmp_path / f"{kind}.csv"
        assert run_export(db_session, kind, path) == examples[kind].rows_read
        files[kind] = path.read_bytes()
    before = audit_count()
    for kind in ORDER:
        report = load(kind, files[kind])
        assert report.ok, [p.text() for p in report.problems]
        assert (report.created, report.updated) == (0, 0), kind
    assert audit_count() == before


def test_an_export_has_the_import_header_and_readable_values(examples, db_session):
    out = io.StringIO()
    write_export(db_session, "pupils", out)
    lines = out.getvalue().splitlines()
    assert lines[0] == ",".join(KINDS["pupils"].names)
    assert lines[2].startswith("P000102,Jack,Doyle,2011-11-02,103999,4 Mill Lane,B23 5XY,")
    assert lines[2].endswith(",yes,yes,no,60,Mon Tue Wed Thu Fri,9 Brook Street,B24 8QQ,52.5201,-1.822,Thu Fri,")


def test_text_that_a_spreadsheet_would_run_is_neutralised_but_numbers_are_not():
    assert safe_cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("+44 121") == "'+44 121"
    assert safe_cell("-1.85") == "-1.85"
    assert safe_cell(-2) == "-2"
    assert safe_cell("Hill School") == "Hill School"


def test_a_formula_in_a_name_survives_the_round_trip(db_session, load):
    factories.make_operator(db_session, operator_ref="OPF", name="=cmd|' /C calc'!A0")
    out = io.StringIO()
    write_export(db_session, "operators", out)
    assert "'=cmd|' /C calc'!A0" in out.getvalue()
    report = load("operators", out.getvalue())
    assert report.ok and report.unchanged == 1
