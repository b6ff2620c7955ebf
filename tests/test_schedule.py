"""Weekly deployments per clinic, the clinics fan-out flow and prefect.yaml, under a temporary Prefect server."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import BASE_PROFILE, ROOT, write_profile
from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey, DeploymentFilter, DeploymentFilterName
from prefect.client.schemas.objects import DeploymentSchedule
from prefect.client.schemas.responses import DeploymentResponse
from prefect.client.schemas.schedules import CronSchedule
from prefect.settings import PREFECT_API_URL, temporary_settings

from flows.clinics import discover_clinics
from flows.schedule import DEFAULT_CRON, register, serve_weekly, weekly_deployment
from prospecting.demo import demo_services
from prospecting.errors import ConfigError


def chicago_profile(folder: Path, name: str) -> Path:
    """config/clinic.example.toml with another name and the clinic in Chicago's time zone."""
    text = (ROOT / "config" / "clinic.example.toml").read_text(encoding="utf-8")
    assert 'timezone = "America/New_York"' in text and 'name = "Harbor Movement Physical Therapy"' in text
    text = text.replace('timezone = "America/New_York"', 'timezone = "America/Chicago"')
    text = text.replace('name = "Harbor Movement Physical Therapy"', f'name = "{name}"')
    return write_profile(folder, text, "clinic.toml")


def read_back(slug: str) -> tuple[DeploymentResponse, int]:
    """The deployment `discover/<slug>`, and how many deployments carry that name."""
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name(f"discover/{slug}")
        same_name = client.read_deployments(deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=[slug])))
    return deployment, len(same_name)


def only_cron(schedules: list[DeploymentSchedule]) -> CronSchedule:
    assert len(schedules) == 1
    schedule = schedules[0].schedule
    assert isinstance(schedule, CronSchedule)
    return schedule


@pytest.mark.usefixtures("prefect_harness")
def test_register_creates_one_weekly_deployment_in_the_clinic_time_zone(tmp_path: Path) -> None:
    profile = chicago_profile(tmp_path, "Lakeshore Movement PT")
    deployment_id = register(str(profile))
    deployment, count = read_back("lakeshore-movement-pt")
    assert str(deployment.id) == deployment_id and count == 1
    schedule = only_cron(deployment.schedules)
    assert (schedule.cron, schedule.timezone) == ("0 6 * * 1", "America/Chicago") and DEFAULT_CRON == "0 6 * * 1"
    assert deployment.parameters == {"clinic": str(profile.resolve())}
    assert Path(deployment.parameters["clinic"]).is_absolute()
    assert set(deployment.tags) == {"prospecting", "lakeshore-movement-pt"}
    assert deployment.description and "Lakeshore Movement PT" in deployment.description
    assert deployment.entrypoint == "flows.discover.discover"  # runs from any working folder
    assert deployment.schedules[0].active and not deployment.paused

    # registering again (here from a relative path) updates the same deployment: no second one, no second schedule;
    # and resumes it if it was paused (as `serve` leaves it on shutdown)
    with get_client(sync_client=True) as client:
        client.pause_deployment(deployment.id)
    assert register("clinic.toml") == deployment_id
    again, count = read_back("lakeshore-movement-pt")
    assert count == 1 and again.id == deployment.id and not again.paused
    assert only_cron(again.schedules).cron == "0 6 * * 1"
    assert again.parameters == {"clinic": str(profile.resolve())}


@pytest.mark.usefixtures("prefect_harness")
def test_custom_cron_and_time_zone_are_kept_and_replaced_on_update(tmp_path: Path) -> None:
    profile = chicago_profile(tmp_path, "Custom Cron PT")
    deployment_id = register(str(profile), cron="30 7 * * 1-5", timezone="Europe/Berlin")
    schedule = only_cron(read_back("custom-cron-pt")[0].schedules)
    assert (schedule.cron, schedule.timezone) == ("30 7 * * 1-5", "Europe/Berlin")

    assert register(str(profile), cron="0 9 1 * *") == deployment_id  # back to the profile's zone
    deployment, count = read_back("custom-cron-pt")
    schedule = only_cron(deployment.schedules)
    assert count == 1 and (schedule.cron, schedule.timezone) == ("0 9 1 * *", "America/Chicago")


@pytest.mark.parametrize(
    ("cron", "timezone", "named"),
    [
        ("every monday", None, "every monday"),
        ("0 6 * * 1 2026", None, "0 6 * * 1 2026"),  # six fields
        ("61 6 * * 1", None, "61 6 * * 1"),  # no minute 61
        ("H 6 * * 1", None, "H 6 * * 1"),  # hashed expressions are not cron
        (None, "Mars/Olympus", "Mars/Olympus"),
        (None, "EST+5", "EST+5"),
    ],
)
def test_bad_cron_or_time_zone_is_one_line_naming_the_value(
    tmp_path: Path, cron: str | None, timezone: str | None, named: str
) -> None:
    profile = chicago_profile(tmp_path, "Bad Values PT")
    with pytest.raises(ConfigError) as raised:
        weekly_deployment(str(profile), cron, timezone)
    message = str(raised.value)
    assert repr(named) in message and "\n" not in message and "expected" in message
    assert message.startswith("cron: " if cron else "timezone: ")


def test_missing_or_broken_profile_is_reported_before_anything_is_registered(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere\.toml: file not found"):
        register(str(tmp_path / "nowhere.toml"))
    broken = write_profile(tmp_path, BASE_PROFILE.replace('contact_email = "test@clinic.example"', ""))
    with pytest.raises(ConfigError, match="contact_email: missing"):
        register(str(broken))
    with temporary_settings({PREFECT_API_URL: None}), pytest.raises(ConfigError, match="PREFECT_API_URL: not set"):
        register(str(write_profile(tmp_path, BASE_PROFILE, "fine.toml")))


def test_serve_weekly_serves_one_deployment_per_clinic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[Any] = []

    def fake_serve(*deployments: Any, **options: Any) -> None:  # the real one blocks until interrupted
        served.append((deployments, options))

    monkeypatch.setattr("prefect.serve", fake_serve)
    first = chicago_profile(tmp_path, "First PT")
    second = write_profile(tmp_path, BASE_PROFILE, "second.toml")
    with temporary_settings({PREFECT_API_URL: None}), pytest.raises(ConfigError, match="PREFECT_API_URL: not set"):
        serve_weekly([str(first)])  # a temporary server would schedule nothing
    with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        serve_weekly([str(first), str(second)], cron="15 5 * * 2")
    [(deployments, options)] = served
    assert [d.name for d in deployments] == ["first-pt", "test-clinic"]
    assert [(s.schedule.cron, s.schedule.timezone) for d in deployments for s in d.schedules] == [
        ("15 5 * * 2", "America/Chicago"),
        ("15 5 * * 2", "America/New_York"),
    ]
    assert options == {"limit": 1}

    served.clear()
    with pytest.raises(ConfigError, match="same clinic name"):
        serve_weekly([str(second), str(write_profile(tmp_path, BASE_PROFILE, "copy.toml"))])
    with pytest.raises(ConfigError, match="no clinic profiles"):
        serve_weekly([])
    assert served == []


@pytest.mark.usefixtures("prefect_harness")
def test_one_broken_clinic_does_not_stop_the_others(tmp_path: Path) -> None:
    folder = tmp_path / "clinics"
    folder.mkdir()
    write_profile(folder, 'name = "Unclosed\ncontact_email = "x@y.example"\n', "a-broken.toml")
    write_profile(folder, BASE_PROFILE.replace("running", "no_such_niche"), "b-unknown-niche.toml")
    write_profile(
        folder,
        BASE_PROFILE.replace('"Test Clinic"', '"Tom & Jerry <PT>"')
        + f'output_dir = "{tmp_path / "out"}"\n[cache]\ndir = "{tmp_path / "cache"}"\n',
        "c-good.toml",
    )
    (folder / "notes.txt").write_text("not a profile")
    with demo_services() as services:
        # as `prospect demo` does: the local stand-ins as settings overrides (one source, no website reading: fast)
        outcomes = discover_clinics(str(folder), settings=services | {"sources": ["osm"], "crawl.enabled": False})

    assert list(outcomes) == ["a-broken.toml", "b-unknown-niche.toml", "c-good.toml"]
    assert outcomes["a-broken.toml"]["status"] == "failed"
    assert "a-broken.toml: malformed TOML" in outcomes["a-broken.toml"]["error"]
    assert outcomes["b-unknown-niche.toml"]["status"] == "failed"
    assert "unknown niche 'no_such_niche'" in outcomes["b-unknown-niche.toml"]["error"]
    good = outcomes["c-good.toml"]
    assert good["status"] == "complete" and "error" not in good
    assert good["summary"]["counts"]["partners"] > 0
    assert Path(good["summary"]["files"]["prospects"]).is_file()
    assert good["summary"]["files"]["prospects"].startswith(str(tmp_path / "out" / "tom-jerry-pt"))

    with get_client(sync_client=True) as client:
        [artifact] = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["clinics-report"])), limit=1
        )
    report = str(artifact.data)
    assert "- a-broken.toml: **failed**: " in report and "- c-good.toml: **complete**: " in report
    assert "Tom &amp; Jerry &lt;PT&gt;" in report and "<PT>" not in report
    assert "2 failed" in report


@pytest.mark.usefixtures("prefect_harness")
def test_missing_clinics_folder_fails_the_flow(tmp_path: Path) -> None:
    state = discover_clinics(str(tmp_path / "none"), return_state=True)
    assert state.is_failed()
    with pytest.raises(ConfigError, match="folder not found"):
        state.result()


def test_prefect_yaml_parses_and_its_entrypoints_resolve() -> None:
    from prefect.cli.deploy._models import PrefectYamlModel  # the model `prefect deploy` checks the file with

    config = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    PrefectYamlModel.model_validate(config)
    [pull] = config["pull"]
    assert pull["prefect.deployments.steps.set_working_directory"]["directory"] == "{{ $PROSPECTING_HOME }}"
    deployments = {d["name"]: d for d in config["deployments"]}
    assert set(deployments) == {"discover-weekly", "discover-clinics", "discover-clinic", "discover-clinics-fleet"}
    weekly = deployments["discover-weekly"]
    assert weekly["entrypoint"] == "flows/discover.py:discover" and "clinic" in weekly["parameters"]
    assert weekly["schedules"] == [{"cron": "0 6 * * 1", "timezone": "America/New_York", "active": True}]
    for deployment in deployments.values():
        assert deployment["work_pool"]["name"] == "prospecting"
        path, _, name = deployment["entrypoint"].partition(":")
        assert (ROOT / path).is_file()
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        flow = getattr(module, name)
        assert set(deployment["parameters"]) <= set(flow.parameters.properties)


@pytest.mark.usefixtures("prefect_harness")
def test_schedule_command_registers_the_weekly_deployment(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from prospecting.cli import cli

    profile = chicago_profile(tmp_path, "Riverside Sports PT")
    result = CliRunner().invoke(cli, ["schedule", "--clinic", str(profile), "--register-only"])
    assert result.exit_code == 0, result.output
    deployment, count = read_back("riverside-sports-pt")
    assert count == 1 and str(deployment.id) in result.output
    assert (only_cron(deployment.schedules).cron, only_cron(deployment.schedules).timezone) == ("0 6 * * 1", "America/Chicago")
    bad = CliRunner().invoke(cli, ["schedule", "--clinic", str(profile), "--cron", "weekly", "--register-only"])
    assert bad.exit_code == 2 and "cron: 'weekly' is not a cron schedule" in bad.output
