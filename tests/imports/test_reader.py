"""Reading CSV and Excel files into rows, and checking header rows."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook

from hts.imports.reader import ImportFileError, check_headers, read_table


def _read(text: str | bytes, name: str = "f.csv"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return read_table(io.BytesIO(data), name)


def test_headers_are_trimmed_lower_cased_and_spaces_become_underscores():
    table = _read(" URN ,Start Time\n100,09:00\n")
    assert table.headers == ["urn", "start_time"]
    assert table.rows[0].cells == {"urn": "100", "start_time": "09:00"}
    assert table.rows[0].line == 2


def test_a_byte_order_mark_is_ignored():
    table = _read(b"\xef\xbb\xbfurn,name\n1,A\n")
    assert table.headers == ["urn", "name"]


@pytest.mark.parametrize("delimiter", [";", "\t", "|", ","])
def test_common_dialects_are_recognised(delimiter):
    text = delimiter.join(["urn", "name", "postcode"]) + "\n" + delimiter.join(["1", "Hill, School", "B1 1AA"]) + "\n"
    if delimiter == ",":
        text = 'urn,name,postcode\n1,"Hill, School",B1 1AA\n'
    table = _read(text)
    assert table.rows[0].cells == {"urn": "1", "name": "Hill, School", "postcode": "B1 1AA"}


def test_text_that_is_not_utf8_is_refused_with_a_clear_message():
    with pytest.raises(ImportFileError, match="not UTF-8 text: save it as CSV UTF-8"):
        _read("urn,name\n1,Café\n".encode("cp1252"))


def test_blank_rows_are_skipped_and_line_numbers_count_physical_lines():
    table = _read('urn,name\n1,"two\nlines"\n\n2,B\n')
    assert [(r.line, r.get("urn")) for r in table.rows] == [(2, "1"), (5, "2")]


def test_the_export_formula_guard_is_removed_on_reading():
    table = _read("urn,name\n1,'=SUM(A1)\n")
    assert table.rows[0].get("name") == "=SUM(A1)"


def test_an_xlsx_first_sheet_is_read_as_text_with_values_not_formulas():
    book = Workbook()
    sheet = book.active
    sheet.append(["URN", "Start_time", "Opened", "Seats", "Lat"])
    sheet.append([100123, dt.time(8, 45), dt.datetime(2020, 9, 1), 4.0, 52.5])
    buffer = io.BytesIO()
    book.save(buffer)
    table = read_table(io.BytesIO(buffer.getvalue()), "schools.xlsx")
    assert table.rows[0].cells == {"urn": "100123", "start_time": "08:45", "opened": "2020-09-01",
                                   "seats": "4", "lat": "52.5"}


def test_a_broken_workbook_and_other_file_types_are_refused():
    with pytest.raises(ImportFileError, match="not a valid .xlsx"):
        read_table(io.BytesIO(b"not a zip"), "x.xlsx")
    with pytest.raises(ImportFileError, match="save the file as .xlsx"):
        read_table(io.BytesIO(b""), "old.xls")
    with pytest.raises(ImportFileError, match="not a .csv or .xlsx"):
        read_table(io.BytesIO(b"a"), "notes.pdf")
    with pytest.raises(ImportFileError, match="empty"):
        _read("")


def test_a_value_beyond_the_last_header_is_a_problem():
    table = _read("urn,name\n1,A,extra\n")
    assert [(p.line, p.column) for p in table.problems] == [(2, "#3")]


def test_missing_and_duplicate_columns_are_problems_and_unknown_ones_warnings():
    problems, warnings = check_headers(["urn", "urn", "colour"], ["urn", "name"], ["urn", "name"], "schools")
    assert [(p.line, p.column) for p in problems] == [(1, "urn"), (1, "name")]
    assert "twice" in problems[0].message
    assert warnings == ["ignored columns not used by a schools import: colour"]
