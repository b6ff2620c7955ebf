"""Clinicians and practices from the NPPES NPI Registry (API v2.1, public domain, no key).

The registry has no radius search and no coordinates, so the search asks, for every ZIP code
whose centre lies within the radius (plus a buffer, as a ZIP area reaches past its centre), each
configured taxonomy, 200 rows a page up to the registry's limit of 1,200 rows a query. Registry
rows are clinicians; the partner is the practice, so rows that share a location address and phone
roll up into one listing that names its clinicians. Its position is the ZIP code's centre, marked
approximate: matching never uses it to decide identity, and a map listing's position replaces it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

import zipcodes

from prospecting.errors import BadResponse
from prospecting.geo import KM_PER_MILE
from prospecting.http import HttpClient
from prospecting.models import Listing, Point, SourceResult
from prospecting.sources.base import Source

if TYPE_CHECKING:
    from prospecting.config import ClinicProfile

log = logging.getLogger(__name__)

PAGE_SIZE = 200
MAX_SKIP = 1000  # the registry refuses skip > 1000: at most 1,200 rows a query
ZIP_TYPES = frozenset({"STANDARD", "UNIQUE"})  # PO boxes and military codes have no practices


def zip_codes_near(centre: Point, radius_km: float) -> list[dict[str, Any]]:
    """Active US ZIP codes (with a centre) whose centre lies within `radius_km` of `centre`."""
    found = zipcodes.filter_by_coordinates(centre.latitude, centre.longitude, radius_in_miles=radius_km / KM_PER_MILE)
    return sorted(
        (z for z in found if z.get("active") and z.get("zip_code_type") in ZIP_TYPES and z.get("lat")),
        key=lambda z: str(z["zip_code"]),
    )


_KEEP_CAPITALS = frozenset(
    {"LLC", "PLLC", "PC", "PA", "LLP", "MD", "DO", "ND", "NP", "DPC", "II", "III", "IV", "NE", "NW", "SE", "SW"}
)


def _title(text: str) -> str:
    """`"O'NEAL FAMILY MEDICINE PLLC"` -> `"O'Neal Family Medicine PLLC"`; the registry writes in capitals."""
    return re.sub(r"[A-Za-z]+", lambda m: m.group(0) if m.group(0) in _KEEP_CAPITALS else m.group(0).capitalize(), text.strip())


@dataclass
class _Practice:
    """Registry rows at one location (address and phone)."""

    address: str
    city: str
    state: str
    postcode: str
    phone: str
    organisations: list[str] = field(default_factory=list)
    people: list[str] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)


def _location(result: dict[str, Any]) -> dict[str, Any] | None:
    return next((a for a in result.get("addresses") or [] if a.get("address_purpose") == "LOCATION"), None)


def _person(basic: dict[str, Any]) -> str:
    name = " ".join(_title(basic.get(k) or "") for k in ("first_name", "last_name") if basic.get(k))
    credential = (basic.get("credential") or "").strip()
    return f"{name}, {credential}" if credential else name


def roll_up(results: list[dict[str, Any]], fetched_at: str, dropped: dict[str, int]) -> list[Listing]:
    """One listing per practice location; inactive rows and rows without a location are dropped and counted."""
    practices: dict[tuple[str, str, str], _Practice] = {}
    seen: set[str] = set()
    for result in results:
        number = str(result.get("number", ""))
        if number in seen:
            continue  # the same clinician came back for another taxonomy or ZIP
        seen.add(number)
        basic = result.get("basic") or {}
        if basic.get("status", "A") != "A":
            dropped["deactivated"] = dropped.get("deactivated", 0) + 1
            continue
        where = _location(result)
        if where is None:
            dropped["no_location_address"] = dropped.get("no_location_address", 0) + 1
            continue
        street = ", ".join(_title(where.get(k) or "") for k in ("address_1", "address_2") if (where.get(k) or "").strip())
        postcode = str(where.get("postal_code") or "")[:5]
        phone = str(where.get("telephone_number") or "")
        key = (re.sub(r"[^a-z0-9]", "", street.lower()), postcode, re.sub(r"\D", "", phone))
        practice = practices.setdefault(
            key, _Practice(street, _title(where.get("city") or ""), str(where.get("state") or ""), postcode, phone)
        )
        if result.get("enumeration_type") == "NPI-2":
            practice.organisations.append(_title(basic.get("organization_name") or ""))
        else:
            practice.people.append(_person(basic))
        practice.numbers.append(number)
        for taxonomy in result.get("taxonomies") or []:
            practice.labels += [str(taxonomy.get("desc") or ""), str(taxonomy.get("code") or "")]
    return [_listing(p, fetched_at) for p in practices.values()]


def _listing(p: _Practice, fetched_at: str) -> Listing:
    if p.organisations:
        name = p.organisations[0]
    elif len(p.people) == 1:
        name = p.people[0]
    else:
        name = f"{p.people[0]} and {len(p.people) - 1} colleague{'s' if len(p.people) > 2 else ''}"
    centre = zipcodes.matching(p.postcode) if re.fullmatch(r"\d{5}", p.postcode) else []
    lat = float(centre[0]["lat"]) if centre and centre[0].get("lat") else None
    lon = float(centre[0]["long"]) if centre and centre[0].get("long") else None
    digest = hashlib.sha1("|".join((p.address.lower(), p.postcode, re.sub(r"\D", "", p.phone))).encode()).hexdigest()
    return Listing(
        source=NpiRegistry.name,
        source_id=f"location/{digest[:12]}",
        name=name,
        latitude=lat,
        longitude=lon,
        address=p.address,
        city=p.city,
        state=p.state,
        postcode=p.postcode,
        phone=p.phone,
        categories=tuple(dict.fromkeys(label for label in p.labels if label)),
        fetched_at=fetched_at,
        licence=NpiRegistry.licence,
        location_precision="approximate",
        people=tuple(dict.fromkeys(p.people)),
    )


def _json(text: str, content_type: str) -> Any:
    """The answer as JSON; an HTML error page or a cut-off body is named with an excerpt, not a decoder message."""
    try:
        return json.loads(text)
    except ValueError as e:
        excerpt = " ".join(text.split())[:120]
        raise BadResponse(f"answer is not JSON ({content_type}): {excerpt}") from e


def parse_page(payload: Any) -> list[dict[str, Any]]:
    """The `results` of one answer; raises BadResponse for the registry's error payloads."""
    if isinstance(payload, dict) and payload.get("Errors"):
        errors = "; ".join(f"{e.get('number', '?')} {e.get('description', '')}".strip() for e in payload["Errors"])
        raise BadResponse(f"NPI registry refused the query: {errors}")
    if not isinstance(payload, dict) or not isinstance(payload.get("results", []), list):
        raise BadResponse("NPI registry answer has no `results` list")
    return list(payload.get("results") or [])


class NpiRegistry(Source):
    name: ClassVar[str] = "npi"
    licence: ClassVar[str] = "public domain (CMS NPPES)"
    attribution: ClassVar[str] = "NPPES NPI Registry, Centers for Medicare & Medicaid Services (public domain)"
    summary: ClassVar[str] = "US clinician registry: family and internal medicine, family NPs, naturopaths, as practices"
    needs: ClassVar[str] = "a US clinic (no key)"

    def __init__(
        self, client: HttpClient, url: str, taxonomies: tuple[str, ...], zip_buffer_km: float, cache_days: float = 7
    ) -> None:
        self._client = client
        self._url = url.rstrip("/") + "/"
        self._taxonomies = taxonomies
        self._zip_buffer_km = zip_buffer_km
        self._expire = timedelta(days=cache_days)

    @classmethod
    def from_profile(cls, profile: ClinicProfile, client: HttpClient) -> NpiRegistry:
        if profile.country != "us":
            raise BadResponse(f"the NPI registry covers the US only, not {profile.country.upper()}")
        return cls(client, profile.npi_url, profile.npi_taxonomies, profile.npi_zip_buffer_km, profile.listing_cache_days)

    def listings_near(self, centre: Point, radius_m: float) -> SourceResult:
        zips = zip_codes_near(centre, radius_m / 1000 + self._zip_buffer_km)
        dropped: dict[str, int] = {}
        results: list[dict[str, Any]] = []
        for z in zips:
            for taxonomy in self._taxonomies:
                results += self._query(str(z["zip_code"]), taxonomy, dropped)
        fetched_at = datetime.now(UTC).isoformat(timespec="seconds")
        listings = roll_up(results, fetched_at, dropped)
        return SourceResult(self.name, tuple(listings), dropped, self.attribution)

    def _query(self, zip_code: str, taxonomy: str, dropped: dict[str, int]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for skip in range(0, MAX_SKIP + 1, PAGE_SIZE):
            params = {
                "version": "2.1",
                "postal_code": f"{zip_code}*",  # stored codes have 5 or 9 digits
                "taxonomy_description": taxonomy,
                "address_purpose": "LOCATION",
                "limit": str(PAGE_SIZE),
                "skip": str(skip),
            }
            response = self._client.get(
                self._url, params=params, expire_after=self._expire, purpose=f"NPI {taxonomy} in {zip_code}"
            )
            try:
                page = parse_page(_json(response.text, response.headers.get("Content-Type", "?")))
            except BadResponse as e:
                self._client.forget(response)
                raise BadResponse(f"GET {self._url} ({taxonomy} in {zip_code}): {e}") from e
            rows += page
            if len(page) < PAGE_SIZE:
                return rows
        log.warning("NPI %s in %s reached the registry's 1,200-row limit: some clinicians are missing", taxonomy, zip_code)
        dropped["queries_at_row_limit"] = dropped.get("queries_at_row_limit", 0) + 1
        return rows
