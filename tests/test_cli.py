"""The command line: classify and dedupe on scraper exports, exit statuses, help and README."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import BASE_PROFILE, FIXTURES, ROOT, write_profile
from contract import classify_problems, read

from prospecting.cli import cli
from prospecting.demo.server import FixtureServer


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_classify_scraper_export_with_aliases(tmp_path: Path) -> None:
    out = tmp_path / "classified.csv"
    code, stdout, _ = run("classify", str(FIXTURES / "scraper_export.csv"), "--out", str(out))
    assert code == 0, stdout
    assert classify_problems(FIXTURES / "scraper_export.csv", out) == []
    columns, rows = read(out)
    assert columns[:8] == ["title", "category", "full_address", "lat", "lng", "site", "phone", "rating"]
    # the input's own `category` column is the label source, and is replaced by ours in the output
    kinds = {r["title"].lstrip("'"): (r["category"], r["subcategory"]) for r in rows}
    assert kinds["King Street Yoga House"] == ("fitness", "yoga")
    assert kinds["Peninsula Physical Therapy"] == ("competitor", "physical_therapy")
    assert kinds["Lowcountry Direct Primary Care"] == ("direct_primary_care", "dpc")
    assert kinds["Harbor Reiki Healing"] == ("other", "not_a_partner")
    formula = next(r for r in rows if "HYPERLINK" in r["title"])
    assert formula["title"].startswith("'=")
    assert rows[0]["phone"] == "'+1 843-555-0101"
    assert "6 rows classified" in stdout


def test_classify_geojson(tmp_path: Path) -> None:
    source = tmp_path / "places.geojson"
    source.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[-79.93,32.78]},'
        '"properties":{"name":"CrossFit Holy City","categories":{"primary":"gym","alternate":["crossfit"]}}}]}'
    )
    out = tmp_path / "out.csv"
    assert run("classify", str(source), "--out", str(out))[0] == 0
    _, rows = read(out)
    assert rows[0]["subcategory"] == "crossfit" and rows[0]["latitude"] == "32.78"


def test_dedupe_scraper_export_and_osm_listing_csv(tmp_path: Path) -> None:
    export = tmp_path / "google.csv"
    shutil.copy(FIXTURES / "scraper_export.csv", export)
    osm = tmp_path / "osm.csv"
    with osm.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "source", "name", "latitude", "longitude", "phone"])
        w.writerow(["node/4709990082", "osm", "King Street Yoga House", "32.7801234", "-79.9365432", "+18435550101"])
    out = tmp_path / "dedupe.csv"
    code, stdout, _ = run("dedupe", str(export), str(osm), "--out", str(out))
    assert code == 0, stdout
    columns, rows = read(out)
    assert columns[:3] == ["source", "id", "prospect_id"]
    assert len(rows) == 7 and all(r["prospect_id"] for r in rows)
    assert {r["source"] for r in rows} == {"google", "osm"}  # the stem when the file has no source column
    yoga = {r["prospect_id"] for r in rows if "King Street Yoga" in r["name"]}
    assert len(yoga) == 1
    assert len({r["prospect_id"] for r in rows}) == 5


def test_dedupe_without_coordinates(tmp_path: Path) -> None:
    out = tmp_path / "d.csv"
    assert run("dedupe", str(FIXTURES / "no_coordinates.csv"), "--out", str(out))[0] == 0
    _, rows = read(out)
    assert rows[0]["prospect_id"] == rows[1]["prospect_id"] != rows[2]["prospect_id"]
    assert rows[2]["prospect_id"] != rows[3]["prospect_id"]  # two branches of a chain


def test_a_file_of_headers_only_gives_a_file_of_headers_only(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("name,address,city,phone\n", encoding="utf-8")
    for command in ("classify", "dedupe"):
        out = tmp_path / f"{command}.csv"
        code, stdout, stderr = run(command, str(empty), "--out", str(out))
        assert code == 0, stdout + stderr
        columns, rows = read(out)
        assert rows == [] and "name" in columns


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"foo,bar\n1,2\n", "no name column"),
        (b"name,city\n\x00\x01\x02,x\n", "binary data"),
        (b'name,city\n"unclosed,x\n', "malformed CSV"),
    ],
)
def test_bad_inputs_exit_2_with_one_line(tmp_path: Path, content: bytes, message: str) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    for command in (
        ["classify", str(bad), "--out", str(tmp_path / "o.csv")],
        ["dedupe", str(bad), "--out", str(tmp_path / "o.csv")],
    ):
        code, _, stderr = run(*command)
        assert code == 2
        assert stderr.count("\n") == 1 and message in stderr and str(bad) in stderr
        assert not (tmp_path / "o.csv").exists()


def test_latin1_is_read_with_a_warning(tmp_path: Path) -> None:
    old = tmp_path / "old.csv"
    old.write_bytes(b"name,city\nCaf\xe9 Yoga,Charleston\n")
    code, _, stderr = run("classify", str(old), "--out", str(tmp_path / "o.csv"))
    assert code == 0 and "not UTF-8 (byte 13); read as Latin-1" in stderr
    assert read(tmp_path / "o.csv")[1][0]["name"] == "Café Yoga"


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "dup.csv"
    bad.write_text("id,name\n1,A\n1,B\n")
    code, _, stderr = run("dedupe", str(bad), "--out", str(tmp_path / "o.csv"))
    assert code == 2 and "row 2: id '1'" in stderr


def test_every_command_has_help_and_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    assert run("--help")[0] == 0
    for name, command in cli.commands.items():
        code, stdout, _ = run(name, "--help")
        assert code == 0 and (command.help or "").split("\n")[0] in " ".join(stdout.split())
        assert re.search(rf"prospect {name}\b", readme), f"`prospect {name}` is not in the README"


def test_fetch_writes_one_sources_listings(tmp_path: Path, demo_server: FixtureServer) -> None:
    profile = write_profile(
        tmp_path,
        BASE_PROFILE + f'[overpass]\nendpoints = ["{demo_server.url}/api/interpreter"]\n[cache]\ndir = "{tmp_path / "c"}"\n',
    )
    out = tmp_path / "osm.csv"
    code, stdout, _ = run("fetch", "osm", "--clinic", str(profile), "--out", str(out))
    assert code == 0
    columns, rows = read(out)
    assert columns[:5] == ["id", "source", "name", "latitude", "longitude"]
    assert len(rows) == 153 and all(r["source"] == "osm" and r["licence"] == "ODbL-1.0" for r in rows)
    assert "dropped: fitness_station 10, outside_radius 2, unnamed 7" in stdout and "OpenStreetMap" in stdout
    assert run("fetch", "nope", "--clinic", str(profile), "--out", str(out))[0] == 2


SCRAPERS = {
    "gosom": {"King Street Yoga House": "yoga", "Peninsula Physical Therapy": "physical_therapy", "Holy City Strength": "gym"},
    "outscraper": {
        "Pure Form Pilates": "pilates",
        "Sarah Whitfield ND": "naturopathic",
        "Serenity Reiki Studio": "not_a_partner",
    },
    "apify": {
        "Lowcountry Running Company": "running_store",
        "Lowcountry Direct Primary Care": "dpc",
        "CrossFit Holy City": "crossfit",
    },
}


@pytest.mark.parametrize("style", sorted(SCRAPERS))
def test_scraper_exports_load_unedited(style: str, tmp_path: Path) -> None:
    export = FIXTURES / "scrapers" / f"{style}.csv"
    out = tmp_path / "classified.csv"
    assert run("classify", str(export), "--out", str(out))[0] == 0
    assert classify_problems(export, out) == []
    _, rows = read(out)
    assert {r.get("title") or r.get("name"): r["subcategory"] for r in rows} == SCRAPERS[style]

    profile = write_profile(tmp_path, BASE_PROFILE)
    listings = tmp_path / "listings.csv"
    code, _, stderr = run("fetch", f"file:{export}", "--clinic", str(profile), "--out", str(listings))
    assert code == 0, stderr
    _, loaded = read(listings)
    assert [r["name"] for r in loaded] == list(SCRAPERS[style])
    assert all(r["latitude"] and r["longitude"] and r["source"] == style for r in loaded)
    assert all(
        r["phone"] or r["name"] in {"Holy City Strength", "Serenity Reiki Studio", "Lowcountry Running Company"} for r in loaded
    )
    assert loaded[0]["website"].startswith("https://") and loaded[0]["address"]


def test_sources_lists_every_source_with_needs_and_licence(tmp_path: Path) -> None:
    profile = write_profile(tmp_path, BASE_PROFILE + 'sources = ["osm", "npi"]\n')
    code, stdout, _ = run("sources", "--clinic", str(profile))
    assert code == 0
    lines = stdout.splitlines()
    states = {line.split()[0]: line.split()[1] for line in lines if not line.startswith(" ")}
    assert states == {"osm": "enabled", "npi": "enabled", "overture": "off", "dpc_frontier": "off", "file": "off"}
    assert sum("licence:" in line for line in lines) == 5 and sum("needs:" in line for line in lines) == 5
    assert "ODbL-1.0" in stdout and "pip install .[overture]" in stdout


def test_classify_reads_websites_and_explains(tmp_path: Path) -> None:
    from prospecting.demo.server import site_handler

    site = tmp_path / "sites" / "harborfamilymedicine.example"
    site.mkdir(parents=True)
    (site / "index.html").write_text(
        '<html><head><title>Harbor Family Medicine</title></head><body><a href="/membership">Membership</a>'
        '<a href="https://www.instagram.com/harborfm">Instagram</a></body></html>'
    )
    (site / "membership.html").write_text(
        "<html><body><h2>Membership</h2><p>Adults $79/month. No insurance needed, no copays.</p>"
        "<p>Write to care [at] harborfamilymedicine [dot] example</p></body></html>"
    )
    listings = tmp_path / "doctors.csv"
    listings.write_text(
        "name,category,website\nHarbor Family Medicine,Family practice physician,https://harborfamilymedicine.example/\n"
    )
    with FixtureServer(site_handler(tmp_path / "sites")) as server:
        local = server.url.split("://")[1]
        profile = write_profile(
            tmp_path,
            BASE_PROFILE + f'[cache]\ndir = "{tmp_path / "c"}"\n[crawl]\nmin_interval = 0\n'
            f'resolve = {{ "harborfamilymedicine.example" = "{local}" }}\n',
        )
        out = tmp_path / "out.csv"
        plain = run("classify", str(listings), "--out", str(out))
        assert read(out)[1][0]["category"] == "other"  # a family practice, by its label alone
        code, stdout, _ = run("classify", str(listings), "--out", str(out), "--explain", "--websites", "--clinic", str(profile))
    assert plain[0] == 0 and code == 0
    row = read(out)[1][0]
    assert (row["category"], row["subcategory"]) == ("direct_primary_care", "dpc"), stdout
    assert row["evidence"].startswith('website /membership: "')
    assert "Harbor Family Medicine: direct_primary_care / dpc" in stdout
    assert '    website /membership: "Membership Adults $79/month. No insurance needed, no copays.' in stdout
