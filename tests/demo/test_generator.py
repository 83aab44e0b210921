"""The demo city generator: deterministic, the right scale, clustered, a realistic needs mix."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pytest

from hts import weekdays
from hts.demo.generator import COLUMNS, LOAD_ORDER, generate, write_files
from hts.demo.geography import CENTRE_LATITUDE, CENTRE_LONGITUDE, to_km, uniform_in_disc
from hts.routing.matrix import haversine_km
from tests.demo.conftest import SMALL, TODAY

UK_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][ABD-HJLNP-UW-Z]{2}$")


def _share(items, test) -> float:
    return sum(1 for item in items if test(item)) / len(items)


def test_the_same_seed_writes_byte_identical_files(tmp_path):
    first = write_files(generate(seed=5, pupils=120, today=TODAY), tmp_path / "a")
    second = write_files(generate(seed=5, pupils=120, today=TODAY), tmp_path / "b")
    assert list(first) == list(LOAD_ORDER)
    for kind in LOAD_ORDER:
        assert first[kind].read_bytes() == second[kind].read_bytes(), kind


def test_a_different_seed_builds_a_different_city(tmp_path):
    one = write_files(generate(seed=5, pupils=120, today=TODAY), tmp_path / "a")
    other = write_files(generate(seed=6, pupils=120, today=TODAY), tmp_path / "b")
    for kind in ("postcodes", "schools", "pupils", "routes", "documents"):
        assert one[kind].read_bytes() != other[kind].read_bytes(), kind


def test_files_have_the_import_columns_and_one_row_per_item(small_city, tmp_path):
    paths = write_files(small_city, tmp_path)
    for kind, path in paths.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        assert lines[0] == ",".join(COLUMNS[kind])
        assert len(lines) - 1 == len(small_city.rows(kind))
    assert len(small_city.rows("routes")) == 2 * len(small_city.routes)


def test_everything_scales_with_the_number_of_pupils(small_city):
    assert len(small_city.pupils) == SMALL
    assert len(small_city.schools) == round(110 * SMALL / 3500)
    assert len(small_city.operators) == 3
    routes = len(small_city.routes)
    assert 0.25 * SMALL <= routes <= 0.45 * SMALL
    drivers = [s for s in small_city.fleet.staff if s.role == "driver"]
    assistants = [s for s in small_city.fleet.staff if s.role == "passenger_assistant"]
    assert len(small_city.fleet.vehicles) > routes and len(drivers) > routes
    assert len(assistants) > sum(1 for r in small_city.routes if r.needs_pa)


def test_the_default_size_matches_a_large_city():
    city = generate(seed=2026, today=TODAY)
    assert len(city.pupils) == 3500 and len(city.schools) == 110 and len(city.operators) == 40
    assert 950 <= len(city.routes) <= 1250


def test_the_needs_mix_is_near_the_brief(small_city):
    pupils = small_city.pupils
    assert 0.07 <= _share(pupils, lambda p: p.wheelchair) <= 0.17
    assert 0.18 <= _share(pupils, lambda p: p.passenger_assistant) <= 0.32
    assert 0.02 <= _share(pupils, lambda p: p.solo) <= 0.09
    assert 0.04 <= _share(pupils, lambda p: p.max_ride_minutes is not None) <= 0.13
    assert 0.05 <= _share(pupils, lambda p: p.travel_days) <= 0.16
    assert 0.005 <= _share(pupils, lambda p: p.second_home is not None) <= 0.07
    assert all(30 <= p.max_ride_minutes <= 60 for p in pupils if p.max_ride_minutes)
    assert {p.age_on(TODAY) for p in pupils} <= set(range(4, 19))
    assert min(p.age_on(TODAY) for p in pupils) <= 5 and max(p.age_on(TODAY) for p in pupils) >= 17


def test_shared_care_days_are_some_but_not_all_of_the_travel_days(small_city):
    shared = [p for p in small_city.pupils if p.second_home is not None]
    assert shared
    for pupil in shared:
        travel = weekdays.parse(pupil.travel_days)
        alt = weekdays.parse(pupil.second_home_days)
        assert alt & travel == alt and alt != travel


def test_about_a_third_of_rows_are_left_for_the_postcode_geocoder(small_city):
    places = [p.home for p in small_city.pupils] + [s.place for s in small_city.schools]
    assert 0.2 <= _share(places, lambda place: place.blank_location) <= 0.4
    table = dict(zip(small_city.postcodes.codes, zip(small_city.postcodes.latitude.tolist(),
                                                     small_city.postcodes.longitude.tolist(),
                                                     strict=True), strict=True))
    for place in places:
        if place.blank_location:
            assert (place.latitude, place.longitude) == table[place.postcode]
    rows = small_city.rows("pupils")
    assert any(row[7] == "" and row[8] == "" for row in rows)


def test_postcodes_are_unique_valid_and_cover_every_address(small_city):
    codes = small_city.postcodes.codes
    assert len(set(codes)) == len(codes) > 2000
    assert all(UK_POSTCODE.match(code) for code in codes), [c for c in codes if not UK_POSTCODE.match(c)][:5]
    known = set(codes)
    used = [p.home.postcode for p in small_city.pupils] + [s.place.postcode for s in small_city.schools]
    used += [o.depot.postcode for o in small_city.operators]
    assert set(used) <= known
    for pupil in small_city.pupils:
        index = codes.index(pupil.home.postcode)
        km = haversine_km(pupil.home.latitude, pupil.home.longitude,
                          small_city.postcodes.latitude[index], small_city.postcodes.longitude[index])
        assert km < 0.3


def test_the_city_is_the_size_of_birmingham(small_city):
    lat = np.array([p.home.latitude for p in small_city.pupils])
    lon = np.array([p.home.longitude for p in small_city.pupils])
    from_centre = haversine_km(lat, lon, CENTRE_LATITUDE, CENTRE_LONGITUDE)
    assert from_centre.max() <= 12
    assert np.percentile(from_centre, 90) >= 5


def _mean_nearest_neighbour_km(points: np.ndarray) -> float:
    gaps = np.hypot(points[:, None, 0] - points[None, :, 0], points[:, None, 1] - points[None, :, 1])
    np.fill_diagonal(gaps, np.inf)
    return float(gaps.min(axis=1).mean())


def _dispersion(points: np.ndarray) -> float:
    """Variance over mean of the counts in 1 km squares (about 1 for a uniform spread)."""
    cells = [(i, j) for i in range(-9, 9) for j in range(-9, 9) if np.hypot(i + 0.5, j + 0.5) <= 8.5]
    counts = dict.fromkeys(cells, 0)
    for cell in map(tuple, np.floor(points).astype(int).tolist()):
        if cell in counts:
            counts[cell] += 1
    values = np.array(list(counts.values()))
    return float(values.var() / values.mean())


def test_pupils_live_in_clustered_neighbourhoods_not_a_uniform_spread(small_city):
    x, y = to_km(np.array([p.home.latitude for p in small_city.pupils]),
                 np.array([p.home.longitude for p in small_city.pupils]))
    homes = np.column_stack((x, y))
    uniform = uniform_in_disc(np.random.default_rng(0), len(homes), float(np.hypot(x, y).max()))
    assert _mean_nearest_neighbour_km(homes) < 0.8 * _mean_nearest_neighbour_km(uniform)
    assert _dispersion(homes) > 3 * _dispersion(uniform)


def test_schools_start_between_half_eight_and_half_nine_on_five_minute_steps(small_city):
    starts = {s.start_time for s in small_city.schools}
    assert len(starts) > 1
    for school in small_city.schools:
        start = school.start_time.hour * 60 + school.start_time.minute
        finish = school.finish_time.hour * 60 + school.finish_time.minute
        assert 8 * 60 + 30 <= start <= 9 * 60 + 30 and start % 5 == 0
        assert 6 * 60 + 15 <= finish - start <= 6 * 60 + 40


def test_names_and_references_are_unique(small_city):
    for items, key in ((small_city.schools, "name"), (small_city.schools, "urn"),
                       (small_city.operators, "name"), (small_city.pupils, "pupil_ref"),
                       (small_city.fleet.staff, "staff_ref"), (small_city.fleet.vehicles, "registration")):
        values = [getattr(item, key) for item in items]
        assert len(set(values)) == len(values), key
    assert all(re.fullmatch(r"[A-Z]{2}\d{2} [A-Z]{3}", v.registration) for v in small_city.fleet.vehicles)


def test_too_few_pupils_is_refused():
    with pytest.raises(ValueError, match="between 50 and"):
        generate(seed=1, pupils=10, today=dt.date(2026, 9, 1))
