"""Travel distances and times between points.

The default provider is a straight-line (haversine) distance stretched by a detour factor and
driven at a profile speed: no server needed, good enough for planning in a city. Other
providers (a road-routing server) implement the same `TravelProvider` protocol.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from geopy.distance import great_circle

EARTH_RADIUS_KM = 6371.009  # geopy's mean radius, so numpy and geopy agree


@dataclass(frozen=True)
class Point:
    """A location in WGS84 degrees."""

    latitude: float
    longitude: float


@dataclass(frozen=True)
class TravelMatrix:
    """Integer metres and seconds between every pair of points, indexed as given."""

    metres: np.ndarray
    seconds: np.ndarray


class TravelProvider(Protocol):
    """Something that can say how far and how long between points."""

    def matrix(self, points: Sequence[Point]) -> TravelMatrix:
        """Distances and times between every pair of points."""
        ...


def haversine_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Great-circle kilometres, broadcasting over numpy arrays."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(lon2) - np.radians(lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def straight_line_km(a: Point, b: Point) -> float:
    """Great-circle kilometres between two points (geopy, for single distances)."""
    return great_circle((a.latitude, a.longitude), (b.latitude, b.longitude)).km


@dataclass(frozen=True)
class HaversineProvider:
    """Straight line x detour factor, at a constant speed; the offline default."""

    detour_factor: float = 1.3
    speed_kmh: float = 25.0

    def matrix(self, points: Sequence[Point]) -> TravelMatrix:
        """Distances (rounded) and times (rounded up) between every pair of points."""
        lat = np.fromiter((p.latitude for p in points), dtype=float, count=len(points))
        lon = np.fromiter((p.longitude for p in points), dtype=float, count=len(points))
        km = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :]) * self.detour_factor
        metres = np.rint(km * 1000).astype(np.int64)
        seconds = np.ceil(km / self.speed_kmh * 3600).astype(np.int64)
        return TravelMatrix(metres=metres, seconds=seconds)

    def leg(self, a: Point, b: Point) -> tuple[int, int]:
        """(metres, seconds) from a to b."""
        km = straight_line_km(a, b) * self.detour_factor
        return round(km * 1000), int(np.ceil(km / self.speed_kmh * 3600))


class TravelProviderError(RuntimeError):
    """The road-routing server could not give a usable matrix; the message says why."""


@dataclass(frozen=True)
class OsrmProvider:
    """Road distances and times from an OSRM server's table API (or anything speaking it).

    Large matrices are asked for in blocks of at most `max_points` sources and destinations,
    because OSRM refuses tables over its `--max-table-size` (100 by default).
    """

    base_url: str
    profile: str = "driving"
    max_points: int = 100
    timeout_seconds: float = 30.0

    def _block(self, points: Sequence[Point], sources: Sequence[int],
               destinations: Sequence[int]) -> tuple[list[list[float]], list[list[float]]]:
        """Durations and distances for one block of sources x destinations."""
        used = sorted(set(sources) | set(destinations))
        position = {p: i for i, p in enumerate(used)}
        coordinates = ";".join(f"{points[i].longitude:.6f},{points[i].latitude:.6f}" for i in used)
        query = (
            f"sources={';'.join(str(position[i]) for i in sources)}"
            f"&destinations={';'.join(str(position[i]) for i in destinations)}"
            "&annotations=duration,distance"
        )
        url = f"{self.base_url.rstrip('/')}/table/v1/{self.profile}/{coordinates}?{query}"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout_seconds) as response:
                body = json.load(response)
        except (urllib.error.URLError, TimeoutError, ValueError) as exc:
            raise TravelProviderError(f"road-routing server at {self.base_url} failed: {exc}") from exc
        if body.get("code") != "Ok":
            raise TravelProviderError(
                f"road-routing server said {body.get('code')}: {body.get('message', 'no message')}"
            )
        durations, distances = body.get("durations"), body.get("distances")
        if durations is None or distances is None:
            raise TravelProviderError("road-routing server sent no durations or distances")
        for row in (*durations, *distances):
            if any(v is None for v in row):
                raise TravelProviderError("road-routing server found no road between some points")
        return durations, distances

    def matrix(self, points: Sequence[Point]) -> TravelMatrix:
        """Distances (rounded) and times (rounded up) between every pair of points."""
        n = len(points)
        seconds = np.zeros((n, n), dtype=np.int64)
        metres = np.zeros((n, n), dtype=np.int64)
        half = max(1, self.max_points // 2)  # a block's sources and destinations share the limit
        blocks = [list(range(i, min(n, i + half))) for i in range(0, n, half)]
        for sources in blocks:
            for destinations in blocks:
                durations, distances = self._block(points, sources, destinations)
                rows, cols = np.ix_(sources, destinations)
                seconds[rows, cols] = np.ceil(np.array(durations, dtype=float))
                metres[rows, cols] = np.rint(np.array(distances, dtype=float))
        return TravelMatrix(metres=metres, seconds=seconds)


def default_provider(config: dict[str, object]) -> HaversineProvider:
    """The haversine provider with the app's detour factor and speed."""
    return HaversineProvider(
        detour_factor=float(config.get("TRAVEL_DETOUR_FACTOR", 1.3)),  # type: ignore[arg-type]
        speed_kmh=float(config.get("TRAVEL_SPEED_KMH", 25.0)),  # type: ignore[arg-type]
    )


def planning_provider(config: dict[str, object]) -> TravelProvider:
    """The provider the optimiser uses: an OSRM server when ROUTING_OSRM_URL is set, else haversine."""
    url = str(config.get("ROUTING_OSRM_URL") or "")
    if url:
        return OsrmProvider(base_url=url, profile=str(config.get("ROUTING_OSRM_PROFILE") or "driving"))
    return default_provider(config)
