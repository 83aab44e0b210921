"""The demo city's ground: neighbourhoods where people live and a postcode on every block.

Distances are worked in kilometres east (x) and north (y) of the centre, then turned into
degrees; at a city's scale the flat-earth error is a few metres.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hts.demo.words import INWARD_LETTERS

CENTRE_LATITUDE = 52.48
CENTRE_LONGITUDE = -1.89
#: A disc of this radius has about Birmingham's 268 km².
CITY_RADIUS_KM = 9.25
KM_PER_DEGREE_LATITUDE = 111.32
KM_PER_DEGREE_LONGITUDE = KM_PER_DEGREE_LATITUDE * math.cos(math.radians(CENTRE_LATITUDE))
#: One postcode per block of this size (real urban postcodes are smaller, but sparser here
#: keeps the table quick to load while every home still resolves to one within 200 m).
POSTCODE_SPACING_KM = 0.3
#: Districts as rings around the centre (B1 in the middle, higher numbers further out).
DISTRICT_RINGS = ((0.0, 1), (2.4, 7), (4.8, 13), (7.4, 19))


def to_degrees(x_km: np.ndarray | float, y_km: np.ndarray | float) -> tuple:
    """Latitude and longitude of points given in km east and north of the centre."""
    return (CENTRE_LATITUDE + np.asarray(y_km) / KM_PER_DEGREE_LATITUDE,
            CENTRE_LONGITUDE + np.asarray(x_km) / KM_PER_DEGREE_LONGITUDE)


def to_km(latitude: np.ndarray | float, longitude: np.ndarray | float) -> tuple:
    """Km east and north of the centre for points given in degrees."""
    return ((np.asarray(longitude) - CENTRE_LONGITUDE) * KM_PER_DEGREE_LONGITUDE,
            (np.asarray(latitude) - CENTRE_LATITUDE) * KM_PER_DEGREE_LATITUDE)


def uniform_in_disc(rng: np.random.Generator, count: int, radius_km: float) -> np.ndarray:
    """`count` points spread evenly over a disc, as an (count, 2) array of km."""
    radius = radius_km * np.sqrt(rng.random(count))
    angle = rng.random(count) * 2 * math.pi
    return np.column_stack((radius * np.cos(angle), radius * np.sin(angle)))


@dataclass(frozen=True)
class Neighbourhoods:
    """Centres where homes cluster, each with a share of the population and a spread."""

    centres_km: np.ndarray
    weights: np.ndarray
    spread_km: np.ndarray

    def sample(self, rng: np.random.Generator, count: int) -> np.ndarray:
        """Homes drawn around the centres (Gaussian), all inside the city; (count, 2) km."""
        points = np.empty((count, 2))
        filled = 0
        while filled < count:
            need = count - filled
            which = rng.choice(len(self.weights), size=need, p=self.weights)
            candidates = self.centres_km[which] + rng.normal(size=(need, 2)) * self.spread_km[which, None]
            inside = candidates[np.hypot(candidates[:, 0], candidates[:, 1]) <= CITY_RADIUS_KM]
            points[filled:filled + len(inside)] = inside
            filled += len(inside)
        return points


def make_neighbourhoods(rng: np.random.Generator) -> Neighbourhoods:
    """30 to 60 neighbourhoods of different densities across the city."""
    count = int(rng.integers(30, 61))
    centres = uniform_in_disc(rng, count, CITY_RADIUS_KM - 1.0)
    weights = rng.lognormal(mean=0.0, sigma=0.9, size=count)
    spread = rng.uniform(0.25, 0.7, size=count)
    return Neighbourhoods(centres_km=centres, weights=weights / weights.sum(), spread_km=spread)


@dataclass(frozen=True)
class PostcodeTable:
    """One postcode per grid block covering the city, in the order they are written out."""

    codes: tuple[str, ...]
    latitude: np.ndarray
    longitude: np.ndarray
    districts: tuple[str, ...]
    #: Grid cell (column, row) -> index into the table.
    cell_index: dict[tuple[int, int], int]

    def nearest(self, x_km: np.ndarray, y_km: np.ndarray) -> np.ndarray:
        """Index of the postcode of the block each point falls in."""
        cols = np.rint(np.asarray(x_km) / POSTCODE_SPACING_KM).astype(int)
        rows = np.rint(np.asarray(y_km) / POSTCODE_SPACING_KM).astype(int)
        return np.array([self.cell_index[(int(c), int(r))] for c, r in zip(cols, rows, strict=True)],
                        dtype=int)


def _district_centres(rng: np.random.Generator) -> np.ndarray:
    centres = []
    for radius, count in DISTRICT_RINGS:
        offset = rng.random() * 2 * math.pi
        for i in range(count):
            angle = offset + 2 * math.pi * i / count
            centres.append((radius * math.cos(angle), radius * math.sin(angle)))
    return np.array(centres) + rng.normal(scale=0.3, size=(len(centres), 2))


def make_postcodes(rng: np.random.Generator) -> PostcodeTable:
    """A postcode on every block of the city (and a margin), in B-district style: 'B12 3AB'."""
    reach = int(math.ceil((CITY_RADIUS_KM + 0.5) / POSTCODE_SPACING_KM))
    cells = [(c, r) for c in range(-reach, reach + 1) for r in range(-reach, reach + 1)
             if math.hypot(c, r) * POSTCODE_SPACING_KM <= CITY_RADIUS_KM + 0.45]
    grid = np.array(cells, dtype=float) * POSTCODE_SPACING_KM
    # The postcode's point is where its homes are, not the block's exact centre.
    points = grid + rng.uniform(-0.06, 0.06, size=grid.shape)
    centres = _district_centres(rng)
    nearest_district = np.argmin(
        np.hypot(points[:, None, 0] - centres[None, :, 0], points[:, None, 1] - centres[None, :, 1]),
        axis=1,
    )
    units_per_sector = len(INWARD_LETTERS) ** 2
    used: dict[int, int] = {}
    codes: list[str] = []
    districts: list[str] = []
    for district in nearest_district.tolist():
        n = used.get(district, 0)
        used[district] = n + 1
        unit, sector = divmod(n, 10)
        assert unit < units_per_sector, "too many postcodes for one district"
        first, second = divmod(unit, len(INWARD_LETTERS))
        outward = f"B{district + 1}"
        codes.append(f"{outward} {sector}{INWARD_LETTERS[first]}{INWARD_LETTERS[second]}")
        districts.append(outward)
    latitude, longitude = to_degrees(points[:, 0], points[:, 1])
    return PostcodeTable(
        codes=tuple(codes), latitude=np.round(latitude, 6), longitude=np.round(longitude, 6),
        districts=tuple(districts), cell_index={cell: i for i, cell in enumerate(cells)},
    )


def compass_sector(school_lat: float, school_lon: float, latitude: np.ndarray,
                   longitude: np.ndarray, sectors: int = 8) -> np.ndarray:
    """Which of `sectors` compass sectors around the school each point lies in (0 = north)."""
    dx = (np.asarray(longitude) - school_lon) * KM_PER_DEGREE_LONGITUDE
    dy = (np.asarray(latitude) - school_lat) * KM_PER_DEGREE_LATITUDE
    bearing = np.degrees(np.arctan2(dx, dy)) % 360
    return ((bearing + 180 / sectors) // (360 / sectors)).astype(int) % sectors
