"""Direct primary care practices from the DPC Frontier mapper (opt-in: no open licence).

The mapper is a Next.js page whose `__NEXT_DATA__` script holds every practice's id, position and
kind (pure, hybrid, onsite). The list is filtered by distance first; only the nearby practices'
detail pages are then fetched, slowly (one request every few seconds) and cached for a month.
A listing from here is evidence of the DPC model; `hybrid` practices also bill insurance.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from bs4 import BeautifulSoup

from prospecting.errors import BadResponse, SourceError
from prospecting.geo import haversine_km
from prospecting.http import HttpClient
from prospecting.models import Listing, Point, SourceResult
from prospecting.sources.base import Source

if TYPE_CHECKING:
    from prospecting.config import ClinicProfile

T = TypeVar("T")
MIN_INTERVAL_S = 3.0  # between two page requests: the mapper is a small community site
DETAIL_CACHE = timedelta(days=30)
KINDS = frozenset({"pure", "hybrid", "onsite", "unknown"})


def next_data(html: str) -> dict[str, Any]:
    """The JSON of a Next.js page's `__NEXT_DATA__` script; BadResponse when the page has none."""
    script = BeautifulSoup(html, "html.parser").find("script", id="__NEXT_DATA__")
    if script is None or not script.string:
        raise BadResponse("page has no __NEXT_DATA__ script (has the mapper changed?)")
    try:
        data = json.loads(script.string)
    except ValueError as e:
        raise BadResponse(f"__NEXT_DATA__ is not JSON: {e}") from e
    if not isinstance(data, dict):
        raise BadResponse("__NEXT_DATA__ is not an object")
    return data


def practices_near(data: dict[str, Any], centre: Point, radius_km: float) -> list[dict[str, Any]]:
    practices = ((data.get("props") or {}).get("pageProps") or {}).get("practices")
    if not isinstance(practices, list):
        raise BadResponse("__NEXT_DATA__ has no props.pageProps.practices list")
    near = []
    for p in practices:
        lat, lng = p.get("lat"), p.get("lng")
        if isinstance(lat, int | float) and isinstance(lng, int | float) and haversine_km(centre, Point(lat, lng)) <= radius_km:
            near.append(p)
    return near


def practice_listing(summary: dict[str, Any], detail: dict[str, Any]) -> Listing:
    data = ((detail.get("props") or {}).get("pageProps") or {}).get("data")
    if not isinstance(data, dict) or not data.get("name"):
        raise BadResponse(f"practice {summary.get('id')}: detail page has no props.pageProps.data with a name")
    address = data.get("address") or {}
    kind = str(data.get("kind") or summary.get("kind") or "unknown").lower()
    people = tuple(
        ", ".join(x for x in (f"{p.get('fn', '')} {p.get('ln', '')}".strip(), str(p.get("cert") or "")) if x)
        for p in data.get("people") or []
        if isinstance(p, dict)
    )
    return Listing(
        source=DpcFrontier.name,
        source_id=str(summary.get("id")),
        name=str(data["name"]),
        latitude=float(summary["lat"]),
        longitude=float(summary["lng"]),
        address=", ".join(str(x) for x in (address.get("line1"), address.get("line2")) if x),
        city=str(address.get("city") or ""),
        state=str(address.get("region") or ""),
        postcode=str(address.get("postal") or ""),
        phone=str(data.get("phone") or ""),
        website=str(data.get("website") or ""),
        categories=(f"dpc_{kind if kind in KINDS else 'unknown'}", "dpc_directory"),
        fetched_at=datetime.now(UTC).isoformat(timespec="seconds"),
        licence=DpcFrontier.licence,
        people=people,
    )


class DpcFrontier(Source):
    name: ClassVar[str] = "dpc_frontier"
    licence: ClassVar[str] = "DPC Frontier (no open licence; opt-in, credit dpcfrontier.com)"
    attribution: ClassVar[str] = "DPC Frontier Mapper, mapper.dpcfrontier.com"
    summary: ClassVar[str] = "the reference map of direct primary care practices (pure, hybrid, onsite)"
    needs: ClassVar[str] = "opt-in: list it in sources (no open licence; slow, cached a month)"

    def __init__(self, client: HttpClient, url: str, cache_days: float = 7) -> None:
        self._client = client
        self._url = url.rstrip("/")
        self._expire = timedelta(days=cache_days)

    @classmethod
    def from_profile(cls, profile: ClinicProfile, client: HttpClient) -> DpcFrontier:
        return cls(client, profile.dpc_frontier_url, profile.listing_cache_days)

    def listings_near(self, centre: Point, radius_m: float) -> SourceResult:
        url = f"{self._url}/"
        nearby = self._read(
            url, self._expire, "DPC Frontier practice list", lambda page: practices_near(page, centre, radius_m / 1000)
        )
        listings: list[Listing] = []
        dropped: dict[str, int] = {}
        for summary in nearby:
            url = f"{self._url}/practice/{summary.get('id')}"
            try:
                listings.append(
                    self._read(url, DETAIL_CACHE, "DPC Frontier practice page", functools.partial(practice_listing, summary))
                )
            except SourceError:
                # One missing or changed page costs one practice, not the source.
                dropped["detail_page_failed"] = dropped.get("detail_page_failed", 0) + 1
        return SourceResult(self.name, tuple(listings), dropped, self.attribution)

    def _read(self, url: str, expire: timedelta, purpose: str, parse: Callable[[dict[str, Any]], T]) -> T:
        """Fetch a page and parse its __NEXT_DATA__; an unusable page is not kept in the cache."""
        response = self._client.get(url, expire_after=expire, purpose=purpose)
        try:
            return parse(next_data(response.text))
        except BadResponse as e:
            self._client.forget(response)
            raise BadResponse(f"GET {url}: {e}") from e
