"""DPC Frontier: the list from __NEXT_DATA__, nearby detail pages only, slowly and cached."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES, FakeClock

from prospecting.classify import classify, load_rules
from prospecting.demo.server import FixtureServer, Reply, Seen
from prospecting.errors import BadResponse
from prospecting.http import HttpClient, HttpSettings
from prospecting.models import Point
from prospecting.sources.dpc_frontier import MIN_INTERVAL_S, DpcFrontier

PAGES = FIXTURES / "dpc_frontier"
CENTRE = Point(32.779, -79.937)


def mapper(seen: Seen) -> Reply:
    if seen.path == "/":
        return Reply(body=(PAGES / "index.html").read_text(), content_type="text/html")
    page = PAGES / f"practice-{seen.path.rsplit('/', 1)[-1]}.html"
    if page.exists():
        return Reply(body=page.read_text(), content_type="text/html")
    return Reply(404, "<html><body>404</body></html>", content_type="text/html")


def source(tmp_path: Path, clock: FakeClock, url: str) -> DpcFrontier:
    host = url.split("://")[1]
    settings = HttpSettings(
        user_agent="t (t@clinic.example)",
        cache_path=tmp_path / "c.sqlite",
        default_min_interval=0,
        min_interval={host: MIN_INTERVAL_S},
    )
    return DpcFrontier(HttpClient(settings, clock=clock, sleep=clock.sleep), url)


def test_nearby_practices_only_slowly_and_cached(tmp_path: Path, clock: FakeClock) -> None:
    with FixtureServer(mapper) as server:
        result = source(tmp_path, clock, server.url).listings_near(CENTRE, 8000)
        paths = [r.path for r in server.requests]
        assert paths == ["/", "/practice/rec1a2b3c", "/practice/rec4d5e6f", "/practice/rec7g8h9i"]  # far ones never asked
        assert clock.sleeps == [MIN_INTERVAL_S] * 3
        source(tmp_path, clock, server.url).listings_near(CENTRE, 8000)
        # the list and the good pages came from the cache; the broken page is asked again
        assert [r.path for r in server.requests][4:] == ["/practice/rec7g8h9i"]
    assert result.dropped == {"detail_page_failed": 1}
    pure, hybrid = result.listings
    assert (pure.name, pure.categories[0], pure.postcode) == ("Lowcountry Direct Primary Care", "dpc_pure", "29401")
    assert pure.people == ("Jane Doe, MD", "Marcus O'Neal, DO") and pure.address == "12 Calhoun St, Suite 200"
    assert hybrid.categories[0] == "dpc_hybrid" and hybrid.website == ""
    rules = load_rules()
    assert classify(pure, rules).subcategory == "dpc"
    assert classify(hybrid, rules).subcategory == "dpc_hybrid"  # a directory listing is DPC evidence
    assert "no open licence" in pure.licence


def test_changed_page_is_a_clear_failure(tmp_path: Path, clock: FakeClock) -> None:
    def changed(seen: Seen) -> Reply:
        return Reply(body="<html><body><div id='root'></div></body></html>", content_type="text/html")

    with FixtureServer(changed) as server, pytest.raises(BadResponse) as caught:
        source(tmp_path, clock, server.url).listings_near(CENTRE, 8000)
    assert "no __NEXT_DATA__" in str(caught.value)
