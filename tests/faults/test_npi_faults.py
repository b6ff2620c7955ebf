"""Whole-flow runs with the NPI registry playing its failure modes (Overpass healthy).

The registry is asked once per ZIP code and taxonomy (45 requests here), so a fault can come
on the first request or half-way through; either way the source fails as a whole.
"""

from __future__ import annotations

import json

from faults.conftest import SecondWeek
from faults.harness import (
    FIRST_WEEK,
    NPI_ATTEMPTS,
    NPI_PATH,
    TASK_RETRY_DELAY,
    Baseline,
    assert_complete,
    assert_partial,
    assert_waited,
    backoff,
    task_retries,
)
from faults.server import HEALTHY, FaultServer, demo_npi_records, error_page
from prospecting.demo.server import Reply, npi_handler

BUSY = Reply(503, "<html><body><h1>503 Service Unavailable</h1></body></html>", content_type="text/html")


def registry() -> FaultServer:
    return FaultServer(npi_handler(demo_npi_records()))


def test_a_5xx_burst_is_retried_with_back_off(second_week: SecondWeek, baseline: Baseline) -> None:
    with registry() as server:
        server.cue(NPI_PATH, BUSY, BUSY, BUSY, HEALTHY)  # max_retries (3) failures, then the answer
        run = second_week(npi=server)
    assert_complete(run, baseline)
    assert len(server.seen(NPI_PATH)) == 3 + baseline.npi_requests
    assert all(gap >= least for gap, least in zip(server.gaps(NPI_PATH), backoff(NPI_ATTEMPTS), strict=False))


def test_a_registry_that_fails_half_way(second_week: SecondWeek, baseline: Baseline) -> None:
    """Five pages answer, then 503s for good: max_retries + 1 attempts with back-off, three times over (the
    fetch task's retries, which take the five pages from the cache). No listing of the registry is used."""
    with registry() as server:
        server.cue(NPI_PATH, *[HEALTHY] * 5, BUSY)
        run = second_week(npi=server)
    assert_waited(server, NPI_PATH, task_retries(backoff(NPI_ATTEMPTS), TASK_RETRY_DELAY), after=5)
    assert_partial(run, "npi", "HTTP 503 after 4 attempts", baseline)
    assert run.record["counts"]["listings"] == run.record["sources"]["osm"]["listings"]
    asked = [(s.query["postal_code"][0], s.query["taxonomy_description"][0]) for s in server.seen(NPI_PATH)]
    assert len(set(asked)) == 6 and set(asked[5:]) == {asked[5]}


def test_an_html_page_in_place_of_json(second_week: SecondWeek, baseline: Baseline) -> None:
    with registry() as server:
        server.cue(NPI_PATH, error_page(200))
        run = second_week(npi=server)
    assert_waited(server, NPI_PATH, [])  # an answer, not a failure to answer: not retried
    assert_partial(run, "npi", "answer is not JSON (text/html)", baseline)


def test_an_empty_answer_is_not_a_failure(second_week: SecondWeek, baseline: Baseline) -> None:
    """The check the faults pass has teeth: when the registry answers (with nothing), its prospects are missed."""
    with registry() as server:
        server.cue(NPI_PATH, Reply(body=json.dumps({"result_count": 0, "results": []})))
        run = second_week(npi=server)
    assert run.exit_code == 0 and run.record["status"] == "complete"
    prospects = run.prospects()
    missed = {(prospects[pid]["missed_runs"], prospects[pid]["last_seen"]) for pid in baseline.only_from("npi")}
    assert missed == {(1, FIRST_WEEK)}
