"""Shared request rates (flows/limits.py): the host table, `setup_limits`, and the limiter across processes.

The full 20-clinic check (a Prefect server, 1 and 2 workers, results compared with the clinics run
one at a time) is `benchmarks/fleet.py`; here a 4-clinic fleet of two workers checks the window.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import pytest
from conftest import ROOT
from prefect import get_client
from prefect.exceptions import ObjectNotFound
from prefect.settings import get_current_settings

from flows.limits import (
    HOSTS,
    LIMITS,
    WEBSITE_INTERVAL,
    SharedLimiter,
    host_overrides,
    limit_for,
    setup_limits,
    shared_limits,
    website_limit,
)
from prospecting import http
from prospecting.demo.server import FixtureServer, Reply
from prospecting.errors import ConfigError

sys.path.insert(0, str(ROOT / "benchmarks"))
fleet = importlib.import_module("fleet")


def test_public_hosts_map_to_their_limits_and_other_hosts_are_websites() -> None:
    assert limit_for("nominatim.openstreetmap.org") is LIMITS["nominatim"]
    assert limit_for("Nominatim.OpenStreetMap.org:443") is LIMITS["nominatim"]  # port and case do not matter
    assert limit_for("overpass-api.de") is LIMITS["overpass:overpass-api.de"]
    assert limit_for("maps.mail.ru") is LIMITS["overpass:maps.mail.ru"]
    assert limit_for("npiregistry.cms.hhs.gov") is LIMITS["npi"]
    assert limit_for("mapper.dpcfrontier.com") is LIMITS["dpc-frontier"]
    assert limit_for("www.yogaonfolly.example") == website_limit("www.yogaonfolly.example")
    assert limit_for("127.0.0.1:8001") == website_limit("127.0.0.1:8001")  # each local service apart
    assert set(HOSTS.values()) == set(LIMITS)

    # the rates: Nominatim 1/s (with its margin), Overpass 1 per 5 s, NPI 2/s, DPC Frontier 1 per 3 s, sites 1 per 2 s
    decay = {name: limit.slot_decay_per_second for name, limit in LIMITS.items()}
    assert decay["nominatim"] < 1.0 and LIMITS["nominatim"].interval == 1.1
    assert decay["overpass:overpass-api.de"] == 0.2 and decay["npi"] == 2.0 and decay["dpc-frontier"] == pytest.approx(1 / 3)
    assert website_limit("a.example").slot_decay_per_second == 1 / WEBSITE_INTERVAL == 0.5


def test_overrides_map_host_and_port_to_a_limit_or_to_none() -> None:
    overrides = host_overrides(
        {"PROSPECTING_RATE_LIMITS": '{"127.0.0.1:8001": "nominatim", "nominatim.internal": null, "LOCALHOST": "npi"}'}
    )
    assert overrides == {"127.0.0.1:8001": "nominatim", "nominatim.internal": None, "localhost": "npi"}
    assert limit_for("127.0.0.1:8001", overrides) is LIMITS["nominatim"]
    assert limit_for("127.0.0.1:8002", overrides) == website_limit("127.0.0.1:8002")
    assert limit_for("nominatim.internal:8080", overrides) is None  # the bare host's override holds for any port
    assert limit_for("localhost:9000", overrides) is LIMITS["npi"]
    assert host_overrides({}) == {}

    with pytest.raises(ConfigError, match=r"PROSPECTING_RATE_LIMITS: not JSON .*expected a JSON object"):
        host_overrides({"PROSPECTING_RATE_LIMITS": "{127.0.0.1: nominatim}"})
    with pytest.raises(ConfigError, match=r"PROSPECTING_RATE_LIMITS: not a JSON object"):
        host_overrides({"PROSPECTING_RATE_LIMITS": '["nominatim"]'})
    with pytest.raises(ConfigError, match=r"PROSPECTING_RATE_LIMITS: 127.0.0.1:8001: unknown limit 'nominatm'"):
        host_overrides({"PROSPECTING_RATE_LIMITS": '{"127.0.0.1:8001": "nominatm"}'})


def test_shared_limits_are_off_unless_the_worker_turns_them_on() -> None:
    before = http._shared_limiter
    with shared_limits({}) as limiter:
        assert limiter is None and http._shared_limiter is before
    env = {"PROSPECTING_SHARED_LIMITS": "1", "PROSPECTING_RATE_LIMITS": '{"127.0.0.1:8001": "nominatim"}'}
    with shared_limits(env) as limiter:
        assert isinstance(limiter, SharedLimiter) and http._shared_limiter is limiter
        assert limiter.overrides == {"127.0.0.1:8001": "nominatim"}
    assert http._shared_limiter is before
    with pytest.raises(ConfigError, match="PROSPECTING_RATE_LIMITS"), shared_limits({**env, "PROSPECTING_RATE_LIMITS": "x"}):
        pass
    assert http._shared_limiter is before


@pytest.mark.usefixtures("prefect_harness")
def test_setup_limits_creates_every_limit_with_its_decay_and_is_idempotent() -> None:
    with get_client(sync_client=True) as client:
        for name in [*LIMITS, "website:old.example"]:
            with suppress(ObjectNotFound):
                client.delete_global_concurrency_limit_by_name(name)
        first = setup_limits(client)
        assert {limit.name: action for limit, action in first} == dict.fromkeys(LIMITS, "created")
        for name, limit in LIMITS.items():
            on_server = client.read_global_concurrency_limit_by_name(name)
            assert on_server.limit == 1 and on_server.active
            assert on_server.slot_decay_per_second == pytest.approx(limit.slot_decay_per_second)

        # again: nothing changes, nothing is duplicated
        ids = {name: client.read_global_concurrency_limit_by_name(name).id for name in LIMITS}
        assert {action for _, action in setup_limits(client)} == {"unchanged"}
        assert {name: client.read_global_concurrency_limit_by_name(name).id for name in LIMITS} == ids

        # a limit changed by hand, and a website limit made at another pace, are brought back
        from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, GlobalConcurrencyLimitUpdate

        client.update_global_concurrency_limit("nominatim", GlobalConcurrencyLimitUpdate(limit=5, slot_decay_per_second=5.0))
        client.create_global_concurrency_limit(
            GlobalConcurrencyLimitCreate(name="website:old.example", limit=1, slot_decay_per_second=1.0)
        )
        actions = {limit.name: action for limit, action in setup_limits(client)}
        assert actions["nominatim"] == "updated" and actions["website:old.example"] == "updated"
        assert {a for n, a in actions.items() if n not in ("nominatim", "website:old.example")} == {"unchanged"}
        nominatim = client.read_global_concurrency_limit_by_name("nominatim")
        assert (nominatim.limit, nominatim.slot_decay_per_second) == (1, pytest.approx(1 / 1.1))
        assert client.read_global_concurrency_limit_by_name("website:old.example").slot_decay_per_second == 0.5
        client.delete_global_concurrency_limit_by_name("website:old.example")


@pytest.mark.usefixtures("prefect_harness")
def test_a_missing_limit_is_a_set_up_error_not_a_free_pass() -> None:
    with get_client(sync_client=True) as client:
        setup_limits(client)
        client.delete_global_concurrency_limit_by_name("dpc-frontier")
    try:
        with pytest.raises(ConfigError, match=r"'dpc-frontier' is not on the Prefect server \(run `prospect setup-limits`"):
            SharedLimiter()("mapper.dpcfrontier.com")
    finally:
        with get_client(sync_client=True) as client:
            setup_limits(client)


_CLIENT = """
import sys
from pathlib import Path
from flows.limits import shared_limits
from prospecting.http import HttpClient, HttpSettings

nominatim, site, cache, tag = sys.argv[1:5]
with shared_limits(), HttpClient(HttpSettings(user_agent="t", cache_path=Path(cache), default_min_interval=0)) as c:
    for n in range(3):
        c.get(f"{nominatim}/search?q={tag}-{n}")
    c.get(f"{site}/{tag}")
"""


@pytest.fixture
def ok_servers() -> Iterator[tuple[FixtureServer, FixtureServer]]:
    with FixtureServer(lambda seen: Reply(body="[]")) as nominatim, FixtureServer(lambda seen: Reply(body="{}")) as site:
        yield nominatim, site


def _clients(tmp_path: Path, servers: tuple[FixtureServer, FixtureServer], extra: dict[str, str]) -> None:
    """Two processes at once, each asking the fake Nominatim 3 times (no pace of their own) and one site."""
    nominatim, site = servers
    tmp_path.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROSPECTING_")}
    env.update({"PREFECT_API_URL": str(get_current_settings().api.url), **extra})
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _CLIENT, nominatim.url, site.url, str(tmp_path / f"cache-{tag}.sqlite"), tag],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for tag in ("a", "b")
    ]
    for process in processes:
        output, _ = process.communicate(timeout=120)
        assert process.returncode == 0, output


@pytest.mark.usefixtures("prefect_harness")
def test_two_processes_share_one_request_per_second_to_nominatim(
    tmp_path: Path, ok_servers: tuple[FixtureServer, FixtureServer]
) -> None:
    nominatim, site = ok_servers
    with get_client(sync_client=True) as client:
        setup_limits(client)
        site_limit = f"website:{site.url.split('://', 1)[1]}"
        with suppress(ObjectNotFound):
            client.delete_global_concurrency_limit_by_name(site_limit)

    # without shared limits each process keeps only its own pace (none here): requests bunch up
    _clients(tmp_path / "alone", ok_servers, {})
    alone = [seen.at for seen in nominatim.requests]
    assert len(alone) == 6 and fleet.max_per_window(alone) >= 3

    # with them, the two processes are one client: at most one request in any second, 1.1 s apart
    nominatim.requests.clear()
    mapping = json.dumps({nominatim.url.split("://", 1)[1]: "nominatim"})
    started = time.monotonic()
    _clients(tmp_path / "shared", ok_servers, {"PROSPECTING_SHARED_LIMITS": "1", "PROSPECTING_RATE_LIMITS": mapping})
    shared = [seen.at for seen in nominatim.requests]
    assert len(shared) == 6 and fleet.max_per_window(shared) == 1
    gap = fleet.min_gap(shared)
    assert gap is not None and gap >= 1.0
    assert time.monotonic() - started >= 5 * 1.0

    # the site's own limit was made on first use (by whichever process came first), at 1 request per 2 s
    with get_client(sync_client=True) as client:
        made = client.read_global_concurrency_limit_by_name(site_limit)
    assert (made.limit, made.slot_decay_per_second) == (1, 0.5)
    assert len(site.requests) == 4


def _drop_report(folder: str) -> None:
    """The fan-out's `clinics-report` artifact, removed: other tests read the session's latest one."""
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        reports = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["clinics-report"])))
        for report in reports:
            if report.description and folder in report.description:
                client.delete_artifact(report.id)


@pytest.mark.usefixtures("prefect_harness")
def test_a_fleet_of_two_workers_runs_every_clinic_and_holds_nominatim(tmp_path: Path) -> None:
    """4 clinics (and a broken profile) queued by the fan-out on a process pool, two workers taking two runs each at once."""
    with get_client(sync_client=True) as client:
        setup_limits(client)
    pool = "test-fleet"
    fleet.deploy(pool=pool, name=pool)
    profiles = fleet.write_profiles(tmp_path / "clinics", 4)
    (tmp_path / "clinics" / "clinic-99-broken.toml").write_text('name = "Broken\n', encoding="utf-8")
    logs = tmp_path / "logs"
    logs.mkdir()
    with fleet.fake_services() as services:
        # only Nominatim is held here (the fleet script holds every service); no websites: a short test
        services.rate_limits = {host: name if name == "nominatim" else None for host, name in services.rate_limits.items()}
        services.settings["crawl.enabled"] = False
        env = fleet.prefect_env(tmp_path / "home", str(get_current_settings().api.url))
        # the fan-out, here, reads each clinic's summary where the workers keep results
        env["PREFECT_LOCAL_STORAGE_PATH"] = str(get_current_settings().results.local_storage_path)
        try:
            result = fleet.run_fleet(
                2, 2, profiles, tmp_path / "fleet", services, f"sqlite:///{tmp_path / 'store.db'}", env, logs, None, pool, pool
            )
        finally:
            _drop_report(str(tmp_path / "clinics"))
    assert result.states == {**dict.fromkeys((p.name for p in profiles), "Completed"), "clinic-99-broken.toml": "Failed"}
    # the broken clinic is reported as such, and stopped no other
    broken = result.outcomes["clinic-99-broken.toml"]
    assert broken["status"] == "failed" and "clinic-99-broken.toml" in broken["error"] and "TOML" in broken["error"]
    assert {result.outcomes[p.name]["status"] for p in profiles} == {"complete"}
    assert result.nominatim_requests == 4 and result.nominatim_max_per_second == 1
    assert result.nominatim_min_gap is not None and result.nominatim_min_gap >= 1.0
    assert sorted(result.identical) == [p.name for p in profiles], result.different  # each wrote its prospect CSV


@pytest.mark.usefixtures("prefect_harness")
def test_setup_limits_command_prints_each_limit_and_its_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from prospecting.cli import cli

    monkeypatch.setenv("PROSPECTING_RATE_LIMITS", '{"127.0.0.1:8001": "nominatim"}')
    result = CliRunner().invoke(cli, ["setup-limits"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(
        line.startswith(
            "nominatim (nominatim.openstreetmap.org, 127.0.0.1:8001): 1 request per 1.1 s (slot_decay_per_second 0.909091)"
        )
        for line in lines
    ), result.output
    assert any(line.startswith("npi (npiregistry.cms.hhs.gov): 1 request per 0.5 s (slot_decay_per_second 2)") for line in lines)
    assert all(line.endswith(("created", "updated", "unchanged")) for line in lines[:-1])
    assert len(lines) >= len(LIMITS) + 1 and "websites get `website:<host>` limits on first use" in lines[-1]

    monkeypatch.setenv("PROSPECTING_RATE_LIMITS", '{"127.0.0.1:8001": "nominatm"}')
    result = CliRunner().invoke(cli, ["setup-limits"])
    assert result.exit_code == 2 and "PROSPECTING_RATE_LIMITS: 127.0.0.1:8001: unknown limit 'nominatm'" in result.output
