"""The performance budget in one table: the demo end to end, the pipeline per stage, a 5k-listing area.

    .venv/bin/python benchmarks/run.py [--repeat 3] [--listings 5000] [--seed 7] [--keep]

Rows (each the median of --repeat runs; peak memory the largest seen):

- `demo, with Prefect start-up`: `prospect demo` as a process with no PREFECT_API_URL, so it starts
  a temporary Prefect server (one PREFECT_HOME in a temporary folder for all repeats);
- `demo, server running`: the same with PREFECT_API_URL pointing at a server started beforehand
  (`prefect server start`, as benchmarks/crash.py does);
- `pipeline cold` / `pipeline warm`: the library's stage functions (prospecting/discovery.py)
  called directly, with no Prefect at all, on the demo area against the demo's local services
  (prospecting/demo): cold in an empty output folder, then warm, a second run in the same folder
  with the HTTP and website caches full. The requests each run sent to the listing sources
  (Overpass, NPI; Overture is a local file), to Nominatim and to the websites are counted from the
  servers' own request logs. Budget: a warm run makes 0 requests to listing sources and its
  stages take <= 5 s;
- `synthetic`: each stage on a synthetic area of --listings places (benchmarks/stages.py's
  generator; one in ten mapped twice), the OSM fetch served by a local Overpass stand-in.

`seconds` of a pipeline or synthetic row is the sum of its stages; `process` is the wall time of
the whole process (interpreter, imports). Peak memory is the maximum resident set size: of the
process (the largest of its processes for the demo), and for a stage, of its process up to the end
of that stage. Each measured run is its own process, started through benchmarks/match.py's
launcher (os.wait4), so no figure includes this script.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from unittest import mock

from crash import PROFILE, prefect_server
from match import run_measured
from stages import CENTRE, synthetic

import prospecting.demo
from prospecting.demo.server import FixtureServer, Handler, Reply, Seen
from prospecting.models import Listing

T = TypeVar("T")
Stage = tuple[str, float, float, str]  # name, seconds, peak MB so far, note
BUDGET_S = 5.0


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8") if Path("/proc/cpuinfo").exists() else ""
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")), "?")
    meminfo = Path("/proc/meminfo").read_text(encoding="utf-8") if Path("/proc/meminfo").exists() else ""
    kb = next((int(line.split()[1]) for line in meminfo.splitlines() if line.startswith("MemTotal:")), 0)
    return (
        f"machine: {os.cpu_count()} CPUs, {model}, {kb / 1024**2:.1f} GB RAM; "
        f"Python {platform.python_version()} on {platform.system()} {platform.release()}; "
        f"load average at start {os.getloadavg()[0]:.2f}"
    )


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(stages: list[Stage], name: str, fn: Callable[[], T], note: Callable[[T], str] = lambda _: "") -> T:
    start = time.perf_counter()
    result = fn()
    stages.append((name, time.perf_counter() - start, peak_mb(), note(result)))
    return result


# --- children: each measured run is a process of its own ------------------------------------------


def pipeline_child(settings: dict[str, Any]) -> list[Stage]:
    """The discovery's stages on the demo area, as flows/discover.py chains them, without Prefect."""
    from prospecting import discovery
    from prospecting.config import load_profile

    profile = load_profile(PROFILE, settings)
    date = discovery.run_date(profile)
    run_id = discovery.begin_run(profile, "", date, {"benchmark": "pipeline"})
    stages: list[Stage] = []
    summary: dict[str, Any] = {"status": "failed"}
    try:
        centre = timed(stages, "locate", lambda: discovery.search_centre(profile))
        listings: list[Listing] = []
        report: dict[str, Any] = {}
        for name in profile.sources:
            fetch = functools.partial(discovery.fetch_source, profile, name, centre)
            result = timed(stages, f"fetch {name}", fetch, lambda r: f"{len(r.listings)} listings")
            listings.extend(result.listings)
            report[name] = {"status": "ok", "listings": len(result.listings), "attribution": result.attribution}
        listings = timed(
            stages,
            "read websites",
            lambda: discovery.read_websites(profile, listings),
            lambda r: f"{sum(1 for x in r if x.website)} sites",
        )
        classified = timed(stages, "classify", lambda: discovery.classify_listings(listings), lambda r: f"{len(r)} listings")
        prospects = timed(stages, "match", lambda: discovery.match_listings(classified), lambda r: f"{len(r)} prospects")
        ranked = timed(
            stages, "rank", lambda: discovery.rank_partners(prospects, profile, centre), lambda r: f"{len(r)} partners"
        )
        remembered = timed(
            stages, "remember", lambda: discovery.remember(profile, run_id, "", date, prospects, ranked, set(report))
        )
        summary = {
            "clinic": profile.name,
            "date": date,
            "status": "complete",
            "partial": False,
            "sources": report,
            "attribution": sorted({r["attribution"] for r in report.values()}),
            "counts": {"listings": len(listings), "prospects": len(prospects), "partners": len(ranked)},
        }
        folder = discovery.output_folder(profile, None)
        timed(stages, "export", lambda: discovery.write_exports(profile, folder, remembered, centre, date, summary))
    finally:
        discovery.finish_run(profile, run_id, summary)
    return stages


def synthetic_child(settings: dict[str, Any]) -> list[Stage]:
    """Each stage on a synthetic area, from an Overpass answer of its listings to the exports."""
    from prospecting import classify, discovery, match
    from prospecting.config import load_profile

    places, seed, output = int(settings["listings"]), int(settings["seed"]), Path(settings["output"])
    elements = []
    for x in synthetic(places, random.Random(seed)):
        kind, number = x.source_id.split("/")
        tags = dict(label.split("=", 1) for label in x.categories) | {"name": x.name}
        if x.phone:
            tags["phone"] = x.phone
        where = {"lat": x.latitude, "lon": x.longitude}
        elements.append({"type": kind, "id": int(number), "tags": tags} | (where if kind == "node" else {"center": where}))
    answer = json.dumps({"version": 0.6, "elements": elements})

    def overpass(seen: Seen) -> Reply:
        return Reply(body=answer)

    handler: Handler = overpass
    stages: list[Stage] = []
    with FixtureServer(handler) as server:
        profile = load_profile(
            PROFILE,
            {
                "latitude": CENTRE.latitude,
                "longitude": CENTRE.longitude,
                "radius": "12km",  # the generator spreads places over about 16 x 16 km
                "sources": ["osm"],
                "overpass.endpoints": [f"{server.url}/api/interpreter"],
                "http.min_interval": 0,
                "crawl.enabled": False,
                "output_dir": str(output),
                "cache.dir": str(output / ".cache"),
            },
        )
        date = discovery.run_date(profile)
        run_id = discovery.begin_run(profile, "", date, {"benchmark": "synthetic"})
        centre = discovery.search_centre(profile)
        result = timed(
            stages, "fetch osm", lambda: discovery.fetch_source(profile, "osm", centre), lambda r: f"{len(r.listings)} listings"
        )
    listings = list(result.listings)
    rules = classify.load_rules()
    matching = match.MatchSettings.from_table()
    classified = timed(stages, "classify", lambda: classify.classify_all(listings, rules), lambda r: f"{len(r)} listings")
    timed(stages, "blocking", lambda: match.candidate_pairs(listings, matching), lambda r: f"{len(r)} candidate pairs")
    timed(stages, "comparison", lambda: match.linked_pairs(listings, matching), lambda r: f"{len(r)} links (blocking again)")
    prospects = timed(stages, "match (all)", lambda: match.match_prospects(classified, matching), lambda r: f"{len(r)} prospects")
    ranked = timed(stages, "rank", lambda: discovery.rank_partners(prospects, profile, centre), lambda r: f"{len(r)} partners")
    remembered = timed(stages, "remember", lambda: discovery.remember(profile, run_id, "", date, prospects, ranked, {"osm"}))
    summary = {"clinic": profile.name, "date": date, "status": "complete", "sources": {"osm": {"status": "ok"}}}
    folder = discovery.output_folder(profile, None)
    timed(stages, "export", lambda: discovery.write_exports(profile, folder, remembered, centre, date, summary))
    discovery.finish_run(profile, run_id, summary)
    return stages


CHILDREN: dict[str, Callable[[dict[str, Any]], list[Stage]]] = {"pipeline": pipeline_child, "synthetic": synthetic_child}


def measured_child(kind: str, settings: dict[str, Any], work: Path) -> tuple[float, float, list[Stage]]:
    """Run one child of this script as its own process: wall seconds, peak MB and its stages."""
    handle, name = tempfile.mkstemp(suffix=".json", dir=work)
    os.close(handle)
    result = Path(name)
    seconds, peak = run_measured([sys.executable, __file__, "--child", kind, json.dumps(settings), str(result)])
    stages = [(str(s[0]), float(s[1]), float(s[2]), str(s[3])) for s in json.loads(result.read_text(encoding="utf-8"))]
    result.unlink()
    return seconds, peak, stages


# --- the demo's services, with their request logs --------------------------------------------------


@contextmanager
def recorded_demo_services() -> Iterator[tuple[dict[str, Any], dict[str, FixtureServer]]]:
    """prospecting.demo.demo_services() as the demo starts them, and its servers by role."""
    servers: list[FixtureServer] = []

    class Recorded(FixtureServer):
        def __init__(self, handler: Handler) -> None:
            super().__init__(handler)
            servers.append(self)

    with mock.patch.object(prospecting.demo, "FixtureServer", Recorded), prospecting.demo.demo_services() as settings:
        roles: dict[str, FixtureServer] = {}
        for server in servers:
            if any(url.startswith(server.url) for url in settings["overpass.endpoints"]):
                roles["overpass"] = server
            elif settings["nominatim.url"].startswith(server.url):
                roles["nominatim"] = server
            elif settings["npi.url"].startswith(server.url):
                roles["npi"] = server
            else:
                roles["websites"] = server
        yield settings, roles


@contextmanager
def environment(**values: str | None) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    try:
        for key, value in values.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# --- the table ------------------------------------------------------------------------------------

Row = tuple[str, float, float, float | None, str]  # label, seconds, peak MB, process seconds, note


def median_rows(runs: list[list[Row]]) -> list[Row]:
    """Row by row, the median seconds and the largest peak over repeated runs (notes of the last)."""
    out: list[Row] = []
    for rows in zip(*runs, strict=True):
        process = [r[3] for r in rows if r[3] is not None]
        out.append(
            (
                rows[-1][0],
                statistics.median(r[1] for r in rows),
                max(r[2] for r in rows),
                statistics.median(process) if process else None,
                rows[-1][4],
            )
        )
    return out


def stage_rows(title: str, seconds: float, peak: float, stages: list[Stage], note: str = "") -> list[Row]:
    total = sum(s[1] for s in stages)
    return [(title, total, peak, seconds, note)] + [(f"  {s[0]}", s[1], s[2], None, s[3]) for s in stages]


def print_table(rows: list[Row]) -> None:
    print(f"{'':<44}{'seconds':>9}{'process':>9}{'peak MB':>9}  notes")
    for label, seconds, peak, process, note in rows:
        wall = f"{process:>9.2f}" if process is not None else f"{'':>9}"
        print(f"{label:<44}{seconds:>9.2f}{wall}{peak:>9.0f}  {note}".rstrip())


def counts(servers: dict[str, FixtureServer]) -> dict[str, int]:
    return {role: len(server.requests) for role, server in servers.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each row; the table shows medians")
    parser.add_argument("--listings", type=int, default=5000, help="places in the synthetic area")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "SETTINGS", "RESULT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, settings, result = args.child
        stages = CHILDREN[kind](json.loads(settings))
        Path(result).write_text(json.dumps(stages), encoding="utf-8")
        return

    print(machine())
    work = Path(tempfile.mkdtemp(prefix="run-bench-"))
    rows: dict[str, list[list[Row]]] = {}
    requests: list[dict[str, int]] = []
    warm_totals: list[float] = []
    try:
        demo = [sys.executable, "-m", "prospecting.cli", "demo", "--output"]
        client_home = str(work / "prefect-client")
        with environment(PREFECT_HOME=client_home, PREFECT_API_URL=None, PREFECT_SERVER_ANALYTICS_ENABLED="false"):
            for n in range(args.repeat):
                seconds, peak = run_measured([*demo, str(work / f"demo-startup-{n}")])
                rows.setdefault("startup", []).append(
                    [("demo, with Prefect start-up", seconds, peak, seconds, "temporary server")]
                )
        with prefect_server(work / "prefect-server") as api_url, environment(PREFECT_HOME=client_home, PREFECT_API_URL=api_url):
            for n in range(args.repeat):
                seconds, peak = run_measured([*demo, str(work / f"demo-server-{n}")])
                rows.setdefault("server", []).append([("demo, Prefect server running", seconds, peak, seconds, api_url)])
        with recorded_demo_services() as (services, servers):
            for n in range(args.repeat):
                output = work / f"pipeline-{n}"
                settings = services | {"output_dir": str(output), "cache.dir": str(output / ".cache")}
                for temperature in ("cold", "warm"):
                    before = counts(servers)
                    seconds, peak, stages = measured_child("pipeline", settings, work)
                    sent = {role: count - before[role] for role, count in counts(servers).items()}
                    note = (
                        f"requests: listing sources {sent['overpass'] + sent['npi']} "
                        f"(overpass {sent['overpass']}, npi {sent['npi']}), nominatim {sent['nominatim']}, "
                        f"websites {sent['websites']}"
                    )
                    title = f"pipeline {temperature}, no Prefect (demo area)"
                    rows.setdefault(temperature, []).append(stage_rows(title, seconds, peak, stages, note))
                    if temperature == "warm":
                        requests.append(sent)
                        warm_totals.append(sum(s[1] for s in stages))
        for n in range(args.repeat):
            settings = {"listings": args.listings, "seed": args.seed, "output": str(work / f"synthetic-{n}")}
            seconds, peak, stages = measured_child("synthetic", settings, work)
            title = f"synthetic area, {args.listings} places"
            rows.setdefault("synthetic", []).append(stage_rows(title, seconds, peak, stages, f"seed {args.seed}"))
    finally:
        if args.keep:
            print(f"kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    print(f"medians of {args.repeat} runs; peak MB: the largest")
    print_table([row for key in ("startup", "server", "cold", "warm", "synthetic") for row in median_rows(rows[key])])
    listing_requests = max(r["overpass"] + r["npi"] for r in requests)
    warm = statistics.median(warm_totals)
    verdict = "within" if listing_requests == 0 and warm <= BUDGET_S else "OVER"
    print(
        f"budget: warm re-run of the demo area: {listing_requests} requests to listing sources (must be 0), "
        f"stages {warm:.2f} s (<= {BUDGET_S:.0f} s): {verdict} budget"
    )


if __name__ == "__main__":
    main()
