"""Overpass: parsing real answer shapes, and every failure shape of SOURCES.md."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import FIXTURES, FakeClock

from prospecting.demo.server import FixtureServer, Reply
from prospecting.errors import BadResponse, OfflineMiss, Unavailable
from prospecting.http import HttpClient, HttpSettings
from prospecting.models import Point
from prospecting.sources.osm import Overpass, build_query, parse_overpass

Start = Callable[..., FixtureServer]
CENTRE = Point(32.779, -79.937)
SMALL = (FIXTURES / "overpass_small.json").read_text()


def overpass(tmp_path: Path, clock: FakeClock, *endpoints: str, offline: bool = False) -> Overpass:
    settings = HttpSettings(
        user_agent="t (t@clinic.example)", cache_path=tmp_path / "c.sqlite", default_min_interval=0, offline=offline
    )
    return Overpass(HttpClient(settings, clock=clock, sleep=clock.sleep), tuple(endpoints))


def test_parse_nodes_ways_relations_and_drops() -> None:
    result = parse_overpass(json.loads(SMALL), "2026-11-27T00:00:00+00:00")
    by_id = {x.source_id: x for x in result.listings}
    assert set(by_id) == {"node/4709990082", "node/5209337585", "way/821057382", "way/792677903", "relation/6008617"}
    assert result.dropped == {"fitness_station": 1, "unnamed": 1, "no_coordinates": 1}
    way = by_id["way/821057382"]
    assert (way.latitude, way.longitude) == (32.79315, -79.95098)
    relation = by_id["relation/6008617"]
    assert relation.latitude == 32.8101 and relation.brand == "Crunch Fitness"
    assert "healthcare:speciality=sports" in relation.categories
    yoga = by_id["node/4709990082"]
    assert yoga.address == "210 King Street, Suite 2" and yoga.postcode == "29401"
    assert yoga.phone == "+1 843-555-0101"  # the first of a `;` list
    assert yoga.instagram.endswith("/kingstreetyoga") and yoga.email == "hello@kingstreetyoga.example"
    assert {"leisure=fitness_centre", "sport=yoga"} <= set(yoga.categories)
    assert yoga.licence == "ODbL-1.0" and yoga.source == "osm"
    assert "OpenStreetMap" in result.attribution


def test_query_is_one_union_around_the_centre() -> None:
    query = build_query(CENTRE, 8046.7, 90)
    assert query.startswith("[out:json][timeout:90];")
    assert query.count("(around:8047,32.779000,-79.937000)") >= 5
    assert query.rstrip().endswith("out center tags;")
    assert 'nwr["healthcare"~"^(doctor|clinic|alternative|physiotherapist|naturopath)$"]' in query


def test_remark_is_a_failure_and_is_not_cached(tmp_path: Path, clock: FakeClock, scripted: Start) -> None:
    remark = (FIXTURES / "overpass_remark.json").read_text()
    server = scripted({"/api/interpreter": [Reply(body=remark), Reply(body=SMALL)]})
    source = overpass(tmp_path, clock, f"{server.url}/api/interpreter")
    with pytest.raises(BadResponse) as caught:
        source.listings_near(CENTRE, 8000)
    assert "remark" in str(caught.value) and "Query timed out" in str(caught.value)
    assert len(source.listings_near(CENTRE, 8000).listings) == 5  # asked again, not served the partial answer
    assert len(server.requests) == 2


def test_429_then_success(tmp_path: Path, clock: FakeClock, scripted: Start) -> None:
    server = scripted({"/api/interpreter": [Reply(429, "Too Many Requests", {"Retry-After": "12"}), Reply(body=SMALL)]})
    result = overpass(tmp_path, clock, f"{server.url}/api/interpreter").listings_near(CENTRE, 8000)
    assert len(result.listings) == 5
    assert clock.sleeps == [12.0] and len(server.requests) == 2
    sent = server.requests[-1]
    assert "[out:json]" in sent.form["data"][0]


def test_504_then_fallback_endpoint(tmp_path: Path, clock: FakeClock, scripted: Start) -> None:
    busy = (FIXTURES / "overpass_504.html").read_text()
    first = scripted({"/api/interpreter": [Reply(504, busy, content_type="text/html")]})
    second = scripted({"/api/interpreter": [Reply(body=SMALL)]})
    source = overpass(tmp_path, clock, f"{first.url}/api/interpreter", f"{second.url}/api/interpreter")
    assert len(source.listings_near(CENTRE, 8000).listings) == 5
    assert len(first.requests) == 3  # the first try and two retries, with back-off
    assert clock.sleeps == [2.0, 4.0]
    assert len(second.requests) == 1


def test_html_error_page(tmp_path: Path, clock: FakeClock, scripted: Start) -> None:
    page = (FIXTURES / "overpass_400.html").read_text()
    server = scripted({"/api/interpreter": [Reply(400, page, content_type="text/html")]})
    with pytest.raises(BadResponse) as caught:
        overpass(tmp_path, clock, f"{server.url}/api/interpreter").listings_near(CENTRE, 8000)
    assert 'parse error: Unknown type "nwrx"' in str(caught.value)
    assert len(server.requests) == 1  # a 400 is not retried


def test_html_with_200_is_a_bad_response(tmp_path: Path, clock: FakeClock, scripted: Start) -> None:
    server = scripted({"/api/interpreter": [Reply(200, "<html><body>Maintenance</body></html>", content_type="text/html")]})
    source = overpass(tmp_path, clock, f"{server.url}/api/interpreter")
    with pytest.raises(BadResponse) as caught:
        source.listings_near(CENTRE, 8000)
    assert "not JSON" in str(caught.value)
    with pytest.raises(BadResponse):
        parse_overpass({"version": 0.6}, "")


def test_offline_miss_names_the_query(tmp_path: Path, clock: FakeClock) -> None:
    source = overpass(tmp_path, clock, "https://overpass.invalid/api/interpreter", offline=True)
    with pytest.raises(OfflineMiss) as caught:
        source.listings_near(CENTRE, 8000)
    assert "POST https://overpass.invalid/api/interpreter (Overpass query around 32.77900,-79.93700 within 8000 m)" in str(
        caught.value
    )


def test_all_endpoints_busy_is_retryable(tmp_path: Path, clock: FakeClock, scripted: Start) -> None:
    busy = scripted({"/api/interpreter": [Reply(504, "busy", content_type="text/html")]})
    broken = scripted({"/api/interpreter": [Reply(400, "<p>Error: bad</p>", content_type="text/html")]})
    with pytest.raises(Unavailable) as caught:
        overpass(tmp_path, clock, f"{busy.url}/api/interpreter", f"{broken.url}/api/interpreter").listings_near(CENTRE, 8000)
    assert "HTTP 504 after 3 attempts" in str(caught.value) and "HTTP 400: Error: bad" in str(caught.value)


def test_unresolvable_hosts_are_not_worth_retrying(tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_dns(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)  # a machine with no network
    source = overpass(tmp_path, clock, "http://overpass.invalid/api/interpreter", "http://also.invalid/api/interpreter")
    with pytest.raises(Unavailable) as caught:
        source.listings_near(CENTRE, 8000)
    assert caught.value.transient is False and clock.sleeps == []
