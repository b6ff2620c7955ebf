"""The fleet check: a local Prefect server, process workers on this machine, a clinic fan-out.

    .venv/bin/python benchmarks/fleet.py [--clinics 20] [--workers 1,2] [--runs-per-worker 1] [--db-url URL]

1. Starts `prefect server start` on a free port (its own PREFECT_HOME, analytics off) and waits
   for /api/health; creates the process work pool `fleet`; runs `prospect setup-limits` with
   PROSPECTING_RATE_LIMITS mapping the local fake services to the public hosts' limits.
2. Starts the local fake services once, in this process (Overpass, Nominatim, the NPI registry
   and the businesses' websites from `prospecting.demo`), and writes N clinic profiles: distinct
   names, each with its own street address (suite number), so every clinic asks Nominatim.
3. Runs the N clinics one at a time in this process (no shared limits): the reference results.
4. For each worker count: deploys `discover` to the pool, starts that many
   `prefect worker start --pool fleet --type process` processes (PROSPECTING_SHARED_LIMITS=1,
   one shared store, its tables made first, and one shared cache folder per round), runs the
   `discover-clinics` fan-out with `deployment=` so the clinics are queued on the pool, and
   waits for all of them.

Checks, per round: every clinic's run Completed; the fake Nominatim never saw more than one
request in any 1-second window (its own arrival times, across all workers); every clinic's
`prospects-latest.csv` equal to the reference (rows sorted, the date columns left out). Prints
clinics per minute. Exit status 0 when every check passed, 1 otherwise.

The store is PostgreSQL when `--db-url` or PROSPECTING_TEST_PG_URL names one (a fresh schema per
round, dropped afterwards), else one SQLite file per round shared by the workers.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crash import prefect_server, stop

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
POOL = "fleet"
DEPLOYMENT = "fleet-clinic"
DATE_COLUMNS = ("first_seen", "last_seen")


def prefect_env(home: Path, api_url: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    for key in [k for k in env if k.startswith(("PREFECT_", "PROSPECTING_"))]:
        del env[key]
    env.update(
        {
            "PREFECT_HOME": str(home),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_LOGGING_LEVEL": "WARNING",
        }
    )
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


@contextmanager
def workers(count: int, env: dict[str, str], logs: Path, runs_per_worker: int, tag: str, pool: str = POOL) -> Iterator[None]:
    """`count` process workers polling the pool, each running at most `runs_per_worker` flow runs at once."""
    started: list[subprocess.Popen[bytes]] = []
    try:
        for n in range(1, count + 1):
            log = (logs / f"worker-{tag}-{n}.log").open("wb")
            command = [str(BIN / "prefect"), "worker", "start", "--pool", pool, "--type", "process"]
            command += ["--name", f"worker-{tag}-{n}", "--limit", str(runs_per_worker)]
            started.append(
                subprocess.Popen(
                    command,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
            log.close()
        yield
    finally:
        for process in started:
            stop(process)


@dataclass
class FakeServices:
    """The local stand-ins, and the profile settings that point a clinic at them."""

    settings: dict[str, Any]
    nominatim: Any
    rate_limits: dict[str, str | None]


@contextmanager
def fake_services() -> Iterator[FakeServices]:
    from prospecting.demo import DEMO_SOURCES
    from prospecting.demo.server import FixtureServer, nominatim_handler, npi_handler, overpass_handler, site_handler
    from prospecting.resources import demo_data_dir

    data = demo_data_dir()
    with ExitStack() as stack:
        overpass = stack.enter_context(FixtureServer(overpass_handler(data)))
        nominatim = stack.enter_context(FixtureServer(nominatim_handler(data)))
        npi = stack.enter_context(FixtureServer(npi_handler(json.loads((data / "npi.json").read_text(encoding="utf-8")))))
        sites = stack.enter_context(FixtureServer(site_handler(data / "sites")))
        local = sites.url.split("://", 1)[1]
        settings = {
            "sources": DEMO_SOURCES,
            "overpass.endpoints": [f"{overpass.url}/api/interpreter"],
            "nominatim.url": nominatim.url,
            "npi.url": f"{npi.url}/api/",
            "overture.file": str(data / "overture_places.geojson"),
            "http.min_interval": 0,
            "crawl.min_interval": 0,
            "crawl.resolve": {host.name: local for host in (data / "sites").iterdir() if host.is_dir()},
        }
        # Each stand-in is held to the limit of the public host it plays; the websites keep their names.
        rate_limits: dict[str, str | None] = {
            nominatim.url.split("://", 1)[1]: "nominatim",
            overpass.url.split("://", 1)[1]: "overpass:overpass-api.de",
            npi.url.split("://", 1)[1]: "npi",
        }
        yield FakeServices(settings, nominatim, rate_limits)


def write_profiles(folder: Path, count: int) -> list[Path]:
    """`count` clinics in the demo area, each with its own name and street address (a suite number)."""
    folder.mkdir(parents=True, exist_ok=True)
    template = (ROOT / "config" / "clinic.example.toml").read_text(encoding="utf-8")
    name, address = "Harbor Movement Physical Therapy", "145 King Street, Charleston, SC 29401"
    assert f'name = "{name}"' in template and f'address = "{address}"' in template
    paths = []
    for n in range(1, count + 1):
        text = template.replace(f'name = "{name}"', f'name = "Fleet Clinic {n:02d} Physical Therapy"')
        text = text.replace(f'address = "{address}"', f'address = "145 King Street, Suite {100 + n}, Charleston, SC 29401"')
        path = folder / f"clinic-{n:02d}.toml"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


@contextmanager
def store_url(base: str | None, folder: Path) -> Iterator[str]:
    """A fresh store for one round: a PostgreSQL schema of `base` (dropped after), or a SQLite file."""
    if not base:
        yield f"sqlite:///{folder / 'prospecting.db'}"
        return
    from prospecting.store import temporary_schema

    with temporary_schema(base, "fleet") as url:
        yield url


def read_prospects(path: Path) -> list[tuple[str, ...]]:
    """A prospect CSV's rows, without the date columns, sorted: what two runs on different days share."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return sorted(tuple(f"{k}={v}" for k, v in row.items() if k not in DATE_COLUMNS) for row in rows)


def max_per_window(times: list[float], window: float = 1.0) -> int:
    """The most requests that arrived within any `window` seconds."""
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def min_gap(times: list[float]) -> float | None:
    times = sorted(times)
    return min((b - a for a, b in itertools.pairwise(times)), default=None)


@dataclass
class Round:
    label: str
    clinics: int
    seconds: float
    completed: int
    states: dict[str, str]
    nominatim_requests: int
    nominatim_max_per_second: int
    nominatim_min_gap: float | None
    first_done: float  # seconds from the fan-out's start to the first completed clinic's end (its caches were cold)
    warm: int  # clinics started after that one ended
    warm_seconds: float  # from that end to the last clinic's end
    identical: list[str] = field(default_factory=list)
    different: list[str] = field(default_factory=list)
    outcomes: dict[str, dict[str, Any]] = field(default_factory=dict)  # what the fan-out reported, per profile

    @property
    def per_minute(self) -> float:
        return self.clinics / self.seconds * 60

    @property
    def warm_per_minute(self) -> float:
        return self.warm / self.warm_seconds * 60 if self.warm_seconds > 0 else 0.0

    @property
    def ok(self) -> bool:
        return (
            self.completed == self.clinics
            and self.nominatim_max_per_second <= 1
            and not self.different
            and len(self.identical) == self.clinics
        )


def run_serial(profiles: list[Path], folder: Path, services: FakeServices, db: str) -> tuple[float, dict[str, Path]]:
    """The clinics one at a time in this process, no shared limits: the reference results."""
    from flows.discover import discover

    settings = {**services.settings, "output_dir": str(folder / "output"), "cache.dir": str(folder / "cache")}
    os.environ["PROSPECTING_DB_URL"] = db
    try:
        started = time.monotonic()
        csvs = {}
        for path in profiles:
            summary = discover(clinic=str(path), settings=settings)
            assert isinstance(summary, dict) and summary["status"] == "complete", summary
            csvs[path.name] = Path(summary["files"]["prospects"])
        return time.monotonic() - started, csvs
    finally:
        del os.environ["PROSPECTING_DB_URL"]


def deploy(pool: str = POOL, name: str = DEPLOYMENT) -> str:
    """`discover` as a deployment of the process pool `pool` (made if missing); its full name."""
    from prefect import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.deployments.runner import RunnerDeployment
    from prefect.exceptions import ObjectAlreadyExists
    from prefect.types.entrypoint import EntrypointType

    from flows.discover import discover

    with get_client(sync_client=True) as client, suppress(ObjectAlreadyExists):
        client.create_work_pool(WorkPoolCreate(name=pool, type="process"))
    deployment = RunnerDeployment.from_flow(
        flow=discover, name=name, tags=["prospecting", "fleet"], entrypoint_type=EntrypointType.MODULE_PATH
    )
    deployment.apply(work_pool_name=pool)
    return f"discover/{name}"


def run_fleet(
    count: int,
    runs_per_worker: int,
    profiles: list[Path],
    folder: Path,
    services: FakeServices,
    db: str,
    env: dict[str, str],
    logs: Path,
    reference: dict[str, Path] | None,
    pool: str = POOL,
    deployment: str = DEPLOYMENT,
) -> Round:
    """One round: `count` workers take the clinics the fan-out queues; checks and timing.

    Without `reference` the results are not compared (every clinic counts as identical when it wrote its CSV)."""
    from prefect import get_client

    from flows.clinics import discover_clinics

    settings = {**services.settings, "output_dir": str(folder / "output"), "cache.dir": str(folder / "cache")}
    worker_env = {
        **env,
        "PROSPECTING_SHARED_LIMITS": "1",
        "PROSPECTING_RATE_LIMITS": json.dumps(services.rate_limits),
        "PROSPECTING_DB_URL": db,
        "PREFECT_WORKER_QUERY_SECONDS": "1",  # a worker that finished a run asks for the next one within 1 s
        "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "true",  # the fan-out reads each clinic's summary
    }
    from prospecting.store import Store

    # The store's tables are made before the workers start: two first runs at once on an empty
    # PostgreSQL schema race to create them, and one fails (docs/scaling.md, "Before the first run").
    Store(db).close()
    seen_before = len(services.nominatim.requests)
    with workers(count, worker_env, logs, runs_per_worker, tag=f"{count}w", pool=pool):
        began = datetime.now(UTC)
        started = time.monotonic()
        outcomes = discover_clinics(folder=str(profiles[0].parent), settings=settings, deployment=f"discover/{deployment}")
        seconds = time.monotonic() - started
    arrivals = [seen.at for seen in services.nominatim.requests[seen_before:]]
    states: dict[str, str] = {}
    spans: list[tuple[datetime, datetime]] = []
    with get_client(sync_client=True) as client:
        for name, outcome in outcomes.items():
            run_id = outcome.get("flow_run")
            if not run_id:
                states[name] = f"not queued: {outcome.get('error')}"
                continue
            run = client.read_flow_run(run_id)
            states[name] = str(run.state_name)
            if run.start_time and run.end_time and run.state_name == "Completed":
                spans.append((run.start_time, run.end_time))
    first_end = min((end for _, end in spans), default=began)
    last_end = max((end for _, end in spans), default=began)
    result = Round(
        label=f"{count} worker{'s' if count > 1 else ''}",
        clinics=len(profiles),
        seconds=seconds,
        completed=sum(1 for s in states.values() if s == "Completed"),
        states=states,
        nominatim_requests=len(arrivals),
        nominatim_max_per_second=max_per_window(arrivals),
        nominatim_min_gap=min_gap(arrivals),
        first_done=(first_end - began).total_seconds(),
        warm=sum(1 for start, _ in spans if start >= first_end),
        warm_seconds=(last_end - first_end).total_seconds(),
        outcomes=outcomes,
    )
    for path in profiles:
        outcome = outcomes[path.name]
        produced = Path(outcome.get("summary", {}).get("files", {}).get("prospects", "")) if outcome.get("summary") else None
        if produced is None or not produced.is_file():
            result.different.append(f"{path.name}: no prospect CSV ({outcome.get('status')}: {outcome.get('error', '')})")
        elif reference is None or read_prospects(produced) == read_prospects(reference[path.name]):
            result.identical.append(path.name)
        else:
            result.different.append(f"{path.name}: {produced} differs from the clinic's run alone")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n", 1)[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clinics", type=int, default=20, help="how many clinics (default 20)")
    parser.add_argument("--workers", default="1,2", help="worker counts to measure, comma-separated (default 1,2)")
    parser.add_argument("--runs-per-worker", type=int, default=1, help="flow runs one worker runs at once (default 1)")
    parser.add_argument("--db-url", default=os.environ.get("PROSPECTING_TEST_PG_URL"), help="PostgreSQL for the store")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, outputs)")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.workers.split(",") if n.strip()]

    work = Path(tempfile.mkdtemp(prefix="prospecting-fleet-"))
    logs = work / "logs"
    logs.mkdir()
    home = work / "prefect-home"
    # This process talks to the fleet's server too (deployment, fan-out, reference runs): set before Prefect loads.
    os.environ.update(prefect_env(home))
    rounds: list[Round] = []
    try:
        with prefect_server(home, env=prefect_env(home), logs=logs) as api_url:
            os.environ["PREFECT_API_URL"] = api_url
            print(f"Prefect server: {api_url} (home {home})")
            env = prefect_env(home, api_url)
            deploy()
            with fake_services() as services:
                setup = subprocess.run(
                    [str(BIN / "prospect"), "setup-limits"],
                    env={**env, "PROSPECTING_RATE_LIMITS": json.dumps(services.rate_limits)},
                    capture_output=True,
                    text=True,
                    check=True,
                )
                print("$ prospect setup-limits")
                print(setup.stdout.rstrip())
                profiles = write_profiles(work / "clinics", args.clinics)
                print(f"{len(profiles)} clinics in {profiles[0].parent}; store: {'PostgreSQL' if args.db_url else 'SQLite'}")

                with store_url(args.db_url, work / "serial") as db:
                    (work / "serial").mkdir(exist_ok=True)
                    seconds, reference = run_serial(profiles, work / "serial", services, db)
                print(
                    f"one at a time, in this process: {len(profiles)} clinics in {seconds:.1f} s "
                    f"({len(profiles) / seconds * 60:.1f} clinics/min)"
                )
                for count in counts:
                    folder = work / f"fleet-{count}"
                    folder.mkdir()
                    with store_url(args.db_url, folder) as db:
                        result = run_fleet(count, args.runs_per_worker, profiles, folder, services, db, env, logs, reference)
                    rounds.append(result)
                    gap = f"{result.nominatim_min_gap:.3f} s" if result.nominatim_min_gap is not None else "n/a"
                    print(
                        f"{result.label} (--limit {args.runs_per_worker} each): {result.completed}/{result.clinics} "
                        f"Completed in {result.seconds:.1f} s = {result.per_minute:.1f} clinics/min; "
                        f"fake Nominatim: {result.nominatim_requests} requests, at most {result.nominatim_max_per_second} "
                        f"in any 1 s window (closest two {gap} apart); results identical to one at a time: "
                        f"{'yes' if len(result.identical) == result.clinics else 'no'} "
                        f"({len(result.identical)}/{result.clinics})"
                    )
                    print(
                        f"  first clinic done after {result.first_done:.1f} s (cold caches: the limits set the pace); "
                        f"then {result.warm} clinics in {result.warm_seconds:.1f} s = {result.warm_per_minute:.1f} clinics/min"
                    )
                    for line in result.different:
                        print(f"  differs: {line}")
                    for name, state in result.states.items():
                        if state != "Completed":
                            print(f"  {name}: {state}")
    finally:
        if args.keep or not all(r.ok for r in rounds) or len(rounds) < len(counts):
            print(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    ok = len(rounds) == len(counts) and all(r.ok for r in rounds)
    print("fleet check: " + ("PASSED" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
