"""The OSRM table provider, against a local server answering in OSRM's format."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

from hts.routing.matrix import OsrmProvider, Point, TravelProviderError

POINTS = [Point(52.48, -1.90), Point(52.49, -1.91), Point(52.50, -1.88), Point(52.47, -1.93),
          Point(52.46, -1.89)]


def fake_leg(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    """A made-up road: seconds and metres from the coordinate difference."""
    d = abs(a[0] - b[0]) + abs(a[1] - b[1])
    return d * 10000 + 0.4, d * 100000 + 0.6


class Handler(BaseHTTPRequestHandler):
    """Answers /table/v1/driving/lon,lat;... like OSRM, counting requests."""

    requests_seen: list[str] = []
    code = "Ok"

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        url = urlsplit(self.path)  # not urlparse: it cuts the path at ";"
        Handler.requests_seen.append(url.path)
        coords = [tuple(map(float, c.split(","))) for c in url.path.split("/")[-1].split(";")]
        q = parse_qs(url.query)
        sources = [int(i) for i in q["sources"][0].split(";")]
        destinations = [int(i) for i in q["destinations"][0].split(";")]
        assert q["annotations"] == ["duration,distance"]
        legs = [[fake_leg(coords[s], coords[d]) for d in destinations] for s in sources]
        body = {"code": Handler.code, "message": "too big",
                "durations": [[leg[0] for leg in row] for row in legs],
                "distances": [[leg[1] for leg in row] for row in legs]}
        data = json.dumps(body).encode()
        self.send_response(200 if Handler.code == "Ok" else 400)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        """Keep test output quiet."""


@pytest.fixture
def server() -> Iterator[str]:
    """A local OSRM look-alike on a free port."""
    Handler.requests_seen = []
    Handler.code = "Ok"
    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def expected() -> tuple[np.ndarray, np.ndarray]:
    """What the fake road gives for POINTS, rounded as the provider promises."""
    lonlat = [(round(p.longitude, 6), round(p.latitude, 6)) for p in POINTS]
    legs = [[fake_leg(a, b) for b in lonlat] for a in lonlat]
    seconds = np.ceil(np.array([[leg[0] for leg in row] for row in legs]))
    metres = np.rint(np.array([[leg[1] for leg in row] for row in legs]))
    return seconds.astype(np.int64), metres.astype(np.int64)


def test_the_table_comes_back_as_integer_seconds_rounded_up_and_metres(server: str) -> None:
    matrix = OsrmProvider(server).matrix(POINTS)
    seconds, metres = expected()
    assert np.array_equal(matrix.seconds, seconds)
    assert np.array_equal(matrix.metres, metres)
    assert Handler.requests_seen[0].startswith("/table/v1/driving/")


def test_large_tables_are_asked_for_in_blocks_that_fit_the_server(server: str) -> None:
    matrix = OsrmProvider(server, max_points=4).matrix(POINTS)
    seconds, metres = expected()
    assert np.array_equal(matrix.seconds, seconds) and np.array_equal(matrix.metres, metres)
    assert len(Handler.requests_seen) == 9  # 3 blocks of 2 points, each against each
    assert all(len(p.split("/")[-1].split(";")) <= 4 for p in Handler.requests_seen)


def test_a_server_error_is_a_clear_message(server: str) -> None:
    Handler.code = "TooBig"
    with pytest.raises(TravelProviderError, match="road-routing server"):
        OsrmProvider(server).matrix(POINTS)


def test_no_server_is_a_clear_message() -> None:
    with pytest.raises(TravelProviderError, match="failed"):
        OsrmProvider("http://127.0.0.1:9", timeout_seconds=2).matrix(POINTS[:2])
