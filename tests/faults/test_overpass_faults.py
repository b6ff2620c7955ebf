"""Whole-flow runs with Overpass playing its failure modes (the registry healthy).

For each fault: the exit status, the requests the server saw and the least gap before each
(the client's back-off, Retry-After, the read timeout, the fetch task's retry delay), and,
when the source stays down, what run.json, the store, the digest and stderr say.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import requests_cache

from faults.conftest import SecondWeek
from faults.harness import (
    BACKOFF,
    CONNECTION_ATTEMPTS,
    OVERPASS_ATTEMPTS,
    OVERPASS_PATH,
    READ_TIMEOUT,
    TASK_RETRY_DELAY,
    TIMED_OUT,
    Baseline,
    Services,
    assert_complete,
    assert_partial,
    assert_waited,
    backoff,
    task_retries,
)
from faults.server import (
    HEALTHY,
    Drip,
    FaultServer,
    HalfBody,
    Play,
    Reset,
    Stall,
    Truncated,
    error_page,
    overpass_remark,
    too_many_requests,
)
from prospecting.demo.server import Reply, overpass_handler

R, B, T = TIMED_OUT, BACKOFF, TASK_RETRY_DELAY
STALL = 10 * READ_TIMEOUT  # the server answers long after the client stopped waiting
ONE_ATTEMPT_EACH = task_retries(backoff(CONNECTION_ATTEMPTS), T)  # cut short or reset, each task attempt retried once


@dataclass(frozen=True)
class Fault:
    plays: tuple[Play, ...]  # what the server answers, request after request (the last one repeats)
    waits: list[float]  # the least gap before each request after the first: len(waits) + 1 requests
    error: str = ""  # what the run says about osm when it stays down; "" for a transient fault (exit 0)


FAULTS = {
    # transient: the client's retries get through, the run is complete
    "5xx-burst": Fault((Reply(503, "busy"), Reply(503, "busy"), HEALTHY), backoff(3)),
    "429-then-ok": Fault((too_many_requests(1), HEALTHY), [1.0]),
    # stays down: partial. Transient kinds are retried by the client, then by the fetch task.
    "5xx-html-page": Fault((error_page(502),), task_retries(backoff(OVERPASS_ATTEMPTS), T), "HTTP 502 after 3 attempts"),
    # rate limited: the task retries only when its retry delay is as long as Retry-After (here it is not)
    "429-throughout": Fault((too_many_requests(1),), [1.0, 1.0], "HTTP 429 after 3 attempts"),
    "429-past-max-wait": Fault((too_many_requests(3600),), [], "HTTP 429, retry after 3600 s"),  # not waited in-run
    "timeout": Fault((Stall(STALL),), task_retries([R + B], R + T), "timed out after 2 attempts"),
    "slow-drip": Fault((Drip(every=2 * READ_TIMEOUT),), task_retries([R + B], R + T), "timed out after 2 attempts"),
    "truncated-json": Fault((Truncated(),), ONE_ATTEMPT_EACH, "answer cut short after 2 attempts"),
    "connection-reset": Fault((Reset(),), ONE_ATTEMPT_EACH, "Connection reset by peer"),
    # stays down, not worth retrying: one request
    "half-a-json-body": Fault((HalfBody(),), [], "answer is not JSON (application/json)"),
    "html-page-with-200": Fault((error_page(200),), [], "answer is not JSON (text/html): <html> <head><title>200 Service"),
}


@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
def test_overpass_fault(fault: Fault, second_week: SecondWeek, baseline: Baseline) -> None:
    with FaultServer(overpass_handler()) as server:
        server.cue(OVERPASS_PATH, *fault.plays)
        run = second_week(overpass=server)
    assert_waited(server, OVERPASS_PATH, fault.waits)
    if fault.error:
        assert_partial(run, "osm", fault.error, baseline)
        assert run.record["sources"]["osm"]["error"].startswith("every Overpass endpoint failed: POST http://127.0.0.1:")
    else:
        assert_complete(run, baseline)


def test_a_partial_answer_is_a_failure_and_is_not_kept(second_week: SecondWeek, baseline: Baseline, tmp_path: Path) -> None:
    """An answer with a remark: not retried, none of its elements listed, and not cached, so the next run asks again."""
    with FaultServer(overpass_handler()) as server:
        server.cue(OVERPASS_PATH, overpass_remark(elements=50))
        run = second_week(overpass=server)
    assert_waited(server, OVERPASS_PATH, [])
    assert_partial(run, "osm", "remark, so the answer is partial: runtime error: Query timed out", baseline)
    assert run.record["counts"]["listings"] == run.record["sources"]["npi"]["listings"]
    with requests_cache.CachedSession(str(tmp_path / "cache" / "http.sqlite"), backend="sqlite") as session:
        cached = [r.url for r in session.cache.responses.values()]
    assert cached and not [url for url in cached if url.startswith(server.url)]  # the registry's answers only


def test_a_broken_endpoint_falls_through_to_the_next(second_week: SecondWeek, services: Services, baseline: Baseline) -> None:
    """An answer cut short on the first endpoint is a failure of that endpoint; the second one answers."""
    with FaultServer(overpass_handler()) as broken:
        broken.cue(OVERPASS_PATH, Truncated())
        before = len(services.overpass.seen(OVERPASS_PATH))
        run = second_week(overpass=[f"{broken.url}{OVERPASS_PATH}", services.overpass_url])
    assert_waited(broken, OVERPASS_PATH, backoff(CONNECTION_ATTEMPTS))
    assert len(services.overpass.seen(OVERPASS_PATH)) == before + 1
    assert_complete(run, baseline)
