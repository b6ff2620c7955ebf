"""Geocoding: LAT,LON taken as is; Nominatim through geopy, cached and at most 1 request/s."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import FIXTURES, FakeClock

from prospecting.demo.server import FixtureServer, Reply, demo_handler
from prospecting.errors import ConfigError, GeocodeError
from prospecting.geocode import NominatimGeocoder, locate, parse_lat_lon
from prospecting.http import HttpClient, HttpSettings
from prospecting.models import Point

Start = Callable[..., FixtureServer]


def http(tmp_path: Path, clock: FakeClock) -> HttpClient:
    settings = HttpSettings(
        user_agent="prospecting-tests (t@clinic.example)", cache_path=tmp_path / "c.sqlite", default_min_interval=0
    )
    return HttpClient(settings, clock=clock, sleep=clock.sleep)


def test_lat_lon_needs_no_request() -> None:
    assert parse_lat_lon("32.7790, -79.9370") == Point(32.779, -79.937)
    assert parse_lat_lon("Mount Pleasant, SC") is None
    with pytest.raises(ConfigError):
        parse_lat_lon("132.7, -79.9")


def test_geocode_cached_and_rate_limited(tmp_path: Path, clock: FakeClock, demo_server: FixtureServer) -> None:
    with http(tmp_path, clock) as client:
        geocoder = NominatimGeocoder(client, demo_server.url, "us")
        first = geocoder.geocode("145 King Street, Charleston, SC 29401")
        assert first == Point(32.779, -79.937)
        with pytest.raises(GeocodeError):
            geocoder.geocode("Nowhere Street 99")  # a second query within the second waits its turn
        geocoder.geocode("145 King Street, Charleston, SC 29401")
    assert len(demo_server.requests) == 2  # the repeat came from the cache
    assert clock.sleeps and clock.sleeps[0] == pytest.approx(1.0)
    asked = demo_server.requests[0]
    assert asked.query["countrycodes"] == ["us"] and asked.query["format"] == ["json"]
    assert "t@clinic.example" in asked.headers["User-Agent"]


def test_geocode_rate_is_kept_under_load(tmp_path: Path, clock: FakeClock, demo_server: FixtureServer) -> None:
    """Ten different places: every request starts at least one (fake) second after the one before."""
    starts: list[float] = []
    handler = demo_handler()

    def record(seen):  # type: ignore[no-untyped-def]
        starts.append(clock())
        return handler(seen)

    demo_server.handler = record
    with http(tmp_path, clock) as client:
        geocoder = NominatimGeocoder(client, demo_server.url, "us")
        for n in range(10):
            with pytest.raises(GeocodeError):
                geocoder.geocode(f"Place {n}")
    assert len(starts) == 10
    assert min(b - a for a, b in itertools.pairwise(starts)) >= 1.0


def test_outside_country(tmp_path: Path, clock: FakeClock, scripted: Start) -> None:
    server = scripted({"/search": [Reply(body=(FIXTURES / "nominatim_paris.json").read_text())]})
    with http(tmp_path, clock) as client, pytest.raises(GeocodeError) as caught:
        NominatimGeocoder(client, server.url, "us").geocode("Paris")
    assert "found in country FR, not US" in str(caught.value)


def test_locate_prefers_near_then_point_then_address(tmp_path: Path, clock: FakeClock, demo_server: FixtureServer) -> None:
    with http(tmp_path, clock) as client:
        common = {"nominatim_url": demo_server.url, "country": "us"}
        assert locate(client, place="1.5,2.5", latitude=3.0, longitude=4.0, address=None, **common) == Point(1.5, 2.5)
        assert locate(client, place=None, latitude=3.0, longitude=4.0, address="x", **common) == Point(3.0, 4.0)
        assert demo_server.requests == []
        found = locate(
            client, place=None, latitude=None, longitude=None, address="145 King Street, Charleston, SC 29401", **common
        )
    assert found == Point(32.779, -79.937)
