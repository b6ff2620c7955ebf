"""The fault server plays each fault as it says, and the HTTP client turns each into a SourceError of the right kind.

The client's back-off runs on a fake clock here (no waiting); only read timeouts take real time.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import FakeClock

from faults.server import (
    HEALTHY,
    Drip,
    FaultServer,
    HalfBody,
    Play,
    Reset,
    Stall,
    Truncated,
    attempts,
    error_page,
    overpass_remark,
    too_many_requests,
)
from prospecting.demo.server import Reply, overpass_handler
from prospecting.errors import BadResponse, RateLimited, SourceError, Unavailable
from prospecting.http import HttpClient, HttpSettings
from prospecting.models import Point
from prospecting.sources.osm import Overpass

READ_TIMEOUT = 0.2
PATH = "/api/interpreter"
CENTRE = Point(32.779, -79.937)
QUERY = {"data": "[out:json][timeout:90];\n(\n  nwr(around:8000,32.779,-79.937);\n);\nout center tags;"}


def client(tmp_path: Path, clock: FakeClock) -> HttpClient:
    settings = HttpSettings(
        user_agent="prospecting-tests (test@clinic.example)",
        cache_path=tmp_path / "cache.sqlite",
        read_timeout=READ_TIMEOUT,
        connect_timeout=READ_TIMEOUT,
        default_min_interval=0.0,
    )
    return HttpClient(settings, clock=clock, sleep=clock.sleep)


@dataclass(frozen=True)
class Expect:
    error: type[SourceError]
    message: str
    requests: int
    sleeps: list[float]  # the client's back-off, on the fake clock


EXPECTED = {
    "stall": (Stall(10 * READ_TIMEOUT), Expect(Unavailable, "timed out after 2 attempts", 2, [2.0])),
    "truncated": (Truncated(), Expect(Unavailable, "answer cut short after 2 attempts (IncompleteRead(", 2, [2.0])),
    "reset": (Reset(), Expect(Unavailable, "could not connect after 2 attempts (", 2, [2.0])),
    "slow-drip": (Drip(every=3 * READ_TIMEOUT), Expect(Unavailable, "timed out after 2 attempts", 2, [2.0])),
    "502-page": (error_page(502), Expect(Unavailable, "HTTP 502 after 3 attempts", 3, [2.0, 4.0])),
    "429": (too_many_requests(1), Expect(RateLimited, "HTTP 429 after 3 attempts", 3, [1.0, 1.0])),
    "429-past-max-wait": (too_many_requests(3600), Expect(RateLimited, "HTTP 429, retry after 3600 s", 1, [])),
    "corrupt-gzip": (
        Reply(body=b"\x1f\x8b not really gzip", headers={"Content-Encoding": "gzip"}),
        Expect(BadResponse, "answer could not be decoded", 1, []),
    ),
}


@pytest.mark.parametrize(("play", "expect"), EXPECTED.values(), ids=EXPECTED.keys())
def test_failures_to_answer_are_source_errors(play: Play, expect: Expect, tmp_path: Path, clock: FakeClock) -> None:
    with FaultServer(overpass_handler()) as server, client(tmp_path, clock) as http:
        server.cue(PATH, play)
        with pytest.raises(SourceError) as caught:
            http.post(f"{server.url}{PATH}", data=QUERY, retries=2, purpose="a test query")
    assert type(caught.value) is expect.error, caught.value
    assert f"POST {server.url}{PATH} (a test query): {expect.message}" in str(caught.value)
    assert len(server.seen(PATH)) == expect.requests and clock.sleeps == expect.sleeps
    if isinstance(caught.value, Unavailable):
        assert caught.value.transient
    if isinstance(caught.value, RateLimited) and isinstance(play, Reply):
        assert caught.value.retry_after == float(play.headers["Retry-After"])


ANSWERS = {
    "half-a-json-body": (HalfBody(), "answer is not JSON (application/json): {"),
    "html-page-with-200": (error_page(200), "answer is not JSON (text/html): <html> <head><title>200 Service notice"),
    "remark": (overpass_remark(elements=3), "Overpass answered with a remark, so the answer is partial: runtime error"),
}


@pytest.mark.parametrize(("play", "message"), ANSWERS.values(), ids=ANSWERS.keys())
def test_unusable_answers_fail_the_source_and_are_forgotten(play: Play, message: str, tmp_path: Path, clock: FakeClock) -> None:
    with FaultServer(overpass_handler()) as server, client(tmp_path, clock) as http:
        server.cue(PATH, play, HEALTHY)
        source = Overpass(http, (f"{server.url}{PATH}",))
        with pytest.raises(BadResponse) as caught:
            source.listings_near(CENTRE, 8000)
        assert message in str(caught.value)
        assert source.listings_near(CENTRE, 8000).listings  # not cached: asked again, and answered
    assert attempts(server, PATH) == [type(play).__name__ if not isinstance(play, Reply) else str(play.status), "Healthy"]


def test_the_plays_on_the_wire() -> None:
    """What each play sends, read with a bare socket; the log keeps every request in order of arrival."""
    with FaultServer(overpass_handler()) as server:
        server.cue("/t", Truncated(fraction=0.25), HalfBody(), Reset(), Drip(every=0.01, size=1000), HEALTHY)
        host, port = server.url.removeprefix("http://").split(":")
        truncated, half, reset, drip, healthy = (_raw(host, int(port)) for _ in range(5))
    body = healthy.split(b"\r\n\r\n", 1)[1]
    head, cut = truncated.split(b"\r\n\r\n", 1)
    assert f"Content-Length: {len(body)}".encode() in head and cut == body[: len(body) // 4]
    head, halved = half.split(b"\r\n\r\n", 1)
    assert f"Content-Length: {len(halved)}".encode() in head and halved == body[: len(body) // 2]
    with pytest.raises(ValueError, match=r"Unterminated|Expecting"):
        json.loads(halved)
    assert reset == b""
    assert drip.split(b"\r\n\r\n", 1)[1] == body
    assert attempts(server, "/t") == ["Truncated", "HalfBody", "Reset", "Drip", "Healthy"]
    times = [s.at for s in server.seen("/t")]
    assert times == sorted(times) and len(server.gaps("/t")) == 4


def _raw(host: str, port: int) -> bytes:
    with socket.create_connection((host, port), timeout=5) as conn:
        conn.sendall(f"GET /t HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        chunks: list[bytes] = []
        try:
            while chunk := conn.recv(65536):
                chunks.append(chunk)
        except ConnectionResetError:
            pass  # Reset: no answer at all
        return b"".join(chunks)


def test_endpoints_that_all_rate_limit_are_rate_limited_for_the_longest_wait(tmp_path: Path, clock: FakeClock) -> None:
    """Overpass passes RateLimited (with its Retry-After) on to the flow, which decides on retries with it."""
    with (
        FaultServer(overpass_handler()) as first,
        FaultServer(overpass_handler()) as second,
        client(tmp_path, clock) as http,
    ):
        first.cue(PATH, too_many_requests(3600))
        second.cue(PATH, too_many_requests(7200))
        with pytest.raises(RateLimited) as caught:
            Overpass(http, (f"{first.url}{PATH}", f"{second.url}{PATH}")).listings_near(CENTRE, 8000)
    assert caught.value.retry_after == 7200 and "every Overpass endpoint failed" in str(caught.value)


@pytest.mark.parametrize(("retry_after", "retried"), [(None, True), (10, True), (60, True), (61, False), (3600, False)])
def test_the_fetch_task_retries_no_sooner_than_retry_after(retry_after: float | None, retried: bool) -> None:
    """Its retry delays are 10 s and 60 s: a service that asks for longer is left alone until the next run."""
    from prefect.states import Failed

    from flows.discover import _transient, fetch_task

    assert _transient(fetch_task, None, Failed(data=RateLimited("slow down", retry_after=retry_after))) is retried
