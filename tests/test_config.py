"""Clinic profile validation: each problem is one line `FILE: field: problem (expected ...)`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import BASE_PROFILE, ROOT, write_profile

from prospecting.cli import cli
from prospecting.config import load_profile, parse_radius_km
from prospecting.errors import ConfigError

LINE = re.compile(r"^(?P<file>[^:]+): (?P<field>[\w.]+): .+\(expected .+\)$")


def test_example_profile_loads() -> None:
    profile = load_profile(ROOT / "config" / "clinic.example.toml")
    assert profile.address and profile.niche == "running"
    assert profile.radius_km == pytest.approx(8.04672)
    assert profile.sources == ("osm", "npi")
    assert profile.cache_dir == Path("output/.cache")
    assert profile.contact_email in profile.user_agent


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('name = "x"\nradius = "5mi"\n[broken', "malformed TOML"),
        (BASE_PROFILE + 'colour = "blue"\n', "colour"),
        (BASE_PROFILE + '[overpass]\nendpoint = ["https://x.example"]\n', "overpass.endpoint"),
        ('name = "x"\ncontact_email = "a@b.example"\n', "address"),
        ('name = "x"\ncontact_email = "a@b.example"\nlatitude = 32.7\n', "longitude"),
        (BASE_PROFILE.replace('"5mi"', '"0km"'), "radius"),
        (BASE_PROFILE.replace('"5mi"', '"-3mi"'), "radius"),
        (BASE_PROFILE.replace('"5mi"', '"101km"'), "radius"),
        (BASE_PROFILE.replace('"5mi"', '"70mi"'), "radius"),
        (BASE_PROFILE.replace('"5mi"', "5"), "radius"),
        (BASE_PROFILE.replace('"5mi"', '"five miles"'), "radius"),
        (BASE_PROFILE.replace('"running"', '"knitting"'), "niche"),
        (BASE_PROFILE + 'sources = ["osm", "yellowpages"]\n', "sources"),
        (BASE_PROFILE + "sources = []\n", "sources"),
        (BASE_PROFILE.replace("32.7790", "132.7790"), "latitude"),
        (BASE_PROFILE.replace('"test@clinic.example"', '"nobody"'), "contact_email"),
        (BASE_PROFILE + 'timezone = "Mars/Olympus"\n', "timezone"),
        (BASE_PROFILE + '[overpass]\nendpoints = ["ftp://x.example"]\n', "overpass.endpoints"),
        (BASE_PROFILE.replace('contact_email = "test@clinic.example"\n', ""), "contact_email"),
    ],
)
def test_bad_profile_is_one_line_naming_file_and_field(tmp_path: Path, text: str, field: str) -> None:
    path = write_profile(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_profile(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    if field == "malformed TOML":
        assert "malformed TOML" in message and "(expected valid TOML)" in message
    else:
        m = LINE.match(message)
        assert m, message
        assert m.group("field") == field


@pytest.mark.parametrize("text", [BASE_PROFILE.replace('"5mi"', '"0km"'), 'name = "x"\n[[broken'])
def test_cli_exits_2_with_one_line_on_bad_profile(tmp_path: Path, text: str) -> None:
    path = write_profile(tmp_path, text)
    result = CliRunner().invoke(cli, ["discover", "--clinic", str(path)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0]
    assert "Traceback" not in result.output


def test_cli_override_is_checked_too(tmp_path: Path) -> None:
    path = write_profile(tmp_path, BASE_PROFILE)
    result = CliRunner().invoke(cli, ["discover", "--clinic", str(path), "--radius", "500km"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "prospect: command line: radius: '500km' is over 100 km (expected at most 100 km)"


def test_missing_profile_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["discover", "--clinic", str(tmp_path / "nope.toml")])
    assert result.exit_code == 2
    assert "file not found" in result.stderr


@pytest.mark.parametrize(("text", "km"), [("5mi", 8.04672), ("8km", 8.0), ("800m", 0.8), (" 2.5 MI ", 4.02336)])
def test_radius_units(text: str, km: float) -> None:
    assert parse_radius_km(text) == pytest.approx(km)


def test_a_clinic_sets_its_own_weights(tmp_path: Path) -> None:
    profile = load_profile(write_profile(tmp_path, BASE_PROFILE + "[weights]\nniche = 0.7\nreachability = 0\n"))
    assert profile.weights == {"niche": 0.7, "reachability": 0.0}
    for bad, expected in (("speed = 1", "'speed' is not a score component"), ("niche = -1", "not a number in 0-10")):
        with pytest.raises(ConfigError, match=re.escape(expected)):
            load_profile(write_profile(tmp_path, BASE_PROFILE + f"[weights]\n{bad}\n", "bad.toml"))
