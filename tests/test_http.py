"""The HTTP client: caching, pacing, retries with Retry-After, offline mode (fake clock, no sleeps)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import FakeClock

from prospecting.demo.server import FixtureServer, Reply
from prospecting.errors import BadResponse, OfflineMiss, RateLimited, Unavailable
from prospecting.http import HttpClient, HttpSettings, retry_after_seconds

Start = Callable[..., FixtureServer]


def client(tmp_path: Path, clock: FakeClock, **settings: object) -> HttpClient:
    base = HttpSettings(user_agent="prospecting-tests (test@clinic.example)", cache_path=tmp_path / "cache.sqlite")
    return HttpClient(base.__class__(**{**base.__dict__, **settings}), clock=clock, sleep=clock.sleep)


def test_user_agent_and_cache(tmp_path: Path, clock: FakeClock, scripted: Start) -> None:
    server = scripted({"/a": [Reply(body='{"ok": 1}')]})
    with client(tmp_path, clock) as http:
        assert http.get(f"{server.url}/a").json() == {"ok": 1}
        again = http.get(f"{server.url}/a")
    assert again.json() == {"ok": 1} and getattr(again, "from_cache", False)
    assert len(server.requests) == 1
    assert server.requests[0].headers["User-Agent"] == "prospecting-tests (test@clinic.example)"
    # the cache persists across clients (a new run)
    with client(tmp_path, clock) as http:
        http.get(f"{server.url}/a")
    assert len(server.requests) == 1


def test_429_honours_retry_after_then_succeeds(tmp_path: Path, clock: FakeClock, scripted: Start) -> None:
    server = scripted({"/q": [Reply(429, "slow down", {"Retry-After": "7"}), Reply(body="[]")]})
    with client(tmp_path, clock) as http:
        assert http.get(f"{server.url}/q").json() == []
    assert len(server.requests) == 2
    assert 7.0 in clock.sleeps


def test_5xx_backs_off_exponentially_then_gives_up(tmp_path: Path, clock: FakeClock, scripted: Start) -> None:
    server = scripted({"/q": [Reply(503, "busy")]})
    with client(tmp_path, clock, max_retries=3, default_min_interval=0.0) as http, pytest.raises(Unavailable) as caught:
        http.get(f"{server.url}/q")
    assert len(server.requests) == 4
    assert clock.sleeps == [2.0, 4.0, 8.0]
    assert "HTTP 503 after 4 attempts" in str(caught.value)


def test_long_retry_after_is_not_waited(tmp_path: Path, clock: FakeClock, scripted: Start) -> None:
    server = scripted({"/q": [Reply(429, "no", {"Retry-After": "3600"})]})
    with client(tmp_path, clock) as http, pytest.raises(RateLimited) as caught:
        http.get(f"{server.url}/q")
    assert caught.value.retry_after == 3600
    assert len(server.requests) == 1 and clock.sleeps == []


def test_errors_are_not_cached(tmp_path: Path, clock: FakeClock, scripted: Start) -> None:
    server = scripted(
        {"/q": [Reply(400, "<html><body><p>Error: bad query</p></body></html>", content_type="text/html"), Reply(body="{}")]}
    )
    with client(tmp_path, clock) as http:
        with pytest.raises(BadResponse) as caught:
            http.get(f"{server.url}/q")
        assert "HTTP 400: Error: bad query" in str(caught.value)
        assert http.get(f"{server.url}/q").json() == {}
    assert len(server.requests) == 2


def test_forget_drops_a_cached_answer(tmp_path: Path, clock: FakeClock, scripted: Start) -> None:
    server = scripted({"/q": [Reply(body="{}")]})
    with client(tmp_path, clock) as http:
        http.forget(http.get(f"{server.url}/q"))
        http.get(f"{server.url}/q")
    assert len(server.requests) == 2


def test_pacing_per_host_only_for_network_requests(tmp_path: Path, clock: FakeClock, scripted: Start) -> None:
    server = scripted({"/a": [Reply(body="1")], "/b": [Reply(body="2")]})
    host = server.url.split("://")[1]
    with client(tmp_path, clock, min_interval={host: 1.5}, default_min_interval=0.0) as http:
        http.get(f"{server.url}/a")
        http.get(f"{server.url}/b")  # network: waits 1.5 s after /a
        http.get(f"{server.url}/a")  # cache hit: no wait
    assert clock.sleeps == [1.5]
    assert [r.path for r in server.requests] == ["/a", "/b"]


def test_offline_names_the_missing_request(tmp_path: Path, clock: FakeClock, scripted: Start) -> None:
    server = scripted({"/search": [Reply(body="[]")]})
    with client(tmp_path, clock, offline=True) as http, pytest.raises(OfflineMiss) as caught:
        http.get(f"{server.url}/search", params={"q": "145 King Street"}, purpose="geocoding")
    assert f"GET {server.url}/search?q=145 King Street (geocoding)" in str(caught.value)
    assert server.requests == []


def test_offline_answers_from_cache(tmp_path: Path, clock: FakeClock, scripted: Start) -> None:
    server = scripted({"/a": [Reply(body="[1]")]})
    with client(tmp_path, clock) as http:
        http.get(f"{server.url}/a")
    with client(tmp_path, clock, offline=True) as http:
        assert http.get(f"{server.url}/a").json() == [1]
    assert len(server.requests) == 1


def test_unreachable_host_is_one_clear_error(tmp_path: Path, clock: FakeClock) -> None:
    with client(tmp_path, clock, max_retries=1) as http, pytest.raises(Unavailable) as caught:
        http.get("http://127.0.0.1:9/nothing")
    assert "could not connect after 2 attempts" in str(caught.value)
    assert clock.sleeps == [2.0]


def test_retry_after_http_date() -> None:
    assert retry_after_seconds({"Retry-After": "Wed, 21 Oct 2015 07:28:10 GMT"}, now=lambda: 1445412480.0) == 10.0
    assert retry_after_seconds({"Retry-After": "soon"}) is None
    assert retry_after_seconds({}) is None


def test_a_shared_limiter_sees_every_request_that_reaches_the_network(tmp_path: Path, clock: FakeClock, scripted: Start) -> None:
    from prospecting.http import use_shared_limiter

    server = scripted({"/a": [Reply(body="{}")], "/b": [Reply(body="{}")]})
    hosts: list[str] = []
    use_shared_limiter(hosts.append)
    try:
        with client(tmp_path, clock) as c:
            c.get(f"{server.url}/a")
            c.get(f"{server.url}/b")
            c.get(f"{server.url}/a")  # from the cache: never reaches the network, never waits
    finally:
        use_shared_limiter(None)
    netloc = server.url.split("://", 1)[1]  # host:port, so local services on one address are told apart
    assert hosts == [netloc, netloc] and len(server.requests) == 2
