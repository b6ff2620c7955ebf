"""The stage functions a discovery run is made of, over plain data.

`flows/discover.py` wraps each in a Prefect task; `prospect fetch` and the tests call them
directly. Whether the run starts from an address, `--near` or a point, it goes through the
same chain: locate -> fetch each source -> classify -> match -> rank -> export.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from prospecting import classify, export, match, rank
from prospecting.config import ClinicProfile, slugify
from prospecting.crawl import Crawler, CrawlSettings
from prospecting.enrich import enrich_listings
from prospecting.geo import haversine_km
from prospecting.geocode import NOMINATIM_MIN_DELAY, locate, parse_lat_lon
from prospecting.http import HttpClient, HttpSettings
from prospecting.models import ClassifiedListing, Listing, Point, Prospect, RankedProspect, SourceResult
from prospecting.sources import SOURCES
from prospecting.sources.dpc_frontier import MIN_INTERVAL_S as DPC_FRONTIER_MIN_INTERVAL
from prospecting.store import Store, database_url


def _host(url: str) -> str:
    return url.split("://", 1)[-1].split("/", 1)[0]


def http_client(profile: ClinicProfile, offline: bool = False) -> HttpClient:
    """The HTTP client for one task; hosts with their own etiquette get their own pace."""
    return HttpClient(
        HttpSettings(
            user_agent=profile.user_agent,
            cache_path=profile.cache_dir / "http.sqlite",
            expire_after=timedelta(days=profile.listing_cache_days),
            default_min_interval=profile.min_interval,
            min_interval={
                _host(profile.nominatim_url): max(NOMINATIM_MIN_DELAY, profile.min_interval),
                _host(profile.dpc_frontier_url): max(DPC_FRONTIER_MIN_INTERVAL, profile.min_interval),
            },
            offline=offline,
        )
    )


def search_centre(profile: ClinicProfile, near: str | None = None, offline: bool = False) -> Point:
    with http_client(profile, offline) as client:
        return locate(
            client,
            place=near,
            latitude=profile.latitude,
            longitude=profile.longitude,
            address=profile.address,
            nominatim_url=profile.nominatim_url,
            country=profile.country,
        )


def fetch_source(profile: ClinicProfile, source: str, centre: Point, offline: bool = False) -> SourceResult:
    """One source's listings within the radius; those the source returns beyond it are dropped and counted."""
    with http_client(profile, offline) as client:
        result = SOURCES[source].from_profile(profile, client).listings_near(centre, profile.radius_m)
    kept: list[Listing] = []
    dropped = dict(result.dropped)
    for listing in result.listings:
        # Approximate points (ZIP centroids) came from areas chosen to touch the radius: kept.
        point = listing.exact_point
        if point is not None and haversine_km(centre, point) > profile.radius_km:
            dropped["outside_radius"] = dropped.get("outside_radius", 0) + 1
        else:
            kept.append(listing)
    return SourceResult(result.source, tuple(kept), dropped, result.attribution)


def read_websites(profile: ClinicProfile, listings: list[Listing], offline: bool = False) -> list[Listing]:
    """The enrich stage: each listing's website read (politely, cached) into facts."""
    if not profile.crawl_enabled:
        return listings
    crawler = Crawler(
        CrawlSettings(
            user_agent=profile.user_agent,
            cache_path=profile.cache_dir / "websites.sqlite",
            max_pages=profile.crawl_max_pages,
            min_interval=profile.crawl_min_interval,
            concurrency=profile.crawl_concurrency,
            allowed_hosts=frozenset(profile.crawl_allow_hosts),
            resolve=profile.crawl_resolve,
            offline=offline,
        )
    )
    try:
        return enrich_listings(listings, crawler)
    finally:
        crawler.close()


def classify_listings(listings: list[Listing]) -> list[ClassifiedListing]:
    return classify.classify_all(listings)


def match_listings(classified: list[ClassifiedListing]) -> list[Prospect]:
    return match.match_prospects(classified)


def remember(profile: ClinicProfile, prospects: list[Prospect], date: str) -> list[Prospect]:
    """Prospects with the ids earlier runs gave their records, and since when they are known."""
    store = Store(database_url(profile.output_dir))
    try:
        identities = store.identities([p.members for p in prospects], date)
    finally:
        store.close()
    return [
        replace(p, prospect_id=i.prospect_id, first_seen=i.first_seen, status="new" if i.new else "active")
        for p, i in zip(prospects, identities, strict=True)
    ]


def rank_partners(prospects: list[Prospect], profile: ClinicProfile, centre: Point) -> list[RankedProspect]:
    partners = [p for p in prospects if p.classification.category in classify.PARTNER_CATEGORIES]
    return rank.rank_prospects(partners, centre, profile.radius_km, rank.Scoring.for_niche(profile.niche))


def output_folder(profile: ClinicProfile, near: str | None) -> Path:
    folder = profile.output_dir / profile.slug
    if near and parse_lat_lon(near) is None:
        folder = folder / slugify(near)
    elif near:
        folder = folder / slugify(f"near-{near}")
    return folder


def run_date(profile: ClinicProfile) -> str:
    return datetime.now(ZoneInfo(profile.timezone)).date().isoformat()


@dataclass(frozen=True)
class ExportPaths:
    prospects: Path
    dated: Path
    excluded: Path
    summary: Path


def write_exports(
    folder: Path,
    ranked: list[RankedProspect],
    prospects: list[Prospect],
    centre: Point,
    date: str,
    summary: dict[str, Any],
) -> ExportPaths:
    excluded = [p for p in prospects if p.classification.category not in classify.PARTNER_CATEGORIES]
    rows = export.ranked_rows(ranked, centre, date)
    paths = ExportPaths(
        prospects=folder / "prospects-latest.csv",
        dated=folder / f"prospects-{date}.csv",
        excluded=folder / "excluded-latest.csv",
        summary=folder / "run.json",
    )
    export.write_csv(paths.dated, export.PROSPECT_COLUMNS, rows)
    export.write_csv(paths.prospects, export.PROSPECT_COLUMNS, rows)
    export.write_csv(paths.excluded, export.PROSPECT_COLUMNS, export.excluded_rows(excluded, centre, date))
    write_run_record(folder, summary | {"files": {k: str(v) for k, v in paths.__dict__.items()}})
    return paths


def write_run_record(folder: Path, summary: dict[str, Any]) -> Path:
    path = folder / "run.json"
    export.write_json(path, summary)
    return path
