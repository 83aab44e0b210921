"""Throwaway databases, each a copy of a small demo city built once per run.

The backend is the suite's: PostgreSQL when HTS_TEST_DATABASE_URL names one (CI's throwaway
server; these tests make databases of their own beside it), otherwise SQLite files. CI runs the
suite once on each, so every test here runs once on each backend. Tests that only mean something
on PostgreSQL (concurrent writers) skip on SQLite.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.reliability.harness import Backend, PostgresBackend, SqliteBackend, run_hts

#: Pupils in the base city: big enough for real routes, runs and documents, quick to build.
CITY_PUPILS = "200"


def _postgres_url() -> str | None:
    url = os.environ.get("HTS_TEST_DATABASE_URL", "")
    return url if url.startswith("postgresql") else None


@pytest.fixture(scope="session")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    """PostgreSQL when the suite runs on it, otherwise SQLite."""
    url = _postgres_url()
    if url is None:
        yield SqliteBackend(tmp_path_factory.mktemp("reliability"))
        return
    postgres = PostgresBackend(url)
    yield postgres
    for engine in postgres.engines.values():
        engine.dispose()


@pytest.fixture(scope="session")
def city(backend: Backend) -> Iterator[str]:
    """A migrated database holding the demo city (200 pupils, today's and the next day's runs)."""
    url = backend.create()
    run_hts(url, "init")
    run_hts(url, "demo", "--pupils", CITY_PUPILS, "--history-days", "0")
    yield url
    backend.drop(url)


@pytest.fixture
def fresh_copy(backend: Backend, city: str) -> Iterator[object]:
    """`fresh_copy()` makes another copy of the city for this test; all are dropped after it."""
    made: list[str] = []

    def copy() -> str:
        made.append(backend.create(template=city))
        return made[-1]

    yield copy
    for url in made:
        backend.drop(url)


@pytest.fixture(scope="session")
def postgres(backend: Backend) -> Backend:
    """The PostgreSQL backend; skips the test on SQLite (one writer at a time: no race to test)."""
    if backend.name != "postgresql":
        pytest.skip("needs PostgreSQL: set HTS_TEST_DATABASE_URL (CI runs the suite on PostgreSQL too)")
    return backend
