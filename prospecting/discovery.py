"""The stage functions a discovery run is made of, over plain data.

`flows/discover.py` wraps each in a Prefect task; `prospect fetch` and the tests call them
directly. Whether the run starts from an address, `--near` or a point, it goes through the
same chain: locate -> fetch each source -> classify -> match -> rank -> export.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date as date_type
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from prospecting import classify, export, match, rank, webmap
from prospecting.config import ClinicProfile, slugify
from prospecting.crawl import Crawler, CrawlSettings
from prospecting.enrich import enrich_listings
from prospecting.geo import haversine_km
from prospecting.geocode import NOMINATIM_MIN_DELAY, locate, parse_lat_lon
from prospecting.http import HttpClient, HttpSettings
from prospecting.models import ClassifiedListing, Listing, Outreach, Point, Prospect, RankedProspect, SourceResult
from prospecting.outreach import FollowUp, Kit, Playbook, due
from prospecting.sources import SOURCES
from prospecting.sources.dpc_frontier import MIN_INTERVAL_S as DPC_FRONTIER_MIN_INTERVAL
from prospecting.store import RunReport, Sighting, Store, database_url


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


@dataclass(frozen=True)
class Remembered:
    """A run's prospects with their lasting ids and standing, and what the store says around them."""

    prospects: list[Prospect]
    ranked: list[RankedProspect]
    report: RunReport
    outreach: dict[str, Outreach]
    followups: list[FollowUp]


def area_of(near: str | None) -> str:
    """The name of the searched area: "" for the clinic's own, a slug for a `--near` run."""
    if not near:
        return ""
    return slugify(near) if parse_lat_lon(near) is None else slugify(f"near-{near}")


def begin_run(profile: ClinicProfile, area: str, date: str, parameters: dict[str, Any]) -> int:
    """Record the run and take the clinic's lock (RunLocked when another run holds it)."""
    with Store(database_url(profile.output_dir)) as store:
        return store.begin_run(profile.slug, area, date, parameters)


def finish_run(profile: ClinicProfile, run_id: int, summary: dict[str, Any]) -> None:
    with Store(database_url(profile.output_dir)) as store:
        store.finish_run(
            run_id, summary.get("status", "failed"), summary.get("sources"), summary.get("counts"), summary.get("timings")
        )


def remember(
    profile: ClinicProfile,
    run_id: int,
    area: str,
    date: str,
    prospects: list[Prospect],
    ranked: list[RankedProspect],
    answered: set[str],
) -> Remembered:
    """Give prospects the ids earlier runs gave their records, record this run's sightings (new,
    active, gone), and read the clinic's outreach for the exports. Never writes outreach."""
    with Store(database_url(profile.output_dir)) as store:
        identities = store.identities([p.members for p in prospects], date)
        with_ids = [replace(p, prospect_id=i.prospect_id) for p, i in zip(prospects, identities, strict=True)]
        scores = {id(r.prospect): r.fit_score for r in ranked}
        sightings = [
            Sighting(
                prospect_id=p.prospect_id,
                name=p.name,
                category=p.classification.category,
                subcategory=p.classification.subcategory,
                sources=frozenset(key.split(":", 1)[0] for key in p.members),
                fit_score=scores.get(id(old)),
                address=p.address,
                phone=p.phone,
                website=p.website,
                latitude=p.latitude,
                longitude=p.longitude,
            )
            for p, old in zip(with_ids, prospects, strict=True)
        ]
        report = store.record_sightings(profile.slug, area, date, sightings, answered, run_id)
        final = {
            id(old): replace(
                p, first_seen=report.standings[p.prospect_id].first_seen, status=report.standings[p.prospect_id].status
            )
            for p, old in zip(with_ids, prospects, strict=True)
        }
        outreach = store.outreach(profile.slug, [p.prospect_id for p in final.values()])
        followups = due(store, profile.slug, date_type.fromisoformat(date))
    return Remembered(
        prospects=[final[id(p)] for p in prospects],
        ranked=[replace(r, prospect=final[id(r.prospect)]) for r in ranked],
        report=report,
        outreach=outreach,
        followups=followups,
    )


def rank_partners(prospects: list[Prospect], profile: ClinicProfile, centre: Point) -> list[RankedProspect]:
    partners = [p for p in prospects if p.classification.category in classify.PARTNER_CATEGORIES]
    return rank.rank_prospects(partners, centre, profile.radius_km, rank.Scoring.for_niche(profile.niche, profile.weights))


def output_folder(profile: ClinicProfile, near: str | None) -> Path:
    area = area_of(near)
    return profile.output_dir / profile.slug / area if area else profile.output_dir / profile.slug


def run_date(profile: ClinicProfile) -> str:
    return datetime.now(ZoneInfo(profile.timezone)).date().isoformat()


@dataclass(frozen=True)
class ExportPaths:
    prospects: Path
    dated: Path
    new: Path
    gone: Path
    excluded: Path
    digest: Path
    map: Path
    summary: Path


def write_exports(
    profile: ClinicProfile, folder: Path, remembered: Remembered, centre: Point, date: str, summary: dict[str, Any]
) -> ExportPaths:
    """The run's files: the ranked prospect CSV (dated and latest), new this week, gone, the
    excluded (competitors, other), the digest and the run record. Prospects marked
    `do_not_contact` appear in none of them; `not_a_fit` ones are never listed as new."""
    playbook = Playbook.load()
    outreach = remembered.outreach

    def stage(prospect: Prospect) -> str:
        found = outreach.get(prospect.prospect_id)
        return found.stage if found else "new"

    shown = [r for r in remembered.ranked if stage(r.prospect) not in playbook.hidden]
    rows = export.ranked_rows(shown, centre, date, outreach)
    kit, niche = Kit.load(), rank.Scoring.for_niche(profile.niche, profile.weights).label
    for row in rows:
        row.update(kit.for_prospect(row["name"], row["category"], row["subcategory"], profile.name, niche))
    fresh = [
        row
        for r, row in zip(shown, rows, strict=True)
        if r.prospect.status == "new" and stage(r.prospect) not in playbook.suppressed
    ]
    excluded = [
        p
        for p in remembered.prospects
        if p.classification.category not in classify.PARTNER_CATEGORIES and stage(p) not in playbook.hidden
    ]
    gone = [
        row for row in remembered.report.gone if (outreach.get(row["prospect_id"]) or Outreach()).stage not in playbook.hidden
    ]
    paths = ExportPaths(
        prospects=folder / "prospects-latest.csv",
        dated=folder / f"prospects-{date}.csv",
        new=folder / "new-this-week.csv",
        gone=folder / "gone.csv",
        excluded=folder / "excluded-latest.csv",
        digest=folder / "digest.md",
        map=folder / "map.html",
        summary=folder / "run.json",
    )
    export.write_csv(paths.dated, export.PROSPECT_COLUMNS, rows)
    export.write_csv(paths.prospects, export.PROSPECT_COLUMNS, rows)
    export.write_csv(paths.new, export.PROSPECT_COLUMNS, fresh)
    export.write_csv(paths.gone, export.GONE_COLUMNS, gone)
    export.write_csv(paths.excluded, export.PROSPECT_COLUMNS, export.excluded_rows(excluded, centre, date, outreach))
    export.atomic_write_text(paths.digest, export.digest(summary, fresh, gone, remembered.followups))
    webmap.write_map(paths.map, profile.name, centre, profile.radius_km, rows)
    write_run_record(folder, summary | {"files": {k: str(v) for k, v in paths.__dict__.items()}})
    return paths


def write_run_record(folder: Path, summary: dict[str, Any]) -> Path:
    path = folder / "run.json"
    export.write_json(path, summary)
    return path
