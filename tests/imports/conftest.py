"""Helpers for import tests: write a file, import it, and load the example city."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hts.audit.models import AuditEntry
from hts.imports.kinds import KINDS
from hts.imports.report import ImportReport
from hts.imports.service import run_import

ORDER = ("postcodes", "schools", "pupils", "operators", "staff", "vehicles", "documents", "routes",
         "calendar", "incompatibilities", "runs", "calls", "complaints", "safeguarding", "bus_passes")


def csv_text(*lines: str) -> str:
    """Lines joined as a CSV file body."""
    return "\n".join(lines) + "\n"


@pytest.fixture
def load(db_session: Session) -> Callable[..., ImportReport]:
    """`load(kind, text_or_bytes, filename="x.csv", dry_run=False)` runs the import service."""

    def run(kind: str, content: str | bytes, *, filename: str | None = None, dry_run: bool = False,
            **kw) -> ImportReport:
        data = content.encode("utf-8") if isinstance(content, str) else content
        return run_import(db_session, kind, io.BytesIO(data), filename=filename or f"{kind}.csv",
                          dry_run=dry_run, **kw)

    return run


@pytest.fixture
def examples(load) -> dict[str, ImportReport]:
    """Every kind's example file, imported in dependency order."""
    reports = {}
    for kind in ORDER:
        report = load(kind, KINDS[kind].example_csv())
        assert report.ok, [p.text() for p in report.problems]
        reports[kind] = report
    return reports


@pytest.fixture
def audit_count(db_session: Session) -> Callable[[], int]:
    """How many audit entries exist now."""
    return lambda: db_session.scalar(select(func.count()).select_from(AuditEntry)) or 0


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[..., Path]:
    """Write bytes or text to a file in a temporary folder."""

    def write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    return write


def problems_of(report: ImportReport) -> list[tuple[int, str]]:
    """(line, column) of every problem, for exact assertions."""
    return [(p.line, p.column) for p in report.problems]
