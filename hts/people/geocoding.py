"""Geocoding: a postcode (and optionally an address) to a latitude and longitude.

Two implementations behind one small protocol: the offline `postcode` table (the default,
loaded by `hts import postcodes` from the ONS Postcode Directory), and geopy's Nominatim against
a council's own server, with every answer cached in `geocode_cache`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit

from geopy.exc import GeopyError
from sqlalchemy import select
from sqlalchemy.orm import Session

from hts.people.models import GeocodeCache, Postcode

Location = tuple[float, float]


class GeocodingError(Exception):
    """The geocoder could not answer (server down, refused, timed out)."""


class Geocoder(Protocol):
    """Turns a postcode (and optionally an address) into (latitude, longitude), or None."""

    name: str

    def locate(self, postcode: str, address: str | None = None) -> Location | None:
        """The location, None when unknown; raises GeocodingError when it cannot answer."""
        ...

    def prefetch(self, postcodes: Iterable[str]) -> None:
        """Warm up for many lookups (a hint; may do nothing)."""
        ...


def normalise_postcode(text: str) -> str:
    """Upper case with one space before the inward code ('b11aa' -> 'B1 1AA')."""
    compact = "".join(text.split()).upper()
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


class PostcodeTableGeocoder:
    """Looks postcodes up in the offline `postcode` table; the address is not needed."""

    name = "postcodes"

    def __init__(self, session: Session) -> None:
        self._session = session
        self._known: dict[str, Location | None] = {}

    def prefetch(self, postcodes: Iterable[str]) -> None:
        """Load many postcodes with a few IN queries instead of one query each."""
        wanted = sorted({normalise_postcode(p) for p in postcodes} - self._known.keys())
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            for row in self._session.execute(
                select(Postcode.pcds, Postcode.latitude, Postcode.longitude).where(Postcode.pcds.in_(chunk))
            ):
                self._known[row.pcds] = (row.latitude, row.longitude)
            for code in chunk:
                self._known.setdefault(code, None)

    def locate(self, postcode: str, address: str | None = None) -> Location | None:
        """The postcode's centroid, or None when the table does not have it."""
        code = normalise_postcode(postcode)
        if code not in self._known:
            self.prefetch([code])
        return self._known[code]


class GeopyGeocoder:
    """A geopy geocoder (Nominatim on a council's server) with answers cached in the database."""

    def __init__(self, session: Session, geocoder: Any, *, name: str = "nominatim") -> None:
        self._session = session
        self._geocoder = geocoder
        self.name = name
        self._answers: dict[str, Location | None] = {}

    def prefetch(self, postcodes: Iterable[str]) -> None:
        """Nothing to warm up: each query is asked (or read from the cache) on its own."""

    def locate(self, postcode: str, address: str | None = None) -> Location | None:
        """Ask with the address first (more precise), then with the postcode alone."""
        code = normalise_postcode(postcode)
        queries = [f"{address}, {code}, United Kingdom"] if address else []
        queries.append(f"{code}, United Kingdom")
        for query in queries:
            found = self._ask(query)
            if found is not None:
                return found
        return None

    def _ask(self, query: str) -> Location | None:
        if query in self._answers:
            return self._answers[query]
        cached = self._session.scalar(
            select(GeocodeCache).where(GeocodeCache.provider == self.name, GeocodeCache.query == query)
        )
        if cached is not None:
            found = None if cached.latitude is None else (cached.latitude, cached.longitude)
        else:
            try:
                answer = self._geocoder.geocode(query, exactly_one=True, country_codes="gb")
            except (GeopyError, OSError, ValueError) as exc:
                # Not cached: the server may answer next time.
                raise GeocodingError(f"the {self.name} geocoder failed: {exc}") from None
            found = None if answer is None else (float(answer.latitude), float(answer.longitude))
            self._session.add(GeocodeCache(
                provider=self.name, query=query[:400],
                latitude=found[0] if found else None, longitude=found[1] if found else None,
            ))
        self._answers[query] = found
        return found


def nominatim(config: Mapping[str, Any]) -> Any:
    """geopy's Nominatim pointed at GEOCODER_URL (the public server when blank)."""
    from geopy.geocoders import Nominatim

    kwargs: dict[str, Any] = {
        "user_agent": config.get("GEOCODER_USER_AGENT") or "hts",
        "timeout": float(config.get("GEOCODER_TIMEOUT_SECONDS", 5.0)),
    }
    url = config.get("GEOCODER_URL") or ""
    if url:
        parts = urlsplit(url if "//" in url else f"https://{url}")
        kwargs["domain"] = parts.netloc + parts.path.rstrip("/")
        kwargs["scheme"] = parts.scheme or "https"
    return Nominatim(**kwargs)


def geocoder_for(config: Mapping[str, Any], session: Session) -> Geocoder:
    """The geocoder the config names: 'postcodes' (offline table) or 'nominatim'."""
    choice = str(config.get("GEOCODER") or "postcodes").lower()
    if choice == "postcodes":
        return PostcodeTableGeocoder(session)
    if choice == "nominatim":
        return GeopyGeocoder(session, nominatim(config))
    raise ValueError(f"HTS_GEOCODER is '{choice}': use 'postcodes' or 'nominatim'")
