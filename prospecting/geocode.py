"""Turn the clinic's address or a `--near` place into a point.

`LAT,LON` is taken as it is. Anything else goes to Nominatim through geopy, with geopy's
`RateLimiter` at one request per second, over the project's HTTP client (so the answer is
cached and the User-Agent identifies the operator). Nominatim's usage policy: at most one
request per second, an identifying User-Agent, no bulk geocoding.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from geopy.adapters import AdapterHTTPError, BaseSyncAdapter
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import Nominatim

from prospecting.errors import BadResponse, ConfigError, GeocodeError
from prospecting.http import Clock, HttpClient, Sleep
from prospecting.models import Point

GEOCODE_CACHE = timedelta(days=90)
NOMINATIM_MIN_DELAY = 1.0
_LATLON_RE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")


def parse_lat_lon(text: str) -> Point | None:
    """`"32.78,-79.93"` -> Point; None when the text is not a coordinate pair; ConfigError when out of range."""
    m = _LATLON_RE.match(text)
    if not m:
        return None
    lat, lon = float(m.group(1)), float(m.group(2))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ConfigError(f"--near: {text!r} is out of range (expected LAT,LON with -90..90 and -180..180)")
    return Point(lat, lon)


class _ClientAdapter(BaseSyncAdapter):
    """geopy adapter that sends through our HttpClient (cache, pacing, retries, User-Agent)."""

    def __init__(self, client: HttpClient) -> None:
        super().__init__(proxies=None, ssl_context=None)
        self._client = client

    def get_text(self, url: str, *, timeout: float, headers: dict[str, str]) -> str:
        try:
            response = self._client.get(url, read_timeout=timeout, expire_after=GEOCODE_CACHE, purpose="geocoding")
        except BadResponse as e:
            raise AdapterHTTPError(str(e), status_code=400, headers={}, text=str(e)) from e
        return response.text

    def get_json(self, url: str, *, timeout: float, headers: dict[str, str]) -> Any:
        import json

        text = self.get_text(url, timeout=timeout, headers=headers)
        try:
            return json.loads(text)
        except ValueError as e:
            raise BadResponse(f"geocoding: GET {url}: answer is not JSON") from e


class _PacedRateLimiter(RateLimiter):
    """geopy's RateLimiter with the clock and sleep of the HTTP client (replaceable in tests)."""

    def __init__(self, func: Callable[..., Any], clock: Clock, sleep: Sleep) -> None:
        super().__init__(func, min_delay_seconds=NOMINATIM_MIN_DELAY, max_retries=0, swallow_exceptions=False)
        self._injected_clock = clock
        self._injected_sleep = sleep

    def _clock(self) -> float:
        return self._injected_clock()

    def _sleep(self, seconds: float) -> None:
        self._injected_sleep(seconds)


class NominatimGeocoder:
    """Geocode places within one country; one instance keeps one rate limit."""

    def __init__(self, client: HttpClient, base_url: str, country: str) -> None:
        parts = urlsplit(base_url)
        self._country = country.lower()
        self._geocoder = Nominatim(
            user_agent=client.settings.user_agent,
            domain=parts.netloc + parts.path.rstrip("/"),
            scheme=parts.scheme,
            timeout=10,
            adapter_factory=lambda proxies, ssl_context: _ClientAdapter(client),
        )
        self._geocode = _PacedRateLimiter(self._geocoder.geocode, client.clock, client.sleep)

    def geocode(self, query: str) -> Point:
        location = self._geocode(query, exactly_one=True, addressdetails=True, country_codes=self._country)
        if location is None:
            raise GeocodeError(
                f"{query!r}: no place found in country {self._country.upper()} (check the spelling, or give LAT,LON)"
            )
        found_country = str(location.raw.get("address", {}).get("country_code", "")).lower()
        if found_country and found_country != self._country:
            raise GeocodeError(
                f"{query!r}: found in country {found_country.upper()}, not {self._country.upper()} "
                "(expected a place in the profile's country)"
            )
        return Point(float(location.latitude), float(location.longitude))


def locate(
    client: HttpClient,
    *,
    place: str | None,
    latitude: float | None,
    longitude: float | None,
    address: str | None,
    nominatim_url: str,
    country: str,
) -> Point:
    """The search centre: `place` (a `--near` value) wins, then the profile's point, then its address."""
    if place:
        point = parse_lat_lon(place)
        if point is not None:
            return point
    elif latitude is not None and longitude is not None:
        return Point(latitude, longitude)
    query = place or address
    if not query:
        raise ConfigError("no place to search around (expected --near, an address, or latitude and longitude)")
    return NominatimGeocoder(client, nominatim_url, country).geocode(query)
