"""Property-based tests: every importer takes generated and mangled files without a traceback or a
partial write, and says what is wrong in terms a person can act on; exports neutralise formulas.

Each kind starts from its own (valid) example file, which hypothesis then mangles: wrong
encodings (latin-1, UTF-16, bytes that are not text), ragged rows, huge cells, formula-looking
cells, empty and header-only files, duplicate headers, xlsx workbooks with several sheets or
merged cells. The number of examples is the "hts-imports" profile's (HTS_IMPORT_EXAMPLES, default
12 per kind), so the file runs in well under a minute.
"""

from __future__ import annotations

import csv
import io
import os
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hts.db import Base
from hts.imports.exports import safe_cell, write_export
from hts.imports.kinds import KINDS
from hts.imports.reader import clean_cell, normalise_header
from hts.imports.report import ImportReport
from hts.imports.service import run_import
from tests.imports.conftest import ORDER

settings.register_profile(
    "hts-imports",
    max_examples=int(os.environ.get("HTS_IMPORT_EXAMPLES", "12")),
    deadline=None,
    database=None,
    derandomize=True,  # the same files on every run, so CI is repeatable
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large, HealthCheck.large_base_example],
)
BOUNDED = settings.get_profile("hts-imports")

FORMULAS = ["=1+2", '=HYPERLINK("http://evil.example","click")', "+44 121 496 0000", "-2+3",
            "@SUM(A1:A2)", "\t=cmd", "\r=cmd", "=cmd|' /C calc'!A0", "-", "+", "=", "@"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

cells = st.one_of(
    st.text(max_size=20),
    st.sampled_from(FORMULAS),
    st.just(""),
    st.sampled_from(["é", "Zoë", "Łódź", "日本", "\x00", "'", '"', ",", ";", "\n"]),
    st.integers(min_value=1_000, max_value=200_000).map(lambda n: "x" * n),  # huge: past csv's field limit
    st.integers(min_value=-10**12, max_value=10**12).map(str),
    st.dates().map(lambda d: d.strftime("%d/%m/%Y")),
)


def _table_counts(session: Session) -> dict[str, int]:
    """The number of rows in every table, in one query."""
    tables = Base.metadata.sorted_tables
    row = session.execute(select(*[select(func.count()).select_from(t).scalar_subquery().label(t.name)
                                   for t in tables])).one()
    return dict(zip([t.name for t in tables], row, strict=True))


def _rows(kind: str) -> list[list[str]]:
    spec = KINDS[kind]
    return [list(spec.names), *[list(r) for r in spec.example]]


@st.composite
def mangled_table(draw: Any, kind: str) -> list[list[str]]:
    """The kind's example table with a few generated changes."""
    rows = _rows(kind)
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        change = draw(st.sampled_from(["cell", "ragged_short", "ragged_long", "duplicate_header",
                                       "drop_column", "blank_row", "header_case"]))
        r = draw(st.integers(min_value=0, max_value=len(rows) - 1))
        if change == "cell" and rows[r]:
            c = draw(st.integers(min_value=0, max_value=len(rows[r]) - 1))
            rows[r][c] = draw(cells)
        elif change == "ragged_short" and rows[r]:
            rows[r] = rows[r][: draw(st.integers(min_value=0, max_value=len(rows[r]) - 1))]
        elif change == "ragged_long":
            rows[r] = rows[r] + draw(st.lists(cells, min_size=1, max_size=3))
        elif change == "duplicate_header" and len(rows[0]) > 1:
            a, b = draw(st.lists(st.integers(0, len(rows[0]) - 1), min_size=2, max_size=2, unique=True))
            rows[0][b] = rows[0][a]
        elif change == "drop_column" and len(rows[0]) > 1:
            c = draw(st.integers(min_value=0, max_value=len(rows[0]) - 1))
            rows = [row[:c] + row[c + 1:] for row in rows]
        elif change == "blank_row":
            rows.insert(r, [""] * len(rows[0]))
        elif change == "header_case":
            rows[0] = [f"  {h.upper().replace('_', ' ')} " for h in rows[0]]
    return rows


def _csv_bytes(rows: list[list[str]], delimiter: str, encoding: str) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    text = out.getvalue()
    if encoding == "latin-1":
        return ("é" + text).encode("latin-1", errors="replace")  # é as one byte: not UTF-8
    if encoding == "utf-16":
        return text.encode("utf-16")
    if encoding == "utf-8-sig":
        return text.encode("utf-8-sig")
    return text.encode("utf-8", errors="surrogatepass")


def _xlsx_bytes(rows: list[list[str]], layout: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if layout == "data_on_second_sheet":
        sheet = workbook.create_sheet("Data")
    for row in rows:
        sheet.append([_xlsx_value(v) for v in row])
    if layout == "several_sheets":
        workbook.create_sheet("Notes").append(["not", "the", "data"])
    if layout == "merged_header" and len(rows[0]) > 1:
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=2)
    if layout == "merged_data" and len(rows) > 1 and len(rows[1]) > 2:
        sheet.merge_cells(start_row=2, start_column=2, end_row=2, end_column=3)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_value(value: str) -> Any:
    # openpyxl refuses control characters in cells; numbers go in as numbers, as Excel keeps them.
    value = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", value)[:32_000]
    try:
        return int(value) if re.fullmatch(r"-?\d{1,9}", value) else value
    except ValueError:
        return value


@st.composite
def mangled_file(draw: Any, kind: str) -> tuple[str, bytes]:
    """A file name and the bytes of a generated, usually broken, file of the kind."""
    shape = draw(st.sampled_from(["csv", "csv", "csv", "xlsx", "special"]))
    if shape == "special":
        special = draw(st.sampled_from(["empty", "blank", "header_only", "binary", "binary_xlsx", "not_a_zip",
                                        "old_xls"]))
        header = ",".join(KINDS[kind].names).encode()
        return {
            "empty": (f"{kind}.csv", b""),
            "blank": (f"{kind}.csv", b" \r\n\t\r\n"),
            "header_only": (f"{kind}.csv", header + b"\r\n"),
            "binary": (f"{kind}.csv", draw(st.binary(min_size=1, max_size=200))),
            "binary_xlsx": (f"{kind}.xlsx", draw(st.binary(min_size=0, max_size=200))),
            "not_a_zip": (f"{kind}.xlsx", header),
            "old_xls": (f"{kind}.xls", header),
        }[special]
    rows = draw(mangled_table(kind))
    if shape == "xlsx":
        layout = draw(st.sampled_from(["plain", "several_sheets", "data_on_second_sheet", "merged_header",
                                       "merged_data"]))
        return f"{kind}.xlsx", _xlsx_bytes(rows, layout)
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "latin-1", "utf-16"]))
    return f"{kind}.csv", _csv_bytes(rows, delimiter, encoding)


#: A problem's column: none (the whole row or file), '#N' (a cell with no header), or a header as
#: the reader normalised it (what the person sees in their file, lower case, spaces as _).
COLUMN = re.compile(r"^(|#\d+)$")


def _assert_actionable(report: ImportReport) -> None:
    """Each problem says where (a line and column, or the file) and why, in words."""
    assert report.summary()
    for problem in report.problems:
        assert problem.message.strip() and "Traceback" not in problem.message
        assert problem.line >= 0, problem
        assert COLUMN.match(problem.column) or normalise_header(problem.column) == problem.column, problem
        text = problem.text()
        if problem.line:
            assert text.startswith(f"line {problem.line}")
        if problem.column and problem.line:
            assert f"column {problem.column}" in text


@pytest.mark.parametrize("kind", ORDER)
def test_a_mangled_file_is_never_a_traceback_or_a_partial_write(kind: str, examples: Any, db_session: Session) -> None:
    counts = _table_counts(db_session)

    @given(mangled_file(kind))
    @BOUNDED
    def imports_whole_or_not_at_all(file: tuple[str, bytes]) -> None:
        nonlocal counts
        filename, content = file
        report = run_import(db_session, kind, io.BytesIO(content), filename=filename)
        _assert_actionable(report)
        if report.ok:
            counts = _table_counts(db_session)  # accepted: the next example starts from here
        else:
            assert _table_counts(db_session) == counts, report.problems[:3]

    imports_whole_or_not_at_all()


@pytest.mark.parametrize("kind", ORDER)
def test_a_dry_run_never_writes(kind: str, examples: Any, db_session: Session) -> None:
    counts = _table_counts(db_session)

    @given(mangled_file(kind))
    @settings(BOUNDED, max_examples=max(1, BOUNDED.max_examples // 3))
    def checks_only(file: tuple[str, bytes]) -> None:
        filename, content = file
        report = run_import(db_session, kind, io.BytesIO(content), filename=filename, dry_run=True)
        _assert_actionable(report)
        assert _table_counts(db_session) == counts

    checks_only()


NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


@given(st.one_of(st.text(), st.sampled_from(FORMULAS),
                 st.builds(lambda start, rest: start + rest, st.sampled_from(FORMULA_STARTS), st.text()),
                 st.floats(allow_nan=False, allow_infinity=False).map(str)))
@settings(BOUNDED, max_examples=300)
def test_an_exported_cell_never_starts_a_formula_unless_it_is_a_plain_number(value: str) -> None:
    cell = safe_cell(value)
    if cell.startswith(FORMULA_STARTS):  # only a plain number, or whitespace that runs nothing
        assert NUMBER.fullmatch(cell) or not cell.strip(), cell
    else:
        assert cell in (value, "'" + value)
    # Importing the exported cell reads what importing the value itself would have read.
    if not value.startswith("'"):
        assert clean_cell(cell) == clean_cell(value)


@pytest.mark.parametrize("value", ["-inf", "+nan", "-Infinity", "-1_0", "+1_000"])
def test_words_that_python_would_read_as_numbers_are_still_quoted(value: str) -> None:
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["-1.85", "+44", "-0.5e3", "1_000"])
def test_plain_numbers_are_exported_as_they_are(value: str) -> None:
    assert safe_cell(value) == value


def test_every_exported_file_quotes_formula_text_that_came_in_through_an_import(examples: Any,
                                                                                  db_session: Session) -> None:
    from hts.people.models import Pupil

    pupil = db_session.scalars(select(Pupil)).first()
    pupil.first_name, pupil.last_name = '=HYPERLINK("http://evil.example","x")', "@SUM(A1)"
    db_session.flush()
    for kind in ORDER:
        out = io.StringIO()
        write_export(db_session, kind, out)
        for row in csv.reader(io.StringIO(out.getvalue())):
            for cell in row:
                assert not cell.startswith(FORMULA_STARTS) or NUMBER.fullmatch(cell) or not cell.strip(), (kind, cell)
    out = io.StringIO()
    write_export(db_session, "pupils", out)
    assert "'=HYPERLINK(" in out.getvalue() and "'@SUM(A1)" in out.getvalue()
