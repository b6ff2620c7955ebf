"""The discover flow end to end on fixtures, under a temporary Prefect server."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import BASE_PROFILE, FIXTURES, write_profile
from contract import prospect_csv_problems, read

from prospecting.cli import cli
from prospecting.demo import demo_services
from prospecting.demo.server import FixtureServer, Reply
from prospecting.geo import haversine_km
from prospecting.models import Point

pytestmark = pytest.mark.usefixtures("prefect_harness")
CENTRE = Point(32.779, -79.937)


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_demo_end_to_end(tmp_path: Path) -> None:
    code, stdout, stderr = invoke("demo", "--output", str(tmp_path))
    assert code == 0, stderr
    csv_path = tmp_path / "harbor-movement-physical-therapy" / "prospects-latest.csv"
    assert f"Ranked prospects: {csv_path}" in stdout
    assert prospect_csv_problems(csv_path) == []
    _, rows = read(csv_path)
    assert len(rows) >= 80
    assert {r["category"] for r in rows} == {"fitness", "direct_primary_care", "functional_medicine"}
    names = [r["name"] for r in rows]
    assert not any("Physical Therapy" in n or "DPT" in n for n in names)  # competitors are set apart
    assert "Lowcountry Direct Primary Care" in names
    assert names.count("Hampton Park Yoga") == 1  # mapped as node and way, merged
    hampton = next(r for r in rows if r["name"] == "Hampton Park Yoga")
    assert hampton["sources"].count("osm:") == 2
    for row in rows:
        expected = haversine_km(CENTRE, Point(float(row["latitude"]), float(row["longitude"])))
        assert float(row["distance_km"]) == pytest.approx(expected, rel=0.01, abs=0.001)
        assert float(row["distance_mi"]) == pytest.approx(expected / 1.609344, rel=0.01, abs=0.001)
    assert rows[0]["subcategory"] in {"running_store", "running_club"}  # the example clinic's niche is running
    _, excluded = read(tmp_path / "harbor-movement-physical-therapy" / "excluded-latest.csv")
    assert {r["category"] for r in excluded} == {"competitor", "other"}
    assert sum(r["category"] == "competitor" for r in excluded) >= 8
    summary = json.loads((tmp_path / "harbor-movement-physical-therapy" / "run.json").read_text())
    assert summary["status"] == "complete" and set(summary["sources"]) == {"osm", "npi", "overture"}
    assert summary["sources"]["osm"]["dropped"] == {"fitness_station": 10, "unnamed": 7, "outside_radius": 2}
    assert summary["sources"]["overture"]["dropped"]["permanently_closed"] == 3
    assert len(summary["attribution"]) == 3 and any("OpenStreetMap" in a for a in summary["attribution"])
    # the outreach kit, the digest and the map
    folder = tmp_path / "harbor-movement-physical-therapy"
    assert all(r["next_step"] and "Harbor Movement Physical Therapy" in r["conversation_starter"] for r in rows)
    assert (folder / "digest.md").read_text().startswith("# Prospects for Harbor Movement Physical Therapy")
    page = (folder / "map.html").read_text()
    assert "tile.openstreetmap.org" in page and "Lowcountry Direct Primary Care" in page

    # one list, and the sources column says which sources saw each prospect
    by_name = {r["name"]: r for r in rows}
    dpc = by_name["Lowcountry Direct Primary Care"]
    assert {s.split(":")[0] for s in dpc["sources"].split(";")} == {"osm", "npi", "overture"}
    assert dpc["location_precision"] == "exact" and dpc["people"]  # the registry's clinicians, on the map's position
    assert by_name["Palmetto Membership Medicine PLLC"]["location_precision"] == "approximate"  # registry only
    assert sum(r["sources"].startswith("npi:") and r["subcategory"] == "naturopathic" for r in rows) >= 2
    assert any(r["sources"].startswith("overture:") and ";" not in r["sources"] for r in rows)  # Overture-only places
    candidates = [r for r in excluded if r["subcategory"] == "primary_care" and "npi:" in r["sources"]]
    assert candidates  # registry family practices: DPC candidates to verify, set apart

    # websites served locally: contacts and evidence from them
    assert by_name["Holy City DPC"]["email"] == "office@holycitydpc.example"
    assert by_name["King Street Yoga House"]["instagram"].startswith("https://www.instagram.com/")
    assert 'website /pricing: "' in by_name["Holy City DPC"]["evidence"]
    assert summary["websites"]["listed"] > 100 and summary["websites"]["unreadable"] < summary["websites"]["listed"]
    fee_for_service = next(r for r in excluded if r["name"] == "Ashley River Family Medicine")
    assert fee_for_service["subcategory"] == "primary_care" and "accept" in fee_for_service["evidence"]

    # a second run: every prospect keeps its id, and is no longer new
    assert {r["status"] for r in rows} == {"new"} and all(r["first_seen"] == summary["date"] for r in rows)
    assert invoke("demo", "--output", str(tmp_path))[0] == 0
    _, again = read(csv_path)
    assert {r["prospect_id"]: r["name"] for r in again} == {r["prospect_id"]: r["name"] for r in rows}
    assert {r["status"] for r in again} == {"active"}


@pytest.fixture
def demo_profile(tmp_path: Path, demo_server: FixtureServer) -> Path:
    return write_profile(
        tmp_path,
        BASE_PROFILE
        + f'output_dir = "{tmp_path / "out"}"\n[overpass]\nendpoints = ["{demo_server.url}/api/interpreter"]\n'
        + f'[nominatim]\nurl = "{demo_server.url}"\n[cache]\ndir = "{tmp_path / "cache"}"\n',
    )


def test_near_run_lands_in_its_own_folder_and_reruns_from_cache(demo_profile: Path, demo_server: FixtureServer) -> None:
    code, _stdout, stderr = invoke("discover", "--clinic", str(demo_profile), "--near", "32.7800,-79.9400", "--radius", "3km")
    assert code == 0, stderr
    folder = demo_profile.parent / "out" / "test-clinic" / "near-32-7800-79-9400"
    assert prospect_csv_problems(folder / "prospects-latest.csv") == []
    _, rows = read(folder / "prospects-latest.csv")
    assert all(float(r["distance_km"]) <= 3.0 + 1e-9 for r in rows)
    assert len(demo_server.requests) == 1  # LAT,LON needs no geocoding; one Overpass query
    code, _, _ = invoke("discover", "--clinic", str(demo_profile), "--near", "32.7800,-79.9400", "--radius", "3km", "--offline")
    assert code == 0 and len(demo_server.requests) == 1  # the re-run came from the cache


def test_failing_source_fails_the_run_with_one_line(tmp_path: Path, scripted: Callable[..., FixtureServer]) -> None:
    page = (FIXTURES / "overpass_400.html").read_text()
    server = scripted({"/api/interpreter": [Reply(400, page, content_type="text/html")]})
    profile = write_profile(
        tmp_path,
        BASE_PROFILE + f'output_dir = "{tmp_path / "out"}"\n[overpass]\nendpoints = ["{server.url}/api/interpreter"]\n'
        f'[cache]\ndir = "{tmp_path / "cache"}"\n',
    )
    code, _, stderr = invoke("discover", "--clinic", str(profile))
    assert code == 3
    assert stderr.strip().count("\n") == 0 and "no source answered (osm:" in stderr and "parse error" in stderr
    assert not (tmp_path / "out" / "test-clinic" / "prospects-latest.csv").exists()
    record = json.loads((tmp_path / "out" / "test-clinic" / "run.json").read_text())
    assert record["status"] == "failed" and "parse error" in record["sources"]["osm"]["error"]


def test_one_failing_source_makes_the_run_partial(demo_profile: Path) -> None:
    with demo_profile.open("a") as f:
        f.write('[file]\npaths = ["missing-export.csv"]\n')
    code, stdout, stderr = invoke("discover", "--clinic", str(demo_profile), "--sources", "osm,file")
    assert code == 4
    assert "source file failed" in stderr and "missing-export.csv: file not found" in stderr and "partial" in stderr
    folder = demo_profile.parent / "out" / "test-clinic"
    assert prospect_csv_problems(folder / "prospects-latest.csv") == []
    record = json.loads((folder / "run.json").read_text())
    assert record["status"] == "partial" and record["sources"]["osm"]["status"] == "ok"
    assert record["sources"]["file"]["status"] == "failed"
    assert f"Ranked prospects: {folder / 'prospects-latest.csv'}" in stdout


def test_imported_file_merges_with_the_map(demo_profile: Path) -> None:
    export = demo_profile.parent / "maps-export.csv"
    export.write_text(
        "title,category,full_address,lat,lng,phone\n"
        'King Street Yoga House,Yoga studio,"276 King St, Charleston, SC 29401",32.78181,-79.93772,(843) 555-0146\n'
        '"=HYPERLINK(""http://evil.example"")",Gym,"1 Bad Row",32.78,-79.93,\n'
    )
    with demo_profile.open("a") as f:
        f.write('[file]\npaths = ["maps-export.csv"]\nlicence = "scraped, internal use"\n')
    code, _, stderr = invoke("discover", "--clinic", str(demo_profile), "--sources", "osm,file")
    assert code == 0, stderr
    _, rows = read(demo_profile.parent / "out" / "test-clinic" / "prospects-latest.csv")
    yoga = [r for r in rows if r["name"].startswith("King Street Yoga")]
    assert len(yoga) == 1
    assert yoga[0]["sources"] == "maps-export:1;osm:node/4709990082"
    assert yoga[0]["licence"] == "ODbL-1.0;scraped, internal use"
    assert [r["name"] for r in rows if "HYPERLINK" in r["name"]] == ['\'=HYPERLINK("http://evil.example")']


def test_offline_with_empty_cache_names_the_missing_request(tmp_path: Path) -> None:
    profile = write_profile(tmp_path, BASE_PROFILE + f'[cache]\ndir = "{tmp_path / "cache"}"\n')
    code, _, stderr = invoke("discover", "--clinic", str(profile), "--offline")
    assert code == 3
    assert "offline: no cached answer for POST https://overpass-api.de/api/interpreter (Overpass query around" in stderr
    address = write_profile(tmp_path, BASE_PROFILE.replace("latitude", "#").replace("longitude", "#")
                            + 'address = "145 King Street, Charleston, SC 29401"\n' + f'[cache]\ndir = "{tmp_path / "cache"}"\n',
                            "address.toml")  # fmt: skip
    code, _, stderr = invoke("discover", "--clinic", str(address), "--offline")
    assert code == 3 and stderr.count("\n") == 1
    assert "offline: no cached answer for GET https://nominatim.openstreetmap.org/search?" in stderr
    assert "145+King+Street" in stderr and "(geocoding)" in stderr


def test_unreachable_geocoder_is_one_line(tmp_path: Path) -> None:
    profile = write_profile(
        tmp_path,
        BASE_PROFILE.replace("latitude", "#").replace("longitude", "#") + 'address = "145 King Street, Charleston"\n'
        f'[nominatim]\nurl = "http://127.0.0.1:9"\n[cache]\ndir = "{tmp_path / "cache"}"\n',
    )
    code, _, stderr = invoke("discover", "--clinic", str(profile))
    assert code == 3
    assert stderr.count("\n") == 1 and "could not connect" in stderr and "Traceback" not in stderr


def test_four_sources_make_one_list(tmp_path: Path) -> None:
    """osm, npi, overture and a scraper export together on the demo area."""
    export = FIXTURES / "scrapers" / "apify.csv"
    with demo_services() as services:
        profile = write_profile(
            tmp_path,
            BASE_PROFILE
            + f'output_dir = "{tmp_path / "out"}"\n'
            + f"[overpass]\nendpoints = {json.dumps(services['overpass.endpoints'])}\n"
            + f'[npi]\nurl = "{services["npi.url"]}"\n[overture]\nfile = "{services["overture.file"]}"\n'
            + f'[http]\nmin_interval = 0\n[cache]\ndir = "{tmp_path / "cache"}"\n',
        )
        code, _, stderr = invoke("discover", "--clinic", str(profile), "--sources", f"osm,npi,overture,file:{export}")
    assert code == 0, stderr
    _, rows = read(tmp_path / "out" / "test-clinic" / "prospects-latest.csv")
    seen_by = {r["name"]: {s.split(":")[0] for s in r["sources"].split(";")} for r in rows}
    assert seen_by["Lowcountry Direct Primary Care"] == {"osm", "npi", "overture", "apify"}
    assert seen_by["Lowcountry Running Company"] == {"osm", "overture", "apify"}
    assert seen_by["CrossFit Holy City"] == {"osm", "overture", "apify"}
    records = [key for r in rows for key in r["sources"].split(";")]
    assert len(records) == len(set(records))  # each source record in exactly one prospect
    assert sum(r["name"] == "Orangetheory Fitness" for r in rows) == 2  # two branches, kept apart


def test_a_rerun_the_same_day_reuses_finished_fetches_and_tags_its_area(demo_profile: Path) -> None:
    from prefect import get_client
    from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterName
    from prefect.client.schemas.sorting import TaskRunSort

    from prospecting.store import Store

    args = ("discover", "--clinic", str(demo_profile), "--near", "32.7800,-79.9400", "--radius", "2km")
    assert invoke(*args)[0] == 0
    assert invoke(*args)[0] == 0
    with get_client(sync_client=True) as client:
        fetches = client.read_task_runs(
            task_run_filter=TaskRunFilter(name=TaskRunFilterName(any_=["fetch-osm"])), sort=TaskRunSort.EXPECTED_START_TIME_DESC
        )
    assert fetches[0].state is not None and fetches[0].state.name == "Cached"
    with Store(f"sqlite:///{demo_profile.parent / 'out' / 'prospecting.db'}") as store:
        runs = store.runs("test-clinic")
        assert [(r["area"], r["status"]) for r in runs[-2:]] == [("near-32-7800-79-9400", "complete")] * 2
        assert {r["area"] for r in store.prospect_rows("test-clinic")} == {"near-32-7800-79-9400"}
