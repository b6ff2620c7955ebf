"""Whole-flow runs under faults: `prospect discover --clinic PROFILE` through the CLI (under `prefect_harness`).

Every fault run is a clinic's second week: a healthy first week (the `baseline` fixture, run once a
session against local stand-ins for Overpass and the NPI registry) is copied into the test's folder,
then the next week runs with one source played by a `FaultServer`, so the store shows whether the
failure marked anything gone or missed.

Timing is real and short. The profile has no fields for the HTTP client's read timeout or back-off,
so for the length of each run `QuickClient` stands in where `discovery.http_client` builds the flow's
clients: it sets them (`READ_TIMEOUT`, `BACKOFF`) and caps the read timeout Overpass asks for (its
`[timeout:]` + 30 s, 40 s at the least). The fetch task's retry delays (10 s, 60 s) become
`TASK_RETRY_DELAY`, and the run date is set, so the second week is a later day than the first. Flow-run
heartbeats are off (they would add up to a second to every run).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import BASE_PROFILE

from faults.server import FaultServer
from prospecting import discovery
from prospecting.export import md
from prospecting.http import HttpClient, HttpSettings
from prospecting.store import Store

READ_TIMEOUT = 0.5  # seconds the client waits to connect, and for each byte (healthy stand-ins answer in ms)
BACKOFF = 0.1  # the client's back-off base: waits of 0.1, 0.2, 0.4 s before its retries
TASK_RETRY_DELAY = 0.3  # the fetch task's wait before each of its 2 retries
# The client's read timeout starts once it has sent a request, before the server logs the request's arrival
# (its handler thread has to be scheduled first): a gap that includes a timeout may look up to this much shorter.
TIMED_OUT = READ_TIMEOUT - 0.1
OVERPASS_ATTEMPTS = 3  # Overpass asks with retries=2
NPI_ATTEMPTS = 4  # the registry asks with the client's max_retries=3
CONNECTION_ATTEMPTS = 2  # timed out, reset or cut short: one retry at most
TASK_ATTEMPTS = 3  # the fetch task's try and its 2 retries, for transient failures
FIRST_WEEK, SECOND_WEEK = "2026-11-02", "2026-11-09"
SLUG = "test-clinic"
OVERPASS_PATH, NPI_PATH = "/api/interpreter", "/api/"


class QuickClient(HttpClient):
    """The flow's HTTP client with the fault suite's short timeouts and back-off."""

    def __init__(self, settings: HttpSettings, *args: Any, **kwargs: Any) -> None:
        quick = replace(settings, connect_timeout=READ_TIMEOUT, read_timeout=READ_TIMEOUT, backoff_base=BACKOFF)
        super().__init__(quick, *args, **kwargs)

    def request(self, method: str, url: str, *, read_timeout: float | None = None, **kwargs: Any) -> Any:
        return super().request(method, url, read_timeout=min(read_timeout or READ_TIMEOUT, READ_TIMEOUT), **kwargs)


@dataclass
class Run:
    """One `prospect discover` run and what it left behind."""

    exit_code: int
    stdout: str
    stderr: str
    out: Path

    @property
    def folder(self) -> Path:
        return self.out / SLUG

    @property
    def record(self) -> dict[str, Any]:
        return dict(json.loads((self.folder / "run.json").read_text(encoding="utf-8")))

    @property
    def digest(self) -> str:
        return (self.folder / "digest.md").read_text(encoding="utf-8")

    def prospects(self) -> dict[str, dict[str, Any]]:
        """The store's prospects of the clinic, by id."""
        with Store(f"sqlite:///{self.out / 'prospecting.db'}") as store:
            return {r["prospect_id"]: r for r in store.prospect_rows(SLUG)}

    def last_stored_run(self) -> dict[str, Any]:
        with Store(f"sqlite:///{self.out / 'prospecting.db'}") as store:
            return store.runs(SLUG)[-1]


def write_clinic(folder: Path, out: Path, overpass: list[str], npi: str) -> Path:
    """A clinic profile with osm and npi at the given URLs: no website reading, no pacing, its own HTTP cache."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "clinic.toml"
    path.write_text(
        BASE_PROFILE
        + 'sources = ["osm", "npi"]\n'
        + f'output_dir = "{out}"\n'
        + f"[overpass]\nendpoints = {json.dumps(overpass)}\n"
        + f'[npi]\nurl = "{npi}"\n'
        + "[http]\nmin_interval = 0\n"
        + f'[cache]\ndir = "{folder / "cache"}"\n'
        + "[crawl]\nenabled = false\n",
        encoding="utf-8",
    )
    return path


def run_flow(folder: Path, *, overpass: list[str], npi: str, out: Path, day: str = SECOND_WEEK) -> Run:
    """One run of `prospect discover` on `day`, with the quick client and task retries for this run only."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    import flows.discover
    from prospecting.cli import cli

    profile = write_clinic(folder, out, overpass, npi)
    # No flow-run heartbeats: their thread sleeps in whole seconds and is joined when the run ends (up to 1 s a run).
    with pytest.MonkeyPatch.context() as patch, temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        patch.delenv("PROSPECTING_DB_URL", raising=False)  # the store is the run's own SQLite file
        patch.setattr(discovery, "HttpClient", QuickClient)
        patch.setattr(discovery, "run_date", lambda profile: day)
        quick_retries = flows.discover.fetch_task.with_options(retry_delay_seconds=[TASK_RETRY_DELAY, TASK_RETRY_DELAY])
        patch.setattr(flows.discover, "fetch_task", quick_retries)
        result = CliRunner().invoke(cli, ["discover", "--clinic", str(profile)])
    return Run(result.exit_code, result.stdout, result.stderr, out)


@dataclass(frozen=True)
class Services:
    """Healthy stand-ins for Overpass and the registry, shared by the session's runs."""

    overpass: FaultServer
    npi: FaultServer

    @property
    def overpass_url(self) -> str:
        return f"{self.overpass.url}{OVERPASS_PATH}"

    @property
    def npi_url(self) -> str:
        return f"{self.npi.url}{NPI_PATH}"


@dataclass(frozen=True)
class Baseline:
    """A healthy first week: its output folder (the store in it) and what it saw."""

    out: Path
    prospects: dict[str, dict[str, Any]]
    npi_requests: int  # what one healthy registry fetch asks

    def only_from(self, source: str) -> set[str]:
        """Prospects only `source` saw in the first week: a failure of `source` must not make them missed."""
        return {pid for pid, r in self.prospects.items() if r["sources"] == source}

    def copy_to(self, folder: Path) -> Path:
        """The first week's output in `folder` (once: a test's later runs go on from its own)."""
        out = folder / "out"
        if not out.exists():
            shutil.copytree(self.out, out)
        return out


# --- what the server must have seen, and what the run must say -------------------------------------


def backoff(attempts: int) -> list[float]:
    """The client's waits between `attempts` tries: BACKOFF, 2 x BACKOFF, 4 x BACKOFF..."""
    return [BACKOFF * 2**i for i in range(attempts - 1)]


def task_retries(within: list[float], between: float) -> list[float]:
    """The least gaps over the fetch task's attempts: `within` each, `between` one attempt's last request and the next's first."""
    gaps: list[float] = []
    for n in range(TASK_ATTEMPTS):
        gaps += ([between] if n else []) + within
    return gaps


def assert_waited(server: FaultServer, path: str, least: list[float], after: int = 0) -> None:
    """After its first `after` requests to `path`, the server saw exactly len(least) + 1 more, each at least
    `least[i]` seconds after the one before."""
    gaps = server.gaps(path)[after:]
    assert len(gaps) == len(least), f"{len(gaps) + 1} requests, expected {len(least) + 1} (gaps {gaps})"
    short = [(i, gap, want) for i, (gap, want) in enumerate(zip(gaps, least, strict=True)) if gap < want]
    assert not short, f"retries came early (index, gap, least): {short}; gaps {gaps}"


def assert_partial(run: Run, failed: str, error: str, baseline: Baseline) -> None:
    """Exit 4; run.json, the store's run record, the digest and stderr name the failed source and its error;
    nothing is gone, and the failed source's prospects are not counted missed."""
    assert run.exit_code == 4, run.stderr
    record = run.record
    assert record["status"] == "partial" and record["partial"] is True
    assert record["sources"][failed]["status"] == "failed" and error in record["sources"][failed]["error"]
    other = ({"osm", "npi"} - {failed}).pop()
    assert record["sources"][other]["status"] == "ok" and record["counts"]["gone"] == 0
    stored = run.last_stored_run()
    assert stored["status"] == "partial" and stored["sources"][failed]["status"] == "failed"
    assert error in stored["sources"][failed]["error"]
    line = next(x for x in run.digest.splitlines() if x.startswith(f"- {failed}: "))
    assert line.startswith(f"- {failed}: failed: ") and md(error) in line
    assert f"source {failed} failed: " in run.stderr and "partial" in run.stderr
    assert (run.folder / "gone.csv").read_text(encoding="utf-8").count("\n") == 1  # the header only
    prospects = run.prospects()
    assert not [p for p in prospects.values() if p["status"] == "gone"]
    only_failed = baseline.only_from(failed)
    unseen = [(p["status"], p["missed_runs"], p["last_seen"]) for pid, p in prospects.items() if pid in only_failed]
    assert unseen and set(unseen) == {("new", 0, FIRST_WEEK)}  # as the first week left them: not missed, not gone
    assert {p["missed_runs"] for pid, p in prospects.items() if pid in baseline.only_from(other)} == {0}


def assert_complete(run: Run, baseline: Baseline) -> None:
    """Exit 0, every source ok, every prospect of the first week seen again."""
    assert run.exit_code == 0, run.stderr
    record = run.record
    assert record["status"] == "complete" and {s["status"] for s in record["sources"].values()} == {"ok"}
    prospects = run.prospects()
    assert set(baseline.prospects) <= set(prospects)
    assert {(prospects[pid]["status"], prospects[pid]["last_seen"]) for pid in baseline.prospects} == {("active", SECOND_WEEK)}
