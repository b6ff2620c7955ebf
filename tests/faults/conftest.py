"""Fixtures of the fault suite: healthy stand-ins, a healthy first week, and the next week's run under a fault."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from faults.harness import FIRST_WEEK, NPI_PATH, OVERPASS_PATH, Baseline, Run, Services, run_flow
from faults.server import FaultServer, demo_npi_records
from prospecting.demo.server import npi_handler, overpass_handler


@pytest.fixture(scope="session")
def services() -> Iterator[Services]:
    with FaultServer(overpass_handler()) as overpass, FaultServer(npi_handler(demo_npi_records())) as npi:
        yield Services(overpass, npi)


@pytest.fixture(scope="session")
def baseline(prefect_harness: None, services: Services, tmp_path_factory: pytest.TempPathFactory) -> Baseline:
    """The clinic's first week, everything healthy."""
    folder = tmp_path_factory.mktemp("first-week")
    before = len(services.npi.seen())
    run = run_flow(folder, overpass=[services.overpass_url], npi=services.npi_url, out=folder / "out", day=FIRST_WEEK)
    assert run.exit_code == 0, run.stderr
    prospects = run.prospects()
    assert {p["status"] for p in prospects.values()} == {"new"}
    assert {"osm", "npi"} <= {p["sources"] for p in prospects.values()}  # some prospects only one source saw, of each
    return Baseline(folder / "out", prospects, len(services.npi.seen()) - before)


SecondWeek = Callable[..., Run]


@pytest.fixture
def second_week(services: Services, baseline: Baseline, tmp_path: Path) -> SecondWeek:
    """`second_week(overpass=..., npi=...)`: the next week's run, with a `FaultServer` (or a list of Overpass
    endpoint URLs) in place of a healthy stand-in. A test's second call goes on from its first."""

    def run(*, overpass: FaultServer | list[str] | None = None, npi: FaultServer | None = None) -> Run:
        endpoints = [f"{overpass.url}{OVERPASS_PATH}"] if isinstance(overpass, FaultServer) else overpass
        return run_flow(
            tmp_path,
            overpass=endpoints or [services.overpass_url],
            npi=f"{npi.url}{NPI_PATH}" if npi else services.npi_url,
            out=baseline.copy_to(tmp_path),
        )

    return run
