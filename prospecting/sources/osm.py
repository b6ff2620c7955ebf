"""OpenStreetMap through the Overpass API: one query, tried on each endpoint in turn.

Etiquette (https://wiki.openstreetmap.org/wiki/Overpass_API#Public_Overpass_API_instances):
one query per run, an identifying User-Agent, cached answers, waiting when told to. An
answer with a `remark` is a timed-out or failed query whose `elements` are partial: it is a
failure, never a complete answer, and it is not cached.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

import requests

from prospecting.errors import BadResponse, OfflineMiss, RateLimited, SourceError, Unavailable
from prospecting.http import HttpClient
from prospecting.models import Listing, Point, SourceResult
from prospecting.sources.base import Source

if TYPE_CHECKING:
    from prospecting.config import ClinicProfile

# Each selector becomes `nwr<selector>(around:...)`; together they are one union query.
SELECTORS = (
    '["leisure"~"^(fitness_centre|sports_centre|fitness_station)$"]',
    '["amenity"="gym"]',
    '["sport"~"^(yoga|pilates|crossfit|boxing|climbing|cycling|running|fitness)$"]',
    '["club"="sport"]["sport"~"running|athletics|triathlon"]',
    '["shop"~"^(sports|shoes)$"]["name"~"run",i]',
    '["amenity"~"^(doctors|clinic)$"]',
    '["healthcare"~"^(doctor|clinic|alternative|physiotherapist|naturopath)$"]',
)
# Tags whose values become source labels (`key=value`), the vocabulary classification reads.
LABEL_KEYS = ("leisure", "amenity", "shop", "club", "sport", "healthcare", "healthcare:speciality", "craft", "office")


def build_query(centre: Point, radius_m: float, timeout_s: int) -> str:
    around = f"(around:{radius_m:.0f},{centre.latitude:.6f},{centre.longitude:.6f})"
    body = "\n".join(f"  nwr{selector}{around};" for selector in SELECTORS)
    return f"[out:json][timeout:{timeout_s}];\n(\n{body}\n);\nout center tags;"


def _first(tags: dict[str, str], *keys: str) -> str:
    for key in keys:
        value = tags.get(key, "").strip()
        if value:
            return value.split(";")[0].strip()
    return ""


def _labels(tags: dict[str, str]) -> tuple[str, ...]:
    labels: list[str] = []
    for key in LABEL_KEYS:
        for value in tags.get(key, "").split(";"):
            if value.strip():
                labels.append(f"{key}={value.strip()}")
    return tuple(labels)


def element_to_listing(element: dict[str, Any], fetched_at: str) -> Listing | str:
    """A Listing, or the reason the element is dropped."""
    tags = element.get("tags") or {}
    if tags.get("leisure") == "fitness_station":
        return "fitness_station"
    name = tags.get("name", "").strip()
    if not name:
        return "unnamed"
    kind = element.get("type")
    where = element if kind == "node" else element.get("center") or {}
    lat, lon = where.get("lat"), where.get("lon")
    if not isinstance(lat, int | float) or not isinstance(lon, int | float):
        return "no_coordinates"
    street = " ".join(p for p in (tags.get("addr:housenumber", ""), tags.get("addr:street", "")) if p)
    unit = tags.get("addr:unit", "")
    address = f"{street}, {unit}" if street and unit else street
    return Listing(
        source=Overpass.name,
        source_id=f"{kind}/{element.get('id')}",
        name=name,
        latitude=float(lat),
        longitude=float(lon),
        address=address,
        city=tags.get("addr:city", ""),
        state=tags.get("addr:state", ""),
        postcode=tags.get("addr:postcode", ""),
        phone=_first(tags, "phone", "contact:phone"),
        website=_first(tags, "website", "contact:website", "url"),
        email=_first(tags, "email", "contact:email"),
        instagram=_first(tags, "contact:instagram", "instagram"),
        facebook=_first(tags, "contact:facebook", "facebook"),
        categories=_labels(tags),
        brand=tags.get("brand", ""),
        operator=tags.get("operator", ""),
        fetched_at=fetched_at,
        licence=Overpass.licence,
    )


def parse_overpass(payload: Any, fetched_at: str) -> SourceResult:
    """Listings from an Overpass JSON answer; raises BadResponse for a `remark` or a wrong shape."""
    if not isinstance(payload, dict) or not isinstance(payload.get("elements"), list):
        raise BadResponse("Overpass answer has no `elements` list")
    remark = payload.get("remark")
    if remark:
        raise BadResponse(f"Overpass answered with a remark, so the answer is partial: {str(remark)[:200]}")
    listings: list[Listing] = []
    dropped: dict[str, int] = {}
    for element in payload["elements"]:
        result = element_to_listing(element, fetched_at) if isinstance(element, dict) else "malformed"
        if isinstance(result, str):
            dropped[result] = dropped.get(result, 0) + 1
        else:
            listings.append(result)
    return SourceResult(Overpass.name, tuple(listings), dropped, Overpass.attribution)


class Overpass(Source):
    name: ClassVar[str] = "osm"
    licence: ClassVar[str] = "ODbL-1.0"
    attribution: ClassVar[str] = "© OpenStreetMap contributors (ODbL)"
    summary: ClassVar[str] = "OpenStreetMap through Overpass: gyms, studios, sports shops, doctors, clinics, alternative medicine"

    def __init__(self, client: HttpClient, endpoints: tuple[str, ...], timeout_s: int = 90, cache_days: float = 7) -> None:
        self._client = client
        self._endpoints = endpoints
        self._timeout_s = timeout_s
        self._expire = timedelta(days=cache_days)

    @classmethod
    def from_profile(cls, profile: ClinicProfile, client: HttpClient) -> Overpass:
        return cls(client, profile.overpass_endpoints, profile.overpass_timeout, profile.listing_cache_days)

    def listings_near(self, centre: Point, radius_m: float) -> SourceResult:
        query = build_query(centre, radius_m, self._timeout_s)
        purpose = f"Overpass query around {centre} within {radius_m:.0f} m"
        failures: list[SourceError] = []
        for endpoint in self._endpoints:
            try:
                return self._ask(endpoint, query, purpose)
            except SourceError as e:
                failures.append(e)
        if all(isinstance(e, OfflineMiss) for e in failures):
            raise failures[0]
        message = "every Overpass endpoint failed: " + " | ".join(map(str, failures))
        if all(isinstance(e, RateLimited) for e in failures):
            # Each asked us to slow down: a retry asks them all again, so it waits for the longest Retry-After.
            waits = [e.retry_after for e in failures if isinstance(e, RateLimited) and e.retry_after is not None]
            raise RateLimited(message, retry_after=max(waits) if waits else None)
        # Worth retrying later only if some endpoint was busy or unreachable rather than refusing the query.
        if any(isinstance(e, Unavailable | RateLimited) for e in failures):
            raise Unavailable(
                message, transient=any(isinstance(e, RateLimited) or getattr(e, "transient", False) for e in failures)
            )
        raise BadResponse(message)

    def _ask(self, endpoint: str, query: str, purpose: str) -> SourceResult:
        response = self._client.post(
            endpoint,
            data={"data": query},
            read_timeout=self._timeout_s + 30,
            expire_after=self._expire,
            retries=2,
            purpose=purpose,
        )
        try:
            return parse_overpass(_json(response), _fetched_at(response))
        except BadResponse as e:
            self._client.forget(response)
            raise BadResponse(f"POST {endpoint}: {e}") from e


def _json(response: requests.Response) -> Any:
    try:
        return json.loads(response.text)
    except ValueError as e:
        excerpt = " ".join(response.text.split())[:120]
        raise BadResponse(f"answer is not JSON ({response.headers.get('Content-Type', '?')}): {excerpt}") from e


def _fetched_at(response: requests.Response) -> str:
    created = getattr(response, "created_at", None)
    when = created if isinstance(created, datetime) else datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.isoformat(timespec="seconds")
