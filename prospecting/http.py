"""The one way prospecting talks HTTP: cache, pace, send, retry, classify the failure.

Every remote call goes through `HttpClient`:

* a persistent cache (requests-cache on SQLite); only 200 answers are stored, and a caller
  that finds a 200 answer unusable (an Overpass `remark`) calls `forget` so it is never reused;
* an identifying User-Agent and connect/read timeouts on every request;
* a minimum interval between network requests to the same host (cache hits are not paced);
* bounded retries on 429/500/502/503/504 and connection errors, waiting for `Retry-After`
  when the server gives it and exponential back-off otherwise;
* an offline mode that answers only from the cache and names the request it lacks.

The clock and the sleep are parameters so that tests check pacing and back-off without waiting.
"""

from __future__ import annotations

import email.utils
import ipaddress
import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import requests_cache
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ReadTimeoutError

from prospecting.errors import BadResponse, NotAllowed, OfflineMiss, RateLimited, Unavailable

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
Clock = Callable[[], float]
Sleep = Callable[[float], None]


@dataclass(frozen=True)
class HttpSettings:
    """How the client behaves; plain data so it can travel into Prefect tasks."""

    user_agent: str
    cache_path: Path
    expire_after: timedelta = timedelta(days=7)
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_retries: int = 3
    backoff_base: float = 2.0
    max_wait: float = 120.0
    default_min_interval: float = 1.0
    min_interval: Mapping[str, float] = field(default_factory=dict)
    offline: bool = False
    # For fetching arbitrary websites (the crawler); API clients leave these as they are.
    public_only: bool = False  # refuse hosts that resolve to private, loopback, link-local or reserved addresses
    allowed_hosts: frozenset[str] = frozenset()  # exempt from public_only, e.g. 127.0.0.1 in tests
    resolve: Mapping[str, str] = field(default_factory=dict)  # host -> host:port to connect to instead (demo sites)
    max_body_bytes: int | None = None
    html_only: bool = False
    max_redirects: int = 10
    cache_codes: tuple[int, ...] = (200,)  # statuses whose answers are cached (robots.txt: 404 too)


class HostPacer:
    """Keeps at least `interval(host)` seconds between the starts of requests to one host."""

    def __init__(self, intervals: Mapping[str, float], default: float, clock: Clock, sleep: Sleep) -> None:
        self._intervals = dict(intervals)
        self._default = default
        self._clock = clock
        self._sleep = sleep
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()
        self._host_locks: dict[str, threading.Lock] = {}

    def interval(self, host: str) -> float:
        return self._intervals.get(host, self._default)

    def wait_turn(self, host: str) -> None:
        with self._lock:
            host_lock = self._host_locks.setdefault(host, threading.Lock())
        with host_lock:
            last = self._last.get(host)
            if last is not None:
                delay = self.interval(host) - (self._clock() - last)
                if delay > 0:
                    self._sleep(delay)
            self._last[host] = self._clock()


HTML_TYPES = ("text/html", "application/xhtml+xml")
RESERVED_TLDS = frozenset({"example", "invalid", "test", "localhost", "local", "internal"})


def check_public_host(host: str, allowed: frozenset[str] = frozenset()) -> None:
    """Raise NotAllowed when `host` is, or resolves to, an address that is not public."""
    if host in allowed:
        return
    if host.rstrip(".").rsplit(".", 1)[-1].lower() in RESERVED_TLDS:
        raise NotAllowed(f"{host} is a reserved name (RFC 2606), not a public site")
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror as e:
        raise requests.ConnectionError(f"cannot resolve {host}: {e}") from e
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if str(address) in allowed:
            continue
        if not address.is_global or address.is_multicast:
            raise NotAllowed(f"{host} resolves to {address}, which is not a public address")


SharedLimiter = Callable[[str], None]
_shared_limiter: SharedLimiter | None = None


def use_shared_limiter(limiter: SharedLimiter | None) -> None:
    """Have every request that reaches the network first pass `limiter(host)`, which may wait.

    `host` is the URL's host, with its port when the URL names one (`127.0.0.1:8001`).

    The per-host pace of this process still holds; a shared limiter adds one across processes
    and machines (the flows install one backed by Prefect's global concurrency limits, so many
    workers are still one polite client). None removes it.
    """
    global _shared_limiter
    _shared_limiter = limiter


class _PacedAdapter(HTTPAdapter):
    """Transport adapter: only requests that reach the network pass through it, so only they wait
    and only they are checked (address, type, size) before their body is cached."""

    def __init__(self, pacer: HostPacer, settings: HttpSettings) -> None:
        super().__init__(max_retries=0)
        self._pacer = pacer
        self._settings = settings

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        s = self._settings
        parts = urlsplit(request.url or "")
        if parts.scheme not in ("http", "https"):
            raise NotAllowed(f"{request.url}: only http and https are fetched")
        target = s.resolve.get(parts.netloc)
        if s.public_only and not target:  # a configured `resolve` target is trusted; everything else is checked
            check_public_host(parts.hostname or "", s.allowed_hosts)
        if target:
            request.headers["Host"] = parts.netloc
            request.url = parts._replace(scheme="http", netloc=target).geturl()
        if _shared_limiter is not None:
            _shared_limiter(parts.netloc.rpartition("@")[2].lower())  # host[:port]: local services differ by port
        self._pacer.wait_turn(parts.netloc)
        response = super().send(request, *args, **kwargs)
        if target:
            response.url = parts.geturl()  # relative redirects stay on the site's own name
        if s.html_only and response.status_code == 200:
            kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if kind not in HTML_TYPES:
                response.close()
                raise NotAllowed(f"{parts.geturl()}: {kind or 'no content type'}, not HTML")
        if s.max_body_bytes is not None:
            _read_capped(response, s.max_body_bytes, parts.geturl())
        return response


def _read_capped(response: requests.Response, limit: int, url: str) -> None:
    """Read the body now, refusing more than `limit` bytes (declared or actual)."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        response.close()
        raise NotAllowed(f"{url}: {int(declared)} bytes, over the {limit}-byte limit")
    body = response.raw.read(limit + 1, decode_content=True)
    if len(body) > limit:
        response.close()
        raise NotAllowed(f"{url}: over the {limit}-byte limit")
    response._content = body
    response._content_consumed = True  # type: ignore[attr-defined]


def retry_after_seconds(headers: Mapping[str, str], now: Callable[[], float] = time.time) -> float | None:
    """`Retry-After` as seconds (delta-seconds or an HTTP date), or None when absent or unreadable."""
    value = (headers.get("Retry-After") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now())


# Query parameters that carry credentials: kept out of the cache file, and shown as *** in every
# message, log line and run record (which end up in Prefect artifacts).
SECRET_PARAMETERS = ("api_key", "apikey", "key", "token", "access_token", "auth", "secret", "client_secret", "password")
_SECRET_IN_TEXT = re.compile(r"(?i)\b(" + "|".join(SECRET_PARAMETERS) + r")=([^&\s'\"#]+)")


def redact(text: str) -> str:
    """`...?api_key=abc&q=x` -> `...?api_key=***&q=x`, wherever credentials appear in a text."""
    return _SECRET_IN_TEXT.sub(r"\1=***", text)


class RedactingFilter(logging.Filter):
    """Credentials out of log records, ours and those of the HTTP libraries (which log URLs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


# Filters on a logger see only its own records, so each logger that writes URLs gets one.
for _name in ("prospecting.http", "urllib3.connectionpool", "requests_cache.session", "requests_cache.policy.actions",
              "requests_cache.backends.base", "requests_cache.backends.sqlite"):  # fmt: skip
    logging.getLogger(_name).addFilter(RedactingFilter())


def describe_request(method: str, url: str, params: Mapping[str, Any] | None = None) -> str:
    if params:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        url = f"{url}?{query}"
    return redact(f"{method} {url}")


class HttpClient:
    """A cached, paced, retrying session. Use one per task or thread."""

    def __init__(
        self, settings: HttpSettings, clock: Clock = time.monotonic, sleep: Sleep = time.sleep, pacer: HostPacer | None = None
    ) -> None:
        """`pacer` is shared by clients that run in several threads, so the pace holds across them."""
        self.settings = settings
        self.clock = clock
        self.sleep = sleep
        settings.cache_path.parent.mkdir(parents=True, exist_ok=True)
        self.session = requests_cache.CachedSession(
            str(settings.cache_path),
            backend="sqlite",
            expire_after=settings.expire_after,
            allowable_methods=("GET", "POST"),
            allowable_codes=settings.cache_codes,
            stale_if_error=False,
            busy_timeout=30_000,  # the crawler's threads share one cache file: a writer waits its turn
            ignored_parameters=SECRET_PARAMETERS,
        )
        self.session.headers["User-Agent"] = settings.user_agent
        self.session.max_redirects = settings.max_redirects
        self.pacer = pacer or HostPacer(settings.min_interval, settings.default_min_interval, clock, sleep)
        adapter = _PacedAdapter(self.pacer, settings)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()  # type: ignore[no-untyped-call]

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", url, **kwargs)

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        read_timeout: float | None = None,
        expire_after: timedelta | None = None,
        retries: int | None = None,
        purpose: str = "",
    ) -> requests.Response:
        """Send (or answer from cache) and return a 2xx response, or raise a SourceError.

        `purpose` names the request for people ("Overpass query around ..."), in errors.
        """
        what = describe_request(method, url, params)
        label = f"{what} ({purpose})" if purpose else what
        retries = self.settings.max_retries if retries is None else retries
        timeout = (self.settings.connect_timeout, read_timeout or self.settings.read_timeout)
        extra: dict[str, Any] = {}
        if expire_after is not None:
            extra["expire_after"] = expire_after
        attempt = 0
        while True:
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    data=data,
                    headers=dict(headers or {}),
                    timeout=timeout,
                    only_if_cached=self.settings.offline,
                    **extra,
                )
            except requests.TooManyRedirects as e:
                raise BadResponse(f"{label}: more than {self.settings.max_redirects} redirects") from e
            except requests.exceptions.ContentDecodingError as e:
                raise BadResponse(f"{label}: answer could not be decoded ({_root_cause(e)})") from e
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as e:
                # ChunkedEncodingError: the connection broke mid-answer (fewer bytes than Content-Length).
                reason = _connection_failure(e)
                # A name that does not resolve will not resolve in a few seconds either (no network, or a
                # typo), and a refused connection rarely comes back within a run: one retry at most.
                if attempt < min(retries, 1) and not _is_name_failure(e):
                    self._back_off(attempt, None, label, reason)
                    attempt += 1
                    continue
                raise Unavailable(
                    f"{label}: {reason} after {attempt + 1} attempts ({_root_cause(e)})", transient=not _is_name_failure(e)
                ) from e
            if self.settings.offline and response.status_code == 504 and response.reason == "Not Cached":
                raise OfflineMiss(f"offline: no cached answer for {label}; run once without --offline to fill the cache")
            status = response.status_code
            if status in RETRY_STATUSES:
                wait = retry_after_seconds(response.headers)
                if wait is not None and wait > self.settings.max_wait:
                    raise RateLimited(f"{label}: HTTP {status}, retry after {wait:.0f} s", retry_after=wait)
                if attempt < retries:
                    self._back_off(attempt, wait, label, f"HTTP {status}")
                    attempt += 1
                    continue
                if status == 429:
                    raise RateLimited(f"{label}: HTTP 429 after {attempt + 1} attempts", retry_after=wait)
                raise Unavailable(f"{label}: HTTP {status} after {attempt + 1} attempts")
            if status >= 400:
                raise BadResponse(f"{label}: HTTP {status}{_error_excerpt(response)}", status=status)
            return response

    def forget(self, response: requests.Response) -> None:
        """Drop a cached answer that parsed as unusable, so the next run asks again."""
        key = getattr(response, "cache_key", None)
        if key:
            self.session.cache.delete(key)
        else:
            self.session.cache.delete(requests=[response.request])

    def _back_off(self, attempt: int, retry_after: float | None, label: str, reason: str) -> None:
        wait = retry_after if retry_after is not None else self.settings.backoff_base * (2**attempt)
        wait = min(wait, self.settings.max_wait)
        log.warning("%s: %s, retrying in %.1f s", label, reason, wait)
        self.sleep(wait)


def _is_name_failure(error: BaseException) -> bool:
    seen: BaseException | None = error
    for _ in range(10):  # the chain is short; the bound guards against odd exception graphs
        if seen is None:
            return False
        if isinstance(seen, socket.gaierror) or type(seen).__name__ == "NameResolutionError":
            return True
        nested = seen.args[0] if seen.args and isinstance(seen.args[0], BaseException) else None
        seen = seen.__cause__ or seen.__context__ or nested
    return False


def _connection_failure(error: BaseException) -> str:
    """What went wrong on the wire, for people: a read that timed out mid-answer reaches us as a
    ConnectionError (requests wraps urllib3's ReadTimeoutError while it reads the body)."""
    if isinstance(error, requests.Timeout) or _in_chain(error, (TimeoutError, ReadTimeoutError)):
        return "timed out"
    if isinstance(error, requests.exceptions.ChunkedEncodingError):
        return "answer cut short"
    return "could not connect"


def _in_chain(error: BaseException, kinds: tuple[type[BaseException], ...]) -> bool:
    seen: BaseException | None = error
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, kinds):
            return True
        nested = seen.args[0] if seen.args and isinstance(seen.args[0], BaseException) else None
        seen = seen.__cause__ or seen.__context__ or nested
    return False


def _root_cause(error: BaseException) -> str:
    while error.__context__ is not None and error.__context__ is not error:
        error = error.__context__
    text = redact(str(error).split("\n")[0])
    return text[:160]


def _error_excerpt(response: requests.Response) -> str:
    """A short, readable excerpt of an error body (HTML pages reduced to their text)."""
    text = response.text or ""
    if "<" in text[:200]:
        from bs4 import BeautifulSoup

        text = BeautifulSoup(text, "html.parser").get_text(" ")
    text = redact(" ".join(text.split()))
    return f": {text[:200]}" if text else ""
