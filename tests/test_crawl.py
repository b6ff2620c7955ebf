"""The crawler against a local site server: robots.txt, limits, unsafe addresses, pace under concurrency."""

from __future__ import annotations

import itertools
import statistics
import time
from collections import defaultdict
from pathlib import Path

import pytest
from conftest import FakeClock

from prospecting.crawl import Crawler, CrawlSettings, promising_links, site_url
from prospecting.demo.server import FixtureServer, Reply, Seen
from prospecting.errors import NotAllowed
from prospecting.http import check_public_host

HOME = """<html><head><title>{host}</title></head><body>
<a href="/about">About us</a> <a href="/pricing">Pricing</a> <a href="/contact">Contact</a>
<a href="/gallery/photo.jpg">photo</a> <a href="https://elsewhere.example/">partner</a>
<a href="http://127.0.0.1:{port}/admin">admin</a> <a href="http://169.254.169.254/latest/meta-data/">meta</a>
</body></html>"""


class Sites:
    """Many websites on one local server, told apart by the Host header."""

    def __init__(self) -> None:
        self.robots: dict[str, str] = {}
        self.special: dict[tuple[str, str], Reply] = {}
        self.slow: set[str] = set()
        self.port = 0

    def __call__(self, seen: Seen) -> Reply:
        host = seen.headers.get("Host", "").split(":")[0]
        if (host, seen.path) in self.special:
            return self.special[(host, seen.path)]
        if host in self.slow:
            time.sleep(1.0)  # a server that answers after the client's read timeout
        if seen.path == "/robots.txt":
            return Reply(body=self.robots[host], content_type="text/plain") if host in self.robots else Reply(404, "no")
        if seen.path == "/":
            return Reply(body=HOME.format(host=host, port=self.port), content_type="text/html")
        if seen.path in ("/about", "/pricing", "/contact"):
            return Reply(body=f"<html><body><h1>{seen.path}</h1></body></html>", content_type="text/html")
        return Reply(404, "<html>404</html>", content_type="text/html")


@pytest.fixture
def sites() -> Sites:
    return Sites()


def crawler(tmp_path: Path, server: FixtureServer, hosts: list[str], clock: FakeClock | None = None, **extra: object) -> Crawler:
    local = server.url.split("://")[1]
    settings = CrawlSettings(
        user_agent="prospecting-tests (t@clinic.example)",
        cache_path=tmp_path / "sites.sqlite",
        resolve=dict.fromkeys(hosts, local),
        **extra,  # type: ignore[arg-type]
    )
    if clock is None:
        return Crawler(settings)
    return Crawler(settings, clock=clock, sleep=clock.sleep)


def paths(server: FixtureServer, host: str) -> list[str]:
    return [r.path for r in server.requests if r.headers.get("Host", "").startswith(host)]


def test_home_and_promising_pages_only_same_site_and_safe(tmp_path: Path, sites: Sites, clock: FakeClock) -> None:
    with FixtureServer(sites) as server:
        sites.port = int(server.url.rsplit(":", 1)[1])
        site = crawler(tmp_path, server, ["a.example"], clock).crawl_site("https://a.example")
        assert [p.path for p in site.pages] == ["/", "/pricing", "/about", "/contact"]
        # never the photo, the other site, 127.0.0.1 or the metadata address
        assert sorted(paths(server, "a.example")) == ["/", "/about", "/contact", "/pricing", "/robots.txt"]
        assert len(server.requests) == 5
        again = crawler(tmp_path, server, ["a.example"], clock).crawl_site("https://a.example")
        assert len(server.requests) == 5 and len(again.pages) == 4  # cached (robots.txt for a day, pages for 30)
    assert site.error == ""
    assert server.requests[1].headers["User-Agent"] == "prospecting-tests (t@clinic.example)"


def test_robots_txt_is_honoured(tmp_path: Path, sites: Sites, clock: FakeClock) -> None:
    sites.robots = {
        "part.example": "User-agent: *\nDisallow: /pricing\n",
        "none.example": "User-agent: prospecting\nDisallow: /\n",
    }
    with FixtureServer(sites) as server:
        c = crawler(tmp_path, server, ["part.example", "none.example"], clock)
        part, none = c.crawl_site("http://part.example/"), c.crawl_site("http://none.example/")
    assert [p.path for p in part.pages] == ["/", "/about", "/contact"] and part.skipped == ("/pricing: robots.txt",)
    assert "/pricing" not in paths(server, "part.example")
    assert none.pages == () and "robots.txt" in none.error
    assert paths(server, "none.example") == ["/robots.txt"]


def test_robots_txt_unreachable_means_stay_out(tmp_path: Path, sites: Sites, clock: FakeClock) -> None:
    sites.special[("down.example", "/robots.txt")] = Reply(503, "busy", content_type="text/plain")
    with FixtureServer(sites) as server:
        site = crawler(tmp_path, server, ["down.example"], clock).crawl_site("http://down.example/")
    assert site.pages == () and "503" in site.error and "/" not in paths(server, "down.example")


@pytest.mark.parametrize(
    ("reply", "complaint"),
    [
        (Reply(body="x" * (5 * 1024 * 1024), content_type="text/html"), "over the 2097152-byte limit"),
        (Reply(body="%PDF-1.7 ...", content_type="application/pdf"), "application/pdf, not HTML"),
        (Reply(302, "", {"Location": "/"}, content_type="text/html"), "more than 5 redirects"),
    ],
)
def test_limits(tmp_path: Path, sites: Sites, clock: FakeClock, reply: Reply, complaint: str) -> None:
    sites.special[("big.example", "/")] = reply
    with FixtureServer(sites) as server:
        site = crawler(tmp_path, server, ["big.example"], clock).crawl_site("http://big.example/")
    assert site.pages == () and complaint in site.error
    assert len(paths(server, "big.example")) <= 7  # robots.txt, then at most 6 hops of the loop


def test_slow_site_times_out_and_the_others_finish(tmp_path: Path, sites: Sites) -> None:
    sites.slow = {"slow.example"}
    with FixtureServer(sites) as server:
        c = crawler(tmp_path, server, ["slow.example", "fast.example"], read_timeout=0.3, min_interval=0.0)
        results = c.crawl(["http://slow.example/", "http://fast.example/"])
    assert "timed out" in results["http://slow.example/"].error
    assert len(results["http://fast.example/"].pages) == 4


def test_unsafe_addresses_are_refused(tmp_path: Path, sites: Sites, clock: FakeClock) -> None:
    sites.special[("jump.example", "/")] = Reply(302, "", {"Location": "http://127.0.0.1:1/secret"}, content_type="text/html")
    with FixtureServer(sites) as server:
        c = crawler(tmp_path, server, ["jump.example"], clock)
        results = {
            w: c.crawl_site(w) for w in ("http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:1/", "http://10.1.2.3/")
        }
        jump = c.crawl_site("http://jump.example/")
        ftp = c.crawl_site("ftp://files.example/")
    for website, site in results.items():
        assert site.pages == () and "not a public address" in site.error, website
    assert "127.0.0.1 resolves to 127.0.0.1, which is not a public address" in jump.error  # the redirect was not followed
    assert ftp.error == "not an http(s) address"
    with pytest.raises(NotAllowed):
        check_public_host("localhost")
    with pytest.raises(NotAllowed, match="reserved name"):
        check_public_host("shop.example")
    check_public_host("127.0.0.1", frozenset({"127.0.0.1"}))  # the explicit allowance tests use


def test_two_hundred_sites_keep_each_hosts_pace(tmp_path: Path, sites: Sites) -> None:
    hosts = [f"site{n:03d}.example" for n in range(200)]
    interval = 0.1
    with FixtureServer(sites) as server:
        c = crawler(tmp_path, server, hosts, concurrency=8, min_interval=interval)
        results = c.crawl([f"http://{h}/" for h in hosts])
    assert all(len(site.pages) == 4 and not site.error for site in results.values())
    arrivals: dict[str, list[float]] = defaultdict(list)
    for seen in server.requests:
        arrivals[seen.headers["Host"].split(":")[0]].append(seen.at)
    assert len(arrivals) == 200 and all(len(times) == 5 for times in arrivals.values())
    gaps = [b - a for times in arrivals.values() for a, b in itertools.pairwise(times)]
    # The client spaces its requests; the server's clock adds scheduling jitter to each arrival
    # (tens of ms on a busy 2-core machine: one late arrival makes one short gap), while unpaced
    # requests would arrive about 1 ms apart. So: the typical gap, and each host's whole span.
    assert statistics.median(gaps) >= 0.9 * interval
    assert all(times[-1] - times[0] >= 4 * interval - 0.05 for times in arrivals.values())


def test_link_choice_and_urls() -> None:
    html = '<a href="/team">Our team</a><a href="/pricing">Plans</a><a href="/blog/x">Blog</a><a href="/book.pdf">Book</a>'
    assert promising_links("https://www.x.example/", html, 3) == ["https://www.x.example/pricing", "https://www.x.example/team"]
    assert site_url("www.x.example") == "https://www.x.example/"
    assert site_url("mailto:a@b.example") is None
