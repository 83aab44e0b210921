"""A small demo city shared by the pure tests (building it is deterministic, so once is enough)."""

from __future__ import annotations

import datetime as dt

import pytest

from hts.demo.generator import DemoCity, generate

TODAY = dt.date(2026, 9, 1)
SMALL = 300


@pytest.fixture(scope="session")
def small_city() -> DemoCity:
    """The demo city at 300 pupils, dated 1 September 2026."""
    return generate(seed=11, pupils=SMALL, today=TODAY)
