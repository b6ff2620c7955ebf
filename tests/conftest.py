"""Shared fixtures. Prefect is pointed at a temporary home before anything imports it."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

_PREFECT_HOME = tempfile.mkdtemp(prefix="prospecting-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["PREFECT_LOGGING_LEVEL"] = "WARNING"

import pytest  # noqa: E402

from prospecting.demo.server import FixtureServer, Handler, Reply, Seen, demo_handler  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def _in_a_scratch_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Relative paths (the default `output/`) land in a temporary folder, never in the repository."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL for the store, once per backend: a fresh SQLite file, or a fresh PostgreSQL schema.

    PostgreSQL is the server named by PROSPECTING_TEST_PG_URL (`.ci/run` starts one and sets it); each
    test gets its own schema, made the connections' search_path, and dropped afterwards. Without the
    variable the PostgreSQL case is skipped, or fails when CI_REQUIRE_POSTGRES=1.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'prospecting.db'}"
        return
    base = os.environ.get("PROSPECTING_TEST_PG_URL")
    if not base:
        if os.environ.get("CI_REQUIRE_POSTGRES") == "1":
            pytest.fail("PROSPECTING_TEST_PG_URL not set but CI_REQUIRE_POSTGRES=1: the PostgreSQL store tests are required")
        pytest.skip("PROSPECTING_TEST_PG_URL not set (.ci/run sets it)")
    from prospecting.store import temporary_schema

    with temporary_schema(base, "t") as url:
        yield url


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
    shutil.rmtree(_PREFECT_HOME, ignore_errors=True)


@pytest.fixture
def demo_server() -> Iterator[FixtureServer]:
    with FixtureServer(demo_handler()) as server:
        yield server


class Script:
    """A handler that plays replies in order for each path, repeating the last one."""

    def __init__(self, plays: dict[str, list[Reply]], fallback: Handler | None = None) -> None:
        self.plays = plays
        self.fallback = fallback

    def __call__(self, seen: Seen) -> Reply:
        queue = self.plays.get(seen.path)
        if not queue:
            if self.fallback:
                return self.fallback(seen)
            return Reply(404, "not found", content_type="text/plain")
        return queue.pop(0) if len(queue) > 1 else queue[0]


@pytest.fixture
def scripted() -> Iterator[Callable[..., FixtureServer]]:
    servers: list[FixtureServer] = []

    def start(plays: dict[str, list[Reply]], fallback: Handler | None = None) -> FixtureServer:
        server = FixtureServer(Script(plays, fallback)).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__(None, None, None)


class FakeClock:
    """A clock that only moves when slept on: pacing and back-off are checked without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def write_profile(folder: Path, text: str, name: str = "clinic.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


BASE_PROFILE = """
name = "Test Clinic"
latitude = 32.7790
longitude = -79.9370
radius = "5mi"
niche = "running"
contact_email = "test@clinic.example"
"""
