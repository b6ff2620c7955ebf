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
