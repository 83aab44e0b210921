"""Read a CSV (any common dialect, UTF-8 with or without BOM) or an .xlsx into rows of text.

Headers are matched case-insensitively after trimming (spaces inside become underscores), in
any order. The reader knows nothing about kinds: `check_headers` compares the headers with a
kind's columns.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from hts.imports.report import Problem

DELIMITERS = ",;\t|"
_SNIFF_BYTES = 64 * 1024
# Exports prefix a quote to text that a spreadsheet would run as a formula; reading strips it.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ImportFileError(Exception):
    """The file cannot be read at all (wrong encoding, not a workbook, no header)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Row:
    """One data row: its line number in the file and its cells by normalised header."""

    line: int
    cells: dict[str, str]

    def get(self, column: str) -> str:
        """The trimmed text under a header ('' when blank or absent)."""
        return self.cells.get(column, "")


@dataclass
class Table:
    """Headers as written (normalised) and the data rows under them."""

    headers: list[str]
    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def normalise_header(text: str) -> str:
    """'  Pupil Ref ' -> 'pupil_ref'."""
    return "_".join(text.replace("\ufeff", "").strip().lower().split())


def clean_cell(text: str) -> str:
    """Trim a cell and undo the export's formula guard (a leading quote before = + - @)."""
    value = text.strip()
    if len(value) > 1 and value[0] == "'" and value[1] in _FORMULA_STARTS:
        return value[1:].strip()  # a guarded tab or CR is trimmed like any other cell's
    return value


def read_table(source: str | Path | IO[bytes], filename: str) -> Table:
    """Read a .csv (or .txt/.tsv) or .xlsx file into a Table; raises ImportFileError."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".xls":
        raise ImportFileError("old .xls workbooks cannot be read: save the file as .xlsx or CSV UTF-8")
    if suffix not in (".csv", ".txt", ".tsv", ".xlsx"):
        raise ImportFileError(f"'{filename}' is not a .csv or .xlsx file")
    data = _read_bytes(source)
    if suffix == ".xlsx":
        return _table(_xlsx_records(data))
    return _table(_csv_records(data))


def _read_bytes(source: str | Path | IO[bytes]) -> bytes:
    if isinstance(source, str | Path):
        try:
            return Path(source).read_bytes()
        except OSError as exc:
            raise ImportFileError(f"cannot read {source}: {exc.strerror}") from None
    data = source.read()
    return data.encode("utf-8") if isinstance(data, str) else data


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError("the file is UTF-16 text, not UTF-8: save it as CSV UTF-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ImportFileError("the file is not UTF-8 text: save it as CSV UTF-8") from None


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    sample = text[:_SNIFF_BYTES]
    first_line = sample.split("\n", 1)[0]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=DELIMITERS)
        if dialect.delimiter in first_line:
            return dialect
    except csv.Error:
        pass
    # The sniffer gives up on short or irregular files; the header line rarely lies.
    counts = {d: first_line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])

    class Fallback(csv.excel):
        delimiter = best if counts[best] else ","

    return Fallback


def _csv_records(data: bytes) -> Iterator[tuple[int, list[str]]]:
    text = _decode(data)
    if not text.strip():
        raise ImportFileError("the file is empty: it needs a header row and at least one data row")
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text))
    previous_end = 0
    try:
        for record in reader:
            # line_num counts physical lines read so far; a quoted cell may span several.
            yield previous_end + 1, record
            previous_end = reader.line_num
    except csv.Error as exc:
        raise ImportFileError(f"line {reader.line_num}: the CSV is malformed ({exc})") from None


def _xlsx_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _xlsx_records(data: bytes) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError):
        raise ImportFileError("the file is not a valid .xlsx workbook: save it again as .xlsx or CSV UTF-8") from None
    try:
        if not workbook.worksheets:
            raise ImportFileError("the workbook has no sheets")
        sheet = workbook.worksheets[0]
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield line, [_xlsx_cell(v) for v in values]
    finally:
        workbook.close()


def _table(records: Iterable[tuple[int, Sequence[str]]]) -> Table:
    iterator = iter(records)
    header = next(((line, cells) for line, cells in iterator if any(c.strip() for c in cells)), None)
    if header is None:
        raise ImportFileError("the file is empty: it needs a header row and at least one data row")
    header_line, cells = header
    headers = [normalise_header(c) for c in cells]
    while headers and not headers[-1]:
        headers.pop()
    table = Table(headers=headers)
    if header_line != 1:
        table.problems.append(Problem(header_line, "", "the header row must be the first row"))
    for line, values in iterator:
        cleaned = [clean_cell(v) for v in values]
        if not any(cleaned):
            continue
        row: dict[str, str] = {}
        for index, value in enumerate(cleaned):
            if index >= len(headers):
                if value:
                    table.problems.append(
                        Problem(line, f"#{index + 1}", "a value in a column with no header")
                    )
                continue
            if headers[index]:
                row[headers[index]] = value
        table.rows.append(Row(line=line, cells=row))
    return table


def check_headers(headers: Sequence[str], known: Sequence[str], required: Sequence[str],
                  kind: str) -> tuple[list[Problem], list[str]]:
    """Problems (duplicate or missing columns) and warnings (ignored columns) of a header row."""
    problems: list[Problem] = []
    warnings: list[str] = []
    seen: set[str] = set()
    for header in headers:
        if header and header in seen:
            problems.append(Problem(1, header, "the column appears twice: keep one"))
        seen.add(header)
    for name in required:
        if name not in seen:
            problems.append(Problem(1, name, f"the file has no '{name}' column, which a {kind} import needs"))
    ignored = [h for h in dict.fromkeys(headers) if h and h not in known]
    if ignored:
        warnings.append("ignored columns not used by a " + kind + " import: " + ", ".join(ignored))
    if "" in headers:
        warnings.append("ignored columns with a blank header")
    return problems, warnings
