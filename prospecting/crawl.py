"""Read a few pages of each listing's website, politely and safely.

For each site: robots.txt first (protego; unreachable means "stay out", as RFC 9309 says), then
the home page, then up to `max_pages` same-site pages whose path or link text promises signals
(pricing, membership, services, about, contact). Sites are fetched concurrently, each host at
most once every `min_interval` seconds; pages are cached for 30 days. Only http(s) on public
addresses, HTML only, 2 MB at most, a few redirects: anything else is skipped and said why.
A site that fails is recorded with its reason; it never fails the run.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
from bs4 import BeautifulSoup
from protego import Protego

from prospecting.errors import BadResponse, SourceError
from prospecting.http import Clock, HostPacer, HttpClient, HttpSettings, Sleep

log = logging.getLogger(__name__)
ROBOTS_AGENT = "prospecting"
# Path or link-text words that promise classification signals, most promising first.
LINK_HINTS = ("pricing", "membership", "member", "rates", "join", "services", "about", "approach", "classes", "team",
              "providers", "contact")  # fmt: skip
SKIP_EXTENSIONS = (".pdf", ".jpg", ".jpeg", ".png", ".gif", ".svg", ".webp", ".zip", ".doc", ".docx", ".mp4", ".mp3", ".ics")


@dataclass(frozen=True)
class CrawlSettings:
    user_agent: str
    cache_path: Path
    max_pages: int = 3
    min_interval: float = 2.0
    concurrency: int = 8
    read_timeout: float = 20.0
    max_bytes: int = 2 * 1024 * 1024
    max_redirects: int = 5
    cache_days: float = 30
    allowed_hosts: frozenset[str] = frozenset()
    resolve: Mapping[str, str] = field(default_factory=dict)
    offline: bool = False


@dataclass(frozen=True)
class Page:
    url: str
    path: str
    html: str


@dataclass(frozen=True)
class Site:
    """What was read of one website: its pages, what was skipped and why, or why none could be read."""

    website: str
    pages: tuple[Page, ...] = ()
    skipped: tuple[str, ...] = ()
    error: str = ""


def site_url(website: str) -> str | None:
    """`www.x.example` -> `https://www.x.example/`; None for anything that is not http(s)."""
    text = website.strip()
    if not text:
        return None
    if "://" not in text:
        first = text.split("/", 1)[0]
        if ":" in first and not first.rsplit(":", 1)[1].isdigit():
            return None  # mailto:, tel:, javascript: ...
        text = f"https://{text}"
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))


def _same_site(a: str, b: str) -> bool:
    return urlsplit(a).netloc.lower().removeprefix("www.") == urlsplit(b).netloc.lower().removeprefix("www.")


def promising_links(page_url: str, html: str, limit: int) -> list[str]:
    """Up to `limit` same-site links whose path or text names a hint, best hint first."""
    scored: dict[str, int] = {}
    for a in BeautifulSoup(html, "html.parser").find_all("a", href=True):
        url = urljoin(page_url, str(a["href"]))
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not _same_site(url, page_url):
            continue
        if parts.path.lower().endswith(SKIP_EXTENSIONS) or parts.path in ("", "/"):
            continue
        clean = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        words = f"{parts.path} {a.get_text(' ')}".lower()
        rank = next((n for n, hint in enumerate(LINK_HINTS) if hint in words), None)
        if rank is not None and clean != page_url and rank < scored.get(clean, len(LINK_HINTS)):
            scored[clean] = rank
    return sorted(scored, key=lambda u: scored[u])[:limit]


class Crawler:
    """Crawls many sites on a thread pool; the pace per host holds across the threads."""

    def __init__(self, settings: CrawlSettings, clock: Clock = time.monotonic, sleep: Sleep = time.sleep) -> None:
        self.settings = settings
        self._clock = clock
        self._sleep = sleep
        self._pacer = HostPacer({}, settings.min_interval, clock, sleep)
        self._local = threading.local()
        self._clients: list[HttpClient] = []
        self._lock = threading.Lock()

    def _client(self, robots: bool) -> HttpClient:
        """This thread's client for pages (HTML only) or for robots.txt (plain text)."""
        name = "robots" if robots else "pages"
        client: HttpClient | None = getattr(self._local, name, None)
        if client is None:
            s = self.settings
            client = HttpClient(
                HttpSettings(
                    user_agent=s.user_agent,
                    cache_path=s.cache_path,
                    expire_after=timedelta(days=s.cache_days),
                    read_timeout=s.read_timeout,
                    max_retries=1,
                    offline=s.offline,
                    public_only=True,
                    allowed_hosts=s.allowed_hosts,
                    resolve=s.resolve,
                    max_body_bytes=512 * 1024 if robots else s.max_bytes,
                    html_only=not robots,
                    max_redirects=s.max_redirects,
                    cache_codes=(200, 404, 410) if robots else (200,),
                ),
                clock=self._clock,
                sleep=self._sleep,
                pacer=self._pacer,
            )
            setattr(self._local, name, client)
            with self._lock:
                self._clients.append(client)
        return client

    def close(self) -> None:
        for client in self._clients:
            client.close()

    def crawl(self, websites: Iterable[str]) -> dict[str, Site]:
        """Each distinct website once; results keyed by the website as given."""
        unique = list(dict.fromkeys(w for w in websites if w))
        with ThreadPoolExecutor(max_workers=max(1, self.settings.concurrency), thread_name_prefix="crawl") as pool:
            return dict(zip(unique, pool.map(self.crawl_site, unique), strict=True))

    def crawl_site(self, website: str) -> Site:
        url = site_url(website)
        if url is None:
            return Site(website, error="not an http(s) address")
        try:
            robots = self._robots(url)
            if robots is not None and not robots.can_fetch(url, ROBOTS_AGENT):
                return Site(website, error="robots.txt asks this tool to stay out")
            home = self._page(url)
            pages, skipped = [home], []
            for link in promising_links(home.url, home.html, self.settings.max_pages):
                path = urlsplit(link).path
                if robots is not None and not robots.can_fetch(link, ROBOTS_AGENT):
                    skipped.append(f"{path}: robots.txt")
                    continue
                try:
                    pages.append(self._page(link))
                except (SourceError, requests.RequestException) as e:
                    skipped.append(f"{path}: {e}")
            return Site(website, tuple(pages), tuple(skipped))
        except (SourceError, requests.RequestException) as e:
            return Site(website, error=str(e))
        except Exception as e:  # a site must never fail the run, whatever it throws at the parser
            log.warning("website %s: unexpected %s: %s", website, type(e).__name__, e)
            return Site(website, error=f"unexpected {type(e).__name__}: {e}")

    def _robots(self, url: str) -> Protego | None:
        """The site's rules; None when it has none (4xx). Unreachable robots.txt: stay out."""
        parts = urlsplit(url)
        robots_url = urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))
        try:
            response = self._client(robots=True).get(robots_url, expire_after=timedelta(days=1), purpose="robots.txt")
        except BadResponse as e:
            if e.status is not None and 400 <= e.status < 500:
                return None
            raise
        return Protego.parse(response.text)

    def _page(self, url: str) -> Page:
        response = self._client(robots=False).get(url, purpose="website")
        final = response.url if not self.settings.resolve else url
        return Page(url=final, path=urlsplit(url).path or "/", html=response.text)
