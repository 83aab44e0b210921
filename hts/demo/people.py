"""The demo city's schools, pupils and operators, drawn from a seed (pure: no database)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from hts.demo import words
from hts.demo.geography import (
    CITY_RADIUS_KM,
    Neighbourhoods,
    PostcodeTable,
    to_degrees,
    to_km,
    uniform_in_disc,
)

#: Share of rows written with blank coordinates, so the import geocodes them by postcode.
BLANK_LOCATION_SHARE = 0.3
#: Needs mix (shares of pupils).
WHEELCHAIR_SHARE = 0.12
PA_SHARE = 0.25
SOLO_SHARE = 0.05
OWN_RIDE_LIMIT_SHARE = 0.08
PART_WEEK_SHARE = 0.10
SHARED_CARE_SHARE = 0.03
PHASES = ("primary", "secondary", "all_through")
PHASE_SHARES = (0.45, 0.30, 0.25)
PHASE_AGES = {"primary": (4, 11), "secondary": (11, 18), "all_through": (4, 18)}
#: How far families travel: the chance of a school falls by e for every this many km.
SCHOOL_DISTANCE_DECAY_KM = {"primary": 2.0, "secondary": 3.0, "all_through": 3.0}
PART_WEEKS = ("Mon Tue Wed", "Mon Wed Fri", "Tue Thu", "Mon Tue Wed Thu", "Tue Wed Thu Fri",
              "Mon Tue", "Thu Fri")
SHARED_CARE_DAYS = ("Wed Thu", "Thu Fri", "Mon Tue", "Fri", "Wed")


@dataclass(frozen=True)
class Place:
    """An address on the ground; `latitude`/`longitude` are where the import will put it."""

    address: str
    postcode: str
    latitude: float
    longitude: float
    #: Written with blank coordinates, to be resolved through the postcode table.
    blank_location: bool


@dataclass(frozen=True)
class DemoSchool:
    """A school of the demo city."""

    urn: str
    name: str
    phase: str
    place: Place
    start_time: dt.time
    finish_time: dt.time


# Compared by identity: pupils are unique and the legacy planner tests membership often.
@dataclass(frozen=True, eq=False)
class DemoPupil:
    """A pupil of the demo city with needs and home address(es)."""

    pupil_ref: str
    first_name: str
    last_name: str
    date_of_birth: dt.date
    school_urn: str
    home: Place
    wheelchair: bool
    passenger_assistant: bool
    solo: bool
    max_ride_minutes: int | None
    travel_days: str
    second_home: Place | None = None
    second_home_days: str = ""

    def age_on(self, day: dt.date) -> int:
        """Age in whole years on the given day."""
        had_birthday = (day.month, day.day) >= (self.date_of_birth.month, self.date_of_birth.day)
        return day.year - self.date_of_birth.year - (0 if had_birthday else 1)


@dataclass(frozen=True)
class DemoOperator:
    """A transport company with its depot."""

    operator_ref: str
    name: str
    contact_email: str
    depot: Place


def place_at(rng: np.random.Generator, postcodes: PostcodeTable, x_km: float, y_km: float,
             address: str) -> Place:
    """An address at a point; a share are left for the postcode geocoder (and so sit on it)."""
    index = int(postcodes.nearest(np.array([x_km]), np.array([y_km]))[0])
    blank = bool(rng.random() < BLANK_LOCATION_SHARE)
    if blank:
        latitude, longitude = float(postcodes.latitude[index]), float(postcodes.longitude[index])
    else:
        lat, lon = to_degrees(x_km, y_km)
        latitude, longitude = round(float(lat), 6), round(float(lon), 6)
    return Place(address=address, postcode=postcodes.codes[index], latitude=latitude,
                 longitude=longitude, blank_location=blank)


def street_address(rng: np.random.Generator) -> str:
    """A house number and street name."""
    street = words.STREET_WORDS[int(rng.integers(len(words.STREET_WORDS)))]
    kind = words.STREET_KINDS[int(rng.integers(len(words.STREET_KINDS)))]
    return f"{int(rng.integers(1, 240))} {street} {kind}"


def make_schools(rng: np.random.Generator, count: int, postcodes: PostcodeTable,
                 neighbourhoods: Neighbourhoods) -> list[DemoSchool]:
    """`count` schools with unique names and URNs, staggered starts between 08:30 and 09:30."""
    # Half sit among the homes, half anywhere (special schools often occupy old sites).
    among = neighbourhoods.sample(rng, count // 2)
    anywhere = uniform_in_disc(rng, count - count // 2, CITY_RADIUS_KM - 0.5)
    points = np.vstack((among, anywhere))[rng.permutation(count)]
    urns = rng.choice(np.arange(100000, 150000), size=count, replace=False)
    names: set[str] = set()
    schools = []
    for i in range(count):
        phase = PHASES[int(rng.choice(3, p=PHASE_SHARES))]
        suffixes = words.SCHOOL_SUFFIXES[phase]
        while True:
            stem = words.SCHOOL_WORDS[int(rng.integers(len(words.SCHOOL_WORDS)))]
            name = f"{stem} {suffixes[int(rng.integers(len(suffixes)))]}"
            if name not in names:
                break
        names.add(name)
        # Quarter hours are commonest; the rest on 5 or 10 minute steps.
        step = int(rng.choice((15, 10, 5), p=(0.6, 0.25, 0.15)))
        start_minutes = 8 * 60 + 30 + step * int(rng.integers(0, 60 // step + 1))
        finish_minutes = start_minutes + 390 + int(rng.choice((-15, -10, -5, 0, 0, 5, 10)))
        schools.append(DemoSchool(
            urn=str(int(urns[i])), name=name, phase=phase,
            place=place_at(rng, postcodes, float(points[i, 0]), float(points[i, 1]),
                           street_address(rng)),
            start_time=dt.time(start_minutes // 60, start_minutes % 60),
            finish_time=dt.time(finish_minutes // 60, finish_minutes % 60),
        ))
    return schools


def _birth_date(age: int, days_back: int, today: dt.date) -> dt.date:
    # A child aged `age` today had their last birthday within the past year.
    try:
        last_birthday = today.replace(year=today.year - age)
    except ValueError:  # 29 February in a year that has none
        last_birthday = dt.date(today.year - age, 2, 28)
    return last_birthday - dt.timedelta(days=days_back)


def places(rng: np.random.Generator, postcodes: PostcodeTable, points_km: np.ndarray,
           addresses: list[str]) -> list[Place]:
    """`place_at` for many points at once."""
    index = postcodes.nearest(points_km[:, 0], points_km[:, 1])
    blank = rng.random(len(addresses)) < BLANK_LOCATION_SHARE
    lat, lon = to_degrees(points_km[:, 0], points_km[:, 1])
    result = []
    for i, address in enumerate(addresses):
        k = int(index[i])
        if blank[i]:
            latitude, longitude = float(postcodes.latitude[k]), float(postcodes.longitude[k])
        else:
            latitude, longitude = round(float(lat[i]), 6), round(float(lon[i]), 6)
        result.append(Place(address=address, postcode=postcodes.codes[k], latitude=latitude,
                            longitude=longitude, blank_location=bool(blank[i])))
    return result


def street_addresses(rng: np.random.Generator, count: int) -> list[str]:
    """`count` house numbers and street names."""
    numbers = rng.integers(1, 240, size=count)
    streets = rng.integers(len(words.STREET_WORDS), size=count)
    kinds = rng.integers(len(words.STREET_KINDS), size=count)
    return [f"{int(n)} {words.STREET_WORDS[int(s)]} {words.STREET_KINDS[int(k)]}"
            for n, s, k in zip(numbers, streets, kinds, strict=True)]


def _choose_schools(rng: np.random.Generator, homes: np.ndarray, phases: np.ndarray,
                    schools: list[DemoSchool]) -> np.ndarray:
    """Each pupil's school: one of their phase, the chance falling with distance from home."""
    sx, sy = to_km(np.array([s.place.latitude for s in schools]),
                   np.array([s.place.longitude for s in schools]))
    distance = np.hypot(sx[None, :] - homes[:, 0:1], sy[None, :] - homes[:, 1:2])
    school_phase = np.array([PHASES.index(s.phase) for s in schools])
    decay = np.array([SCHOOL_DISTANCE_DECAY_KM[p] for p in PHASES])[phases]
    # Special schools draw from far away: the chance falls with distance but never to zero.
    weight = np.exp(-distance / decay[:, None]) + 0.002
    same_phase = school_phase[None, :] == phases[:, None]
    # A small city may lack a phase; those pupils go to any school.
    same_phase[~same_phase.any(axis=1)] = True
    cumulative = np.cumsum(np.where(same_phase, weight, 0.0), axis=1)
    draw = rng.random(len(homes)) * cumulative[:, -1]
    return np.minimum((cumulative < draw[:, None]).sum(axis=1), len(schools) - 1)


def make_pupils(rng: np.random.Generator, count: int, schools: list[DemoSchool],
                postcodes: PostcodeTable, neighbourhoods: Neighbourhoods,
                today: dt.date) -> list[DemoPupil]:
    """`count` pupils living in the neighbourhoods, each at a school that is near-ish to home."""
    homes = neighbourhoods.sample(rng, count)
    phases = rng.choice(len(PHASES), size=count, p=PHASE_SHARES)
    school_index = _choose_schools(rng, homes, phases, schools)
    # Ages follow the school the pupil actually attends.
    attended = np.array([PHASES.index(schools[int(i)].phase) for i in school_index])
    low = np.array([PHASE_AGES[p][0] for p in PHASES])[attended]
    high = np.array([PHASE_AGES[p][1] for p in PHASES])[attended]
    ages = rng.integers(low, high + 1)
    birthdays_back = rng.integers(0, 365, size=count)
    wheelchair = rng.random(count) < WHEELCHAIR_SHARE
    # Half of wheelchair users need a PA; others less often, so the overall share is PA_SHARE.
    pa_chance = np.where(wheelchair, 0.5, (PA_SHARE - 0.5 * WHEELCHAIR_SHARE) / (1 - WHEELCHAIR_SHARE))
    pa = rng.random(count) < pa_chance
    solo = rng.random(count) < SOLO_SHARE
    limits = rng.choice((30, 35, 40, 45, 50, 60), size=count)
    own_limit = rng.random(count) < OWN_RIDE_LIMIT_SHARE
    part_week = rng.random(count) < PART_WEEK_SHARE
    weeks = rng.integers(len(PART_WEEKS), size=count)
    firsts = rng.integers(len(words.FIRST_NAMES), size=count)
    lasts = rng.integers(len(words.LAST_NAMES), size=count)
    home_places = places(rng, postcodes, homes, street_addresses(rng, count))
    shared = np.flatnonzero(rng.random(count) < SHARED_CARE_SHARE)
    second_places = places(rng, postcodes, neighbourhoods.sample(rng, len(shared)),
                           street_addresses(rng, len(shared)))
    second_days = rng.integers(len(SHARED_CARE_DAYS), size=len(shared))
    second = {}
    for i, place, d in zip(shared.tolist(), second_places, second_days.tolist(), strict=True):
        travel = PART_WEEKS[int(weeks[i])] if part_week[i] else "Mon Tue Wed Thu Fri"
        # The second home's days are some, never all, of the pupil's travel days.
        fitting = [days for days in SHARED_CARE_DAYS
                   if set(days.split()) < set(travel.split())] or [travel.split()[0]]
        second[i] = (place, fitting[d % len(fitting)])
    pupils = []
    for i in range(count):
        other, other_days = second.get(i, (None, ""))
        pupils.append(DemoPupil(
            pupil_ref=f"P{100001 + i}", first_name=words.FIRST_NAMES[int(firsts[i])],
            last_name=words.LAST_NAMES[int(lasts[i])],
            date_of_birth=_birth_date(int(ages[i]), int(birthdays_back[i]), today),
            school_urn=schools[int(school_index[i])].urn, home=home_places[i],
            wheelchair=bool(wheelchair[i]), passenger_assistant=bool(pa[i]), solo=bool(solo[i]),
            max_ride_minutes=int(limits[i]) if own_limit[i] else None,
            travel_days=PART_WEEKS[int(weeks[i])] if part_week[i] else "",
            second_home=other, second_home_days=other_days,
        ))
    return pupils


def words_choice(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    """One of the options, drawn from the generator."""
    return options[int(rng.integers(len(options)))]


def make_operators(rng: np.random.Generator, count: int, postcodes: PostcodeTable) -> list[DemoOperator]:
    """`count` operators with distinct names and depots spread across the city."""
    depots = uniform_in_disc(rng, count, CITY_RADIUS_KM - 1.0)
    names: set[str] = set()
    operators = []
    for i in range(count):
        while True:
            name = (f"{words_choice(rng, words.OPERATOR_FIRST)} {words_choice(rng, words.OPERATOR_SECOND)}"
                    f" {words_choice(rng, words.OPERATOR_FORMS)}")
            if name not in names:
                break
        names.add(name)
        slug = "".join(ch for ch in name.split(" Ltd")[0].split(" Limited")[0].lower() if ch.isalnum())
        operators.append(DemoOperator(
            operator_ref=f"OP{i + 1:03d}", name=name, contact_email=f"bookings@{slug[:40]}.example",
            depot=place_at(rng, postcodes, float(depots[i, 0]), float(depots[i, 1]),
                           f"Unit {int(rng.integers(1, 30))}, {street_address(rng)}"),
        ))
    return operators


def scaled(count_at_default: int, pupils: int, default_pupils: int, minimum: int) -> int:
    """A count scaled with the number of pupils, never below `minimum`."""
    return max(minimum, int(math.floor(count_at_default * pupils / default_pupils + 0.5)))
