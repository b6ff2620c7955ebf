"""Weekly discovery per clinic: Prefect deployments of the `discover` flow on a cron schedule.

One deployment per clinic profile, named after the clinic's slug (`discover/<slug>`), with the
profile's absolute path as its `clinic` parameter and one cron schedule in the clinic's own time
zone (Mondays 06:00 by default), so daylight saving time moves with the clinic, not with UTC.

- `register` creates or updates the deployment on the configured Prefect API (its schedule is
  replaced, never duplicated) and returns its id. The deployment has no work pool: its scheduled
  runs wait until a process serves it (`serve_weekly`, or `prospect schedule`).
- Both need a Prefect server (PREFECT_API_URL): its scheduler creates the runs. The temporary
  server Prefect starts when none is configured runs no scheduler, so both refuse to use it.
- `serve_weekly` registers one deployment per clinic and runs them in this process until
  interrupted (Prefect's `serve`): the runner starts each scheduled run as a subprocess, one at a
  time, in the current working folder (relative `output_dir`s land there). On shutdown Prefect
  pauses the schedules; serving again resumes them.

The deployments name their flow by module path (`flows.discover.discover`), so they work from any
working folder where the `prospecting` package is installed. For work pools and `prefect deploy`,
see `prefect.yaml` and docs/scheduling.md.
"""

from __future__ import annotations

import zoneinfo
from functools import cache
from pathlib import Path
from uuid import UUID

import prefect
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron, Schedule
from prefect.settings import get_current_settings
from prefect.types.entrypoint import EntrypointType

from flows.discover import discover
from prospecting.config import ClinicProfile, load_profile
from prospecting.errors import ConfigError

DEFAULT_CRON = "0 6 * * 1"  # Mondays at 06:00 in the clinic's time zone
_CRON_EXPECTED = 'expected 5 fields: minute hour day-of-month month day-of-week, such as "0 6 * * 1"'


@cache
def _known_timezones() -> frozenset[str]:
    # The set Prefect checks schedule time zones against (zoneinfo also opens a few it rejects).
    return frozenset(zoneinfo.available_timezones())


def check_timezone(timezone: str) -> str:
    """Return `timezone` if it is an IANA zone name Prefect accepts; else raise a one-line ConfigError."""
    if timezone not in _known_timezones():
        raise ConfigError(f"timezone: unknown time zone {timezone!r} (expected an IANA name such as America/New_York)")
    return timezone


def cron_schedule(cron: str, timezone: str) -> Schedule:
    """A Prefect cron schedule, after checking both values; raises a one-line ConfigError naming the bad one."""
    tz = check_timezone(timezone)
    fields = cron.split()
    if len(fields) != 5:
        raise ConfigError(f"cron: {cron!r} is not a cron schedule ({_CRON_EXPECTED})")
    try:
        # Prefect checks the expression with its vendored croniter (ranges, names, no hashed H/R).
        return Cron(" ".join(fields), timezone=tz)
    except ValueError as e:
        raise ConfigError(
            f"cron: {cron!r} is not a valid cron schedule (expected minute 0-59, hour 0-23, day of month 1-31, "
            'month 1-12 and day of week 0-6 or mon-sun, such as "0 6 * * 1")'
        ) from e


def require_api() -> str:
    """The configured Prefect API URL; a one-line ConfigError when there is none.

    Without one, Prefect would start a temporary server: it keeps the deployment but runs no
    scheduler, so no scheduled run would ever be created.
    """
    url = get_current_settings().api.url
    if not url:
        raise ConfigError(
            "PREFECT_API_URL: not set (expected the API of a running Prefect server, such as http://127.0.0.1:4200/api "
            "from `prefect server start`, or Prefect Cloud; a temporary server schedules no runs)"
        )
    return url


def _profile(clinic_path: str | Path) -> tuple[ClinicProfile, Path]:
    path = Path(clinic_path).expanduser().resolve()
    if not path.is_file():
        raise ConfigError(f"{clinic_path}: file not found (expected a clinic profile, see config/clinic.example.toml)")
    return load_profile(path), path


def weekly_deployment(clinic_path: str, cron: str | None = None, timezone: str | None = None) -> RunnerDeployment:
    """The `discover` deployment for one clinic: named after its slug, on `cron` in its time zone.

    `cron` defaults to DEFAULT_CRON and `timezone` to the profile's. The profile is read and checked
    now, so a broken profile is reported here rather than at the first scheduled run.
    """
    profile, path = _profile(clinic_path)
    cron = DEFAULT_CRON if cron is None else cron
    tz = profile.timezone if timezone is None else timezone
    schedule = cron_schedule(cron, tz)
    # What `discover.to_deployment` does for a flow without remote storage, minus its sync/async dispatch.
    return RunnerDeployment.from_flow(
        flow=discover,
        name=profile.slug,
        schedules=[schedule],
        parameters={"clinic": str(path)},
        tags=["prospecting", profile.slug],
        description=f"Prospect discovery for {profile.name} ({path}), on cron {schedule.cron!r} in {tz}.",
        entrypoint_type=EntrypointType.MODULE_PATH,
    )


def register(clinic_path: str, cron: str | None = None, timezone: str | None = None) -> str:
    """Create or update the clinic's deployment on the configured Prefect API; return its id.

    Registering again updates the deployment in place: same id, its schedule replaced.
    """
    deployment = weekly_deployment(clinic_path, cron, timezone)
    require_api()
    deployment_id = deployment.apply()
    if not isinstance(deployment_id, UUID):  # Prefect hands back a coroutine inside a running event loop
        deployment_id.close()
        raise RuntimeError("register() is synchronous: call it outside a running event loop (or use RunnerDeployment.aapply)")
    return str(deployment_id)


def serve_weekly(clinic_paths: list[str], cron: str | None = None) -> None:
    """Serve one weekly deployment per clinic until interrupted (blocking).

    Every profile is checked before anything is served. Scheduled runs execute one at a time (the
    public services the sources use are shared; one discovery at a time is polite to them).
    """
    if not clinic_paths:
        raise ConfigError("clinic: no clinic profiles given (expected at least one profile file)")
    deployments = [weekly_deployment(path, cron) for path in clinic_paths]
    seen: dict[str, str] = {}
    for path, deployment in zip(clinic_paths, deployments, strict=True):
        if deployment.name in seen:
            raise ConfigError(
                f"{path}: name: same clinic name as {seen[deployment.name]} (expected one profile per clinic; "
                f"both would be deployment discover/{deployment.name})"
            )
        seen[deployment.name] = path
    require_api()
    prefect.serve(*deployments, limit=1)
