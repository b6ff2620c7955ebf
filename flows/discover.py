"""The `discover` flow: a clinic profile in, a ranked prospect CSV out.

Each task wraps one library stage. A source that fails makes the run partial (recorded in
`run.json` and the flow's artifacts), never failed; the flow fails only when no source
answered. Source tasks retry transient failures (unreachable, rate limited) after the HTTP
client's own bounded retries have run out. With `PROSPECTING_SHARED_LIMITS=1` (set on a fleet's
workers) every request also takes a slot of its host's Prefect rate limit (`flows/limits.py`).
"""

from __future__ import annotations

import html
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import INPUTS, TASK_SOURCE
from prefect.client.schemas.objects import State
from prefect.states import Failed

from flows.limits import shared_limits
from prospecting import discovery
from prospecting.config import ClinicProfile, load_profile
from prospecting.errors import RateLimited, Unavailable
from prospecting.models import ClassifiedListing, Listing, Point, Prospect, RankedProspect, SourceResult


def _transient(task: Any, task_run: Any, state: State[Any]) -> bool:
    """Retry a source only when waiting may help: busy or unreachable, not a refused query or no DNS.

    Rate limited: only when the task's retry delays reach the wait the service asked for (Retry-After),
    so a retry never comes sooner than the service said; a longer wait is the next run's.
    """
    error = state.data
    if isinstance(error, RateLimited):
        delays = task.retry_delay_seconds
        longest = max(delays) if isinstance(delays, list) and delays else float(delays or 0)
        return error.retry_after is None or error.retry_after <= longest
    return isinstance(error, Unavailable) and error.transient


@task(name="locate")
def locate_task(profile: ClinicProfile, near: str | None, offline: bool) -> Point:
    return discovery.search_centre(profile, near, offline)


@task(
    name="fetch-source",
    task_run_name="fetch-{source}",
    retries=2,
    retry_delay_seconds=[10, 60],
    retry_condition_fn=_transient,
    # A re-run after a crash on the same day reuses the fetches that finished (results kept on disk).
    cache_policy=INPUTS + TASK_SOURCE,
    cache_expiration=timedelta(hours=20),
    persist_result=True,
)
def fetch_task(profile: ClinicProfile, source: str, centre: Point, offline: bool, date: str) -> SourceResult:
    return discovery.fetch_source(profile, source, centre, offline)


@task(name="read-websites")
def enrich_task(profile: ClinicProfile, listings: list[Listing], offline: bool) -> list[Listing]:
    return discovery.read_websites(profile, listings, offline)


@task(name="classify")
def classify_task(listings: list[Listing]) -> list[ClassifiedListing]:
    return discovery.classify_listings(listings)


@task(name="match")
def match_task(classified: list[ClassifiedListing]) -> list[Prospect]:
    return discovery.match_listings(classified)


@task(name="remember")
def remember_task(
    profile: ClinicProfile,
    run_id: int,
    area: str,
    date: str,
    prospects: list[Prospect],
    ranked: list[RankedProspect],
    answered: set[str],
) -> discovery.Remembered:
    return discovery.remember(profile, run_id, area, date, prospects, ranked, answered)


@task(name="rank")
def rank_task(prospects: list[Prospect], profile: ClinicProfile, centre: Point) -> list[RankedProspect]:
    return discovery.rank_partners(prospects, profile, centre)


@task(name="export")
def export_task(
    profile: ClinicProfile, folder: str, remembered: discovery.Remembered, centre: Point, date: str, summary: dict[str, Any]
) -> discovery.ExportPaths:
    return discovery.write_exports(profile, Path(folder), remembered, centre, date, summary)


@flow(name="discover", log_prints=True)
def discover(
    clinic: str = "config/clinic.example.toml",
    near: str | None = None,
    radius: str | None = None,
    sources: list[str] | None = None,
    offline: bool = False,
    settings: dict[str, Any] | None = None,
) -> dict[str, Any] | State[Any]:
    """Find, classify, merge, rank and export prospects around a clinic (or `near` a place).

    `radius` ("5mi", "8km") and `sources` override the profile; `settings` overrides other
    profile fields by dotted name (e.g. `{"overpass.endpoints": [...]}`); `offline` answers
    only from the HTTP cache.
    """
    logger = get_run_logger()
    overrides = dict(settings or {})
    if radius:
        overrides["radius"] = radius
    if sources:
        overrides["sources"] = sources
    profile = load_profile(clinic, overrides)
    date = discovery.run_date(profile)
    area = discovery.area_of(near)
    parameters = {"clinic": clinic, "near": near, "radius": radius, "sources": list(profile.sources), "offline": offline}
    run_id = discovery.begin_run(profile, area, date, parameters)  # the clinic's lock: one run at a time
    summary: dict[str, Any] = {"status": "failed"}
    try:
        with shared_limits():  # on workers with PROSPECTING_SHARED_LIMITS=1: rates held across the fleet
            return _discover(profile, run_id, near, area, date, offline, summary, logger)
    finally:
        discovery.finish_run(profile, run_id, summary)


def _discover(
    profile: ClinicProfile,
    run_id: int,
    near: str | None,
    area: str,
    date: str,
    offline: bool,
    summary: dict[str, Any],
    logger: Any,
) -> dict[str, Any] | State[Any]:
    started = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(stage: str) -> None:
        nonlocal started
        now = time.perf_counter()
        timings[stage] = round(now - started, 3)
        started = now

    centre = locate_task(profile, near, offline)
    lap("locate")
    futures = {name: fetch_task.submit(profile, name, centre, offline, date) for name in profile.sources}
    source_report: dict[str, dict[str, Any]] = {}
    listings: list[Listing] = []
    for name, future in futures.items():
        future.wait()
        outcome = future.state.result(raise_on_failure=False)
        if isinstance(outcome, SourceResult):
            listings.extend(outcome.listings)
            source_report[name] = {
                "status": "ok",
                "listings": len(outcome.listings),
                "dropped": outcome.dropped,
                "attribution": outcome.attribution,
            }
        else:
            message = str(outcome) if isinstance(outcome, BaseException) else "did not finish"
            logger.warning("source %s failed: %s", name, message)
            source_report[name] = {"status": "failed", "error": message}
    lap("fetch")

    failed = [n for n, r in source_report.items() if r["status"] != "ok"]
    folder = discovery.output_folder(profile, near)
    summary.update(
        {
            "clinic": profile.name,
            "profile": profile.source_file,
            "near": near,
            "area": area,
            "centre": {"latitude": centre.latitude, "longitude": centre.longitude},
            "radius_km": round(profile.radius_km, 3),
            "niche": profile.niche,
            "date": date,
            "status": "failed" if len(failed) == len(source_report) else "partial" if failed else "complete",
            "partial": bool(failed),
            "sources": source_report,
            "attribution": sorted({r["attribution"] for r in source_report.values() if r.get("attribution")}),
            "timings": timings,
        }
    )
    if summary["status"] == "failed":
        # The run record says what happened; the previous exports stay as they were.
        discovery.write_run_record(folder, summary)
        errors = "; ".join(f"{n}: {source_report[n]['error']}" for n in failed)
        return Failed(message=f"no source answered ({errors})")

    listings = enrich_task(profile, listings, offline)
    lap("read_websites")
    with_site = [x for x in listings if x.website]
    summary["websites"] = {"listed": len(with_site), "unreadable": sum(1 for x in with_site if x.website_error)}
    classified = classify_task(listings)
    lap("classify")
    prospects = match_task(classified)
    lap("match")
    ranked = rank_task(prospects, profile, centre)
    lap("rank")
    answered = {n for n, r in source_report.items() if r["status"] == "ok"}
    remembered = remember_task(profile, run_id, area, date, prospects, ranked, answered)
    lap("remember")
    summary["counts"] = {
        "listings": len(listings),
        "prospects": len(prospects),
        "partners": len(ranked),
        "excluded": len(prospects) - len(ranked),
        "new": sum(1 for r in remembered.ranked if r.prospect.status == "new"),
        "gone": len(remembered.report.gone),
        "returned": len(remembered.report.returned),
        "followups_due": len(remembered.followups),
    }
    paths = export_task(profile, str(folder), remembered, centre, date, summary)
    lap("export")
    summary["files"] = {k: str(v) for k, v in paths.__dict__.items()}
    _publish(summary, remembered.ranked, paths)
    return summary


def _publish(summary: dict[str, Any], ranked: list[RankedProspect], paths: discovery.ExportPaths) -> None:
    """Prefect artifacts: the top prospects, the digest and a short run report (listing text escaped)."""
    top = [
        {
            "rank": r.rank,
            "name": html.escape(r.prospect.name),
            "category": r.prospect.classification.subcategory,
            "fit_score": r.fit_score,
        }
        for r in ranked[:20]
    ]
    create_table_artifact(top, key="top-prospects", description=f"Top prospects for {summary['clinic']}")
    lines = [f"# Discovery for {html.escape(summary['clinic'])} ({summary['date']})", ""]
    lines += [f"- {k}: {v}" for k, v in summary["counts"].items()]
    lines += [
        f"- source {n}: {r['status']}" + (f" ({html.escape(r['error'])})" if r.get("error") else "")
        for n, r in summary["sources"].items()
    ]
    create_markdown_artifact("\n".join(lines), key="discovery-report")
    create_markdown_artifact(paths.digest.read_text(encoding="utf-8"), key="digest", description="This week's digest")
