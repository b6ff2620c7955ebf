"""A run killed with SIGKILL part-way, then run again: no duplicate prospects, no half-written
file, the database consistent."""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from prospecting.store import Store

pytestmark = pytest.mark.usefixtures("prefect_harness")


def sightings(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return int(conn.execute("SELECT count(*) FROM prospects").fetchone()[0])
    except sqlite3.OperationalError:  # tables not created yet
        return 0


def demo(output: Path) -> subprocess.Popen[bytes]:
    from prefect.settings import PREFECT_API_URL

    env = os.environ | {"PREFECT_API_URL": str(PREFECT_API_URL.value())}  # the test server: no start-up per run
    return subprocess.Popen(
        [sys.executable, "-m", "prospecting.cli", "demo", "--output", str(output)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_a_run_killed_part_way_then_run_again(tmp_path: Path) -> None:
    output = tmp_path / "output"
    db = output / "prospecting.db"
    first = demo(output)
    # Kill it once it has written prospects to the store, before (or while) it writes its files.
    while first.poll() is None and sightings(db) == 0:
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert sightings(db) > 0, "the run finished or failed before the store had anything: nothing was tested"

    again = demo(output)
    _, err = again.communicate(timeout=300)
    assert again.returncode == 0, err.decode()

    with Store(f"sqlite:///{db}") as store:
        assert store.integrity_problems() == []
        slug = "harbor-movement-physical-therapy"
        runs = store.runs(slug)
        assert [r["status"] for r in runs] == ["interrupted", "complete"]  # the killed run's lock was taken over
        stored = store.prospect_rows(slug)
    assert len({r["prospect_id"] for r in stored}) == len(stored)
    folder = output / slug
    assert not list(folder.glob(".*.tmp"))
    with (folder / "prospects-latest.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    ids = [r["prospect_id"] for r in rows]
    assert rows and len(ids) == len(set(ids))
    # nothing the killed run saw is lost as news: the re-run still lists every prospect as new
    assert {r["status"] for r in rows} == {"new"}
    with (folder / "new-this-week.csv").open(encoding="utf-8", newline="") as f:
        assert len(list(csv.DictReader(f))) == len(rows)
