"""Geocoders: the offline postcode table and geopy (with a fake geopy object, no network)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from geopy.exc import GeocoderUnavailable
from sqlalchemy import func, select

from hts.people.geocoding import (
    GeocodingError,
    GeopyGeocoder,
    PostcodeTableGeocoder,
    geocoder_for,
    nominatim,
    normalise_postcode,
)
from hts.people.models import GeocodeCache, Postcode


@dataclass
class FakeLocation:
    latitude: float
    longitude: float


class FakeGeopy:
    """Answers from a dict and remembers what it was asked."""

    def __init__(self, answers=None, error=None):
        self.answers = answers or {}
        self.error = error
        self.asked: list[str] = []

    def geocode(self, query, **kwargs):
        self.asked.append(query)
        if self.error:
            raise self.error
        found = self.answers.get(query)
        return FakeLocation(*found) if found else None


def test_postcodes_are_normalised_to_upper_case_with_one_space():
    assert normalise_postcode(" b11aa ") == "B1 1AA"
    assert normalise_postcode("sw1a  2aa") == "SW1A 2AA"


def test_the_postcode_table_finds_a_loaded_postcode_and_misses_others(db_session):
    db_session.add(Postcode(pcds="B1 1AA", latitude=52.48, longitude=-1.90))
    db_session.flush()
    geocoder = PostcodeTableGeocoder(db_session)
    geocoder.prefetch(["b11aa", "B99 9ZZ"])
    assert geocoder.locate("b1 1aa") == (52.48, -1.90)
    assert geocoder.locate("B99 9ZZ") is None


def test_geopy_answers_are_cached_in_the_database(db_session):
    fake = FakeGeopy({"B1 1AA, United Kingdom": (52.48, -1.9)})
    assert GeopyGeocoder(db_session, fake).locate("b1 1aa") == (52.48, -1.9)
    db_session.flush()
    again = FakeGeopy()
    assert GeopyGeocoder(db_session, again).locate("B1 1AA") == (52.48, -1.9)
    assert again.asked == []
    assert db_session.scalar(select(func.count()).select_from(GeocodeCache)) == 1


def test_geopy_tries_the_address_then_the_postcode_alone(db_session):
    fake = FakeGeopy({"B1 1AA, United Kingdom": (52.48, -1.9)})
    assert GeopyGeocoder(db_session, fake).locate("B1 1AA", "1 High St") == (52.48, -1.9)
    assert fake.asked == ["1 High St, B1 1AA, United Kingdom", "B1 1AA, United Kingdom"]


def test_a_geopy_failure_becomes_a_geocoding_error_and_is_not_cached(db_session):
    fake = FakeGeopy(error=GeocoderUnavailable("connection refused"))
    with pytest.raises(GeocodingError, match="connection refused"):
        GeopyGeocoder(db_session, fake).locate("B1 1AA")
    db_session.flush()
    assert db_session.scalar(select(func.count()).select_from(GeocodeCache)) == 0


def test_the_config_picks_the_geocoder(db_session):
    assert isinstance(geocoder_for({"GEOCODER": "postcodes"}, db_session), PostcodeTableGeocoder)
    chosen = geocoder_for({"GEOCODER": "nominatim", "GEOCODER_URL": "https://geo.council.example/nominatim",
                           "GEOCODER_USER_AGENT": "council-hts"}, db_session)
    assert isinstance(chosen, GeopyGeocoder)
    with pytest.raises(ValueError, match="postcodes"):
        geocoder_for({"GEOCODER": "magic"}, db_session)


def test_nominatim_points_at_the_councils_server():
    geocoder = nominatim({"GEOCODER_URL": "http://geo.council.example:8080/nominatim",
                          "GEOCODER_USER_AGENT": "council-hts", "GEOCODER_TIMEOUT_SECONDS": 3})
    assert geocoder.domain == "geo.council.example:8080/nominatim"
    assert geocoder.scheme == "http"
    assert geocoder.timeout == 3
