"""The `discover-clinics` flow: one `discover` run per clinic profile in a folder (an agency's clients).

Each clinic runs as its own `discover` subflow and is isolated from the others: a broken profile,
a run where no source answered, or any other exception is recorded for that clinic, and the next
clinic still runs. The flow returns (and shows as a markdown artifact) each clinic's outcome.

With `deployment` (a `discover` deployment on a work pool, e.g. "discover/discover-clinic"), the
clinics are not run here: each becomes a run of that deployment, all queued at once, so every
worker polling the pool takes its share; the flow waits for all of them and reports each
(docs/scaling.md).
"""

from __future__ import annotations

import html
import time
from pathlib import Path
from typing import Any
from uuid import UUID

from prefect import flow, get_client, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.client.schemas.objects import FlowRun, State

from flows.discover import discover
from prospecting.errors import ConfigError, ProspectingError


@flow(name="discover-clinics", log_prints=True)
def discover_clinics(
    folder: str = "config/clinics",
    near: str | None = None,
    offline: bool = False,
    settings: dict[str, Any] | None = None,
    deployment: str | None = None,
) -> dict[str, dict[str, Any]]:
    """Run `discover` for every `*.toml` clinic profile in `folder`, in name order.

    Returns `{file name: {"status": "complete" | "partial", "summary": {...}}}` for clinics that
    ran, and `{"status": "failed", "error": "..."}` for those that did not; one failing clinic never
    stops the others. `near`, `offline` and `settings` (profile overrides by dotted name, as for
    `discover`) apply to every clinic.

    The clinics run one after another, not in parallel: it is simple, and polite to the shared
    public services (Overpass, Nominatim, the NPI registry) that every clinic's run queries.

    With `deployment` ("flow-name/deployment-name" of a `discover` deployment), each clinic is a run
    of that deployment instead, queued on its work pool with `clinic` set to the profile's path as
    found here (a relative `folder` stays relative: each worker reads it from its own checkout).
    They run as the pool's workers take them; the fleet keeps its request rates with shared
    limits (flows/limits.py). A run that fails or crashes is that clinic's failure only.
    """
    logger = get_run_logger()
    root = Path(folder)
    if not root.is_dir():
        raise ConfigError(f"{folder}: folder not found (expected a folder of clinic profiles, *.toml)")
    profiles = sorted(p for p in root.glob("*.toml") if p.is_file())
    if not profiles:
        raise ConfigError(f"{folder}: no clinic profiles (expected *.toml files, see config/clinic.example.toml)")

    outcomes: dict[str, dict[str, Any]] = {}
    if deployment:
        outcomes = _dispatch(deployment, profiles, near, offline, settings)
    for path in profiles:
        outcome = outcomes.get(path.name) or _run_clinic(path, near, offline, settings)
        outcomes[path.name] = outcome
        if outcome["status"] == "failed":
            logger.warning("clinic %s failed: %s", path.name, outcome["error"])
        else:
            logger.info("clinic %s: %s", path.name, outcome["status"])
    _publish(str(folder), outcomes)
    return outcomes


def _run_clinic(path: Path, near: str | None, offline: bool, settings: dict[str, Any] | None) -> dict[str, Any]:
    """One clinic's `discover` subflow; whatever goes wrong becomes `{"status": "failed", "error": ...}`."""
    try:
        run = discover.with_options(flow_run_name=f"discover-{path.stem}")
        state = run(clinic=str(path.resolve()), near=near, offline=offline, settings=settings, return_state=True)
        if state.is_completed():
            summary = state.result()
            if isinstance(summary, dict):
                return {"status": summary.get("status", "complete"), "summary": summary}
            return {"status": "failed", "error": "the discover flow returned no summary"}
        outcome = state.result(raise_on_failure=False)
        if isinstance(outcome, BaseException):
            return {"status": "failed", "error": _describe(outcome)}
        return {"status": "failed", "error": state.message or f"the discover flow ended {state.name}"}
    except Exception as e:  # isolation: nothing one clinic does may stop the others
        return {"status": "failed", "error": _describe(e)}


def _dispatch(
    deployment: str, profiles: list[Path], near: str | None, offline: bool, settings: dict[str, Any] | None, poll: float = 2.0
) -> dict[str, dict[str, Any]]:
    """Queue one run of `deployment` per clinic, then wait until every run has finished; each clinic's outcome."""
    from prefect.deployments import run_deployment
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_deployment_by_name(deployment)
        except ObjectNotFound as e:
            raise ConfigError(f"deployment: {deployment!r} not found (expected a `discover` deployment, see prefect.yaml)") from e
    outcomes: dict[str, dict[str, Any]] = {}
    pending: dict[str, UUID] = {}
    for path in profiles:
        try:
            parameters = {"clinic": str(path), "near": near, "offline": offline, "settings": settings}
            run = run_deployment(deployment, parameters=parameters, flow_run_name=f"discover-{path.stem}", timeout=0)
            if not isinstance(run, FlowRun):  # a coroutine: only inside a running event loop, never in this sync flow
                run.close()
                raise RuntimeError("run_deployment returned a coroutine")
            pending[path.name] = run.id
        except Exception as e:  # isolation: a clinic that cannot be queued is that clinic's failure
            outcomes[path.name] = {"status": "failed", "error": _describe(e)}
    with get_client(sync_client=True) as client:
        while pending:
            for name, run_id in list(pending.items()):
                state = client.read_flow_run(run_id).state
                if state is not None and state.is_final():
                    outcomes[name] = _outcome_of(state, run_id)
                    del pending[name]
            if pending:
                time.sleep(poll)
    return outcomes


def _outcome_of(state: State[Any], run_id: UUID) -> dict[str, Any]:
    """A finished deployment run as a clinic outcome; its summary when its result can be read from here."""
    if state.is_completed():
        try:
            summary = state.result()
        except Exception:  # results are kept where the worker ran: not always readable from here
            summary = None
        if isinstance(summary, dict):
            return {"status": summary.get("status", "complete"), "summary": summary, "flow_run": str(run_id)}
        return {"status": "complete", "summary": {}, "flow_run": str(run_id)}
    message = (state.message or "").strip().splitlines()  # one line, as for the clinics run here
    error = message[0] if message else f"the discover run ended {state.name}"
    return {"status": "failed", "error": error, "flow_run": str(run_id)}


def _describe(error: BaseException) -> str:
    """One line: our own errors already say what is wrong; others are prefixed with their type."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    if isinstance(error, ProspectingError) and text:
        return text
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _publish(folder: str, outcomes: dict[str, dict[str, Any]]) -> None:
    """A markdown artifact: one line per clinic (every text from a profile or an error is escaped)."""
    failed = sum(o["status"] == "failed" for o in outcomes.values())
    lines = [f"# Discovery for {len(outcomes)} clinics in {html.escape(folder)}", ""]
    lines.append(f"{len(outcomes) - failed} ran, {failed} failed.")
    lines.append("")
    for name, outcome in outcomes.items():
        if outcome["status"] == "failed":
            detail = html.escape(str(outcome["error"]))
        else:
            summary = outcome["summary"]
            counts = summary.get("counts", {})
            detail = f"{html.escape(str(summary.get('clinic', '')))}: {counts.get('partners', 0)} partners ranked"
            if not summary and outcome.get("flow_run"):
                detail = f"flow run {html.escape(str(outcome['flow_run']))}"
            broken = [n for n, r in summary.get("sources", {}).items() if r.get("status") != "ok"]
            if broken:
                detail += f"; sources failed: {html.escape(', '.join(broken))}"
            if summary.get("files", {}).get("prospects"):
                detail += f"; {html.escape(str(summary['files']['prospects']))}"
        lines.append(f"- {html.escape(name)}: **{html.escape(str(outcome['status']))}**: {detail}")
    create_markdown_artifact(
        "\n".join(lines), key="clinics-report", description=f"Discovery outcome per clinic in {html.escape(folder)}"
    )
