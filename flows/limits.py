"""Request rates held across every worker: one Prefect global concurrency limit per public host.

A process paces its own requests (`prospecting.http.HostPacer`), but a fleet of workers, each
running several clinics, would multiply that pace. With shared limits on, every request that
reaches the network first takes a slot of its host's limit on the Prefect server
(`prefect.concurrency.sync.rate_limit`), so the whole fleet is one polite client.

Each limit has 1 slot and a slot decay of `1 / interval` per second: a slot comes back
`interval` seconds after it was taken, so two requests to the host, from any worker, start at
least `interval` seconds apart (no bursts).

| host                        | limit                          | at most                |
|-----------------------------|--------------------------------|------------------------|
| nominatim.openstreetmap.org | `nominatim`                    | 1 request per 1.1 s    |
| overpass-api.de             | `overpass:overpass-api.de`     | 1 query per 5 s        |
| overpass.kumi.systems       | `overpass:overpass.kumi.systems` | 1 query per 5 s      |
| maps.mail.ru                | `overpass:maps.mail.ru`        | 1 query per 5 s        |
| npiregistry.cms.hhs.gov     | `npi`                          | 2 requests per second  |
| mapper.dpcfrontier.com      | `dpc-frontier`                 | 1 request per 3 s      |
| any other host (websites)   | `website:<host>`, made on first use | 1 request per 2 s |

The fixed limits are created (or brought back to these values) by `setup_limits`, which
`prospect setup-limits` calls; a website's limit is created by the first worker that asks it.

Switches, read by the flows from the worker's environment:

- `PROSPECTING_SHARED_LIMITS=1` turns shared limits on (`shared_limits()`); without it a run
  paces only itself and needs no limit on the server (single-machine runs, tests).
- `PROSPECTING_RATE_LIMITS` is a JSON object mapping `host` or `host:port` to one of the fixed
  limit names, or to `null` for no shared limit: a self-hosted Nominatim, a test server
  (`{"127.0.0.1:8001": "nominatim"}`), a host you have an agreement with.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from prospecting import http
from prospecting.errors import ConfigError, Unavailable

ENABLE_ENV = "PROSPECTING_SHARED_LIMITS"
HOSTS_ENV = "PROSPECTING_RATE_LIMITS"
WEBSITE_PREFIX = "website:"


@dataclass(frozen=True)
class Limit:
    """A fleet-wide request rate: at most one request every `interval` seconds."""

    name: str
    interval: float
    protects: str

    @property
    def slot_decay_per_second(self) -> float:
        return round(1.0 / self.interval, 6)


_OVERPASS = (
    "an Overpass instance: each IP gets 2 query slots, held for a query's run time plus a cool-down, and "
    "overpass-api.de asks for under 10,000 queries a day; one start every 5 s keeps typical radius queries "
    "(a few seconds each) within 2 at once"
)

LIMITS: dict[str, Limit] = {
    limit.name: limit
    for limit in (
        Limit(
            "nominatim",
            1.1,
            "OSM Foundation's Nominatim: an absolute maximum of 1 request per second; the 0.1 s margin covers "
            "the time between the server granting a slot and the request arriving, which differs between workers",
        ),
        Limit("overpass:overpass-api.de", 5.0, _OVERPASS),
        Limit("overpass:overpass.kumi.systems", 5.0, _OVERPASS),
        Limit("overpass:maps.mail.ru", 5.0, _OVERPASS),
        Limit(
            "npi",
            0.5,
            "the NPPES NPI Registry API (CMS): no published limit; a clinic asks ~45 pages (ZIP codes x taxonomies), "
            "2 a second is a steady, modest load on a public government service",
        ),
        Limit(
            "dpc-frontier",
            3.0,
            "the DPC Frontier mapper, a small community site: one page every 3 s, as its source does alone",
        ),
    )
}

HOSTS: dict[str, str] = {
    "nominatim.openstreetmap.org": "nominatim",
    "overpass-api.de": "overpass:overpass-api.de",
    "overpass.kumi.systems": "overpass:overpass.kumi.systems",
    "maps.mail.ru": "overpass:maps.mail.ru",
    "npiregistry.cms.hhs.gov": "npi",
    "mapper.dpcfrontier.com": "dpc-frontier",
}

WEBSITE_INTERVAL = 2.0  # the crawler's own default pace per site (`[crawl] min_interval`)
WEBSITE_PROTECTS = "one business's website: 1 request every 2 s, whichever worker and clinic reads it"


def website_limit(host: str) -> Limit:
    return Limit(f"{WEBSITE_PREFIX}{host}", WEBSITE_INTERVAL, WEBSITE_PROTECTS)


def host_overrides(environ: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """`PROSPECTING_RATE_LIMITS` as `{host or host:port: limit name or None}`; ConfigError when malformed."""
    text = (os.environ if environ is None else environ).get(HOSTS_ENV, "").strip()
    if not text:
        return {}
    expected = (
        f'expected a JSON object of host -> limit name or null, e.g. {{"127.0.0.1:8001": "nominatim"}}; '
        f"limits: {', '.join(LIMITS)}"
    )
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(f"{HOSTS_ENV}: not JSON ({e.msg}) ({expected})") from e
    if not isinstance(value, dict):
        raise ConfigError(f"{HOSTS_ENV}: not a JSON object ({expected})")
    overrides: dict[str, str | None] = {}
    for host, name in value.items():
        if name is not None and name not in LIMITS:
            raise ConfigError(f"{HOSTS_ENV}: {host}: unknown limit {name!r} ({expected})")
        overrides[str(host).lower()] = name
    return overrides


def limit_for(host: str, overrides: Mapping[str, str | None] | None = None) -> Limit | None:
    """The limit that holds requests to `host` (`host` or `host:port`, as the HTTP client passes it).

    An override for `host:port`, then for the bare host, then the table of public hosts; any other
    host is a website with its own limit. None: no shared limit (an override said null).
    """
    host = host.lower()
    bare = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    found = overrides or {}
    for key in (host, bare):
        if key in found:
            name = found[key]
            return LIMITS[name] if name is not None else None
    if bare in HOSTS:
        return LIMITS[HOSTS[bare]]
    return website_limit(host)


Client = Any  # prefect's SyncPrefectClient (typed loosely: its module is imported late)


def _create(client: Client, limit: Limit) -> None:
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate

    client.create_global_concurrency_limit(
        GlobalConcurrencyLimitCreate(name=limit.name, limit=1, slot_decay_per_second=limit.slot_decay_per_second)
    )


def _ensure(client: Client, limit: Limit) -> Literal["created", "updated", "unchanged"]:
    """Make the limit on the server be `limit` (1 slot, its decay, active); say what changed."""
    from prefect.client.schemas.actions import GlobalConcurrencyLimitUpdate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    try:
        current = client.read_global_concurrency_limit_by_name(limit.name)
    except ObjectNotFound:
        try:
            _create(client, limit)
            return "created"
        except ObjectAlreadyExists:  # another process made it in between
            current = client.read_global_concurrency_limit_by_name(limit.name)
    if current.limit == 1 and current.active and abs(current.slot_decay_per_second - limit.slot_decay_per_second) < 1e-6:
        return "unchanged"
    client.update_global_concurrency_limit(
        limit.name, GlobalConcurrencyLimitUpdate(limit=1, active=True, slot_decay_per_second=limit.slot_decay_per_second)
    )
    return "updated"


def setup_limits(client: Client) -> list[tuple[Limit, str]]:
    """Create or update every fixed limit, and bring website limits made earlier to the current pace.

    Idempotent: a second call changes nothing. Returns each limit with "created", "updated" or "unchanged".
    """
    done: list[tuple[Limit, str]] = [(limit, _ensure(client, limit)) for limit in LIMITS.values()]
    offset = 0
    while True:
        page = client.read_global_concurrency_limits(limit=200, offset=offset)
        for existing in page:
            if existing.name.startswith(WEBSITE_PREFIX):
                limit = website_limit(existing.name.removeprefix(WEBSITE_PREFIX))
                done.append((limit, _ensure(client, limit)))
        if len(page) < 200:
            return done
        offset += 200


class SharedLimiter:
    """`limiter(host)` for `prospecting.http.use_shared_limiter`: waits for a slot of the host's limit.

    Website limits are created on first use, once per process. A fixed limit missing on the server
    is a set-up error (ConfigError naming `prospect setup-limits`), never a silent free pass.
    """

    def __init__(self, overrides: Mapping[str, str | None] | None = None) -> None:
        self.overrides = dict(overrides or {})
        self._made: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, host: str) -> None:
        limit = limit_for(host, self.overrides)
        if limit is None:
            return
        if limit.name.startswith(WEBSITE_PREFIX):
            self._make_website_limit(limit)
        self._take(limit)

    def _make_website_limit(self, limit: Limit) -> None:
        with self._lock:
            if limit.name in self._made:
                return
        from prefect import get_client
        from prefect.exceptions import ObjectAlreadyExists

        try:
            with get_client(sync_client=True) as client:
                _create(client, limit)
        except ObjectAlreadyExists:
            pass  # another worker, or an earlier run, made it
        except Exception as e:
            raise Unavailable(f"shared rate limit {limit.name}: could not create it on the Prefect server ({e})") from e
        with self._lock:
            self._made.add(limit.name)

    def _take(self, limit: Limit) -> None:
        from prefect.concurrency._asyncio import ConcurrencySlotAcquisitionError
        from prefect.concurrency.sync import rate_limit

        try:
            rate_limit(limit.name, occupy=1, strict=True)
        except ConcurrencySlotAcquisitionError as e:
            if "must be created" in str(e):
                raise ConfigError(
                    f"shared rate limit {limit.name!r} is not on the Prefect server "
                    f"(run `prospect setup-limits` against it, or unset {ENABLE_ENV})"
                ) from e
            raise Unavailable(f"shared rate limit {limit.name}: {e}") from e


def enabled(environ: Mapping[str, str] | None = None) -> bool:
    return (os.environ if environ is None else environ).get(ENABLE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


@contextmanager
def shared_limits(environ: Mapping[str, str] | None = None) -> Iterator[SharedLimiter | None]:
    """Within the block, every network request takes a slot of its host's shared limit, when
    `PROSPECTING_SHARED_LIMITS` is on; otherwise nothing changes. The previous limiter comes back after."""
    if not enabled(environ):
        yield None
        return
    limiter = SharedLimiter(host_overrides(environ))
    previous: Callable[[str], None] | None = http._shared_limiter
    http.use_shared_limiter(limiter)
    try:
        yield limiter
    finally:
        http.use_shared_limiter(previous)
