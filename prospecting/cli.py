"""The `prospect` command: parse, call the library (or the flow), print, exit with a status.

Exit statuses: 0 done; 1 unexpected internal error; 2 bad input (profile, options, input
files); 3 no data (geocoding failed, no source answered, offline cache miss); 4 partial run
(some sources failed; the outputs hold what the others gave).
"""

from __future__ import annotations

import os
import shutil
import sys
from datetime import date as date_type
from pathlib import Path
from typing import Any

import click
import pyarrow as pa

from prospecting import __version__
from prospecting.errors import ConfigError, GeocodeError, InputError, ProspectingError, SourceError
from prospecting.listings_io import Table
from prospecting.models import ListingColumns, arrow_texts, texts

EXIT_INTERNAL, EXIT_BAD_INPUT, EXIT_NO_DATA, EXIT_PARTIAL = 1, 2, 3, 4
DEFAULT_CLINIC = "config/clinic.toml"
EXAMPLE_CLINIC = "config/clinic.example.toml"


def _exit_status(error: ProspectingError) -> int:
    if isinstance(error, ConfigError | InputError):
        return EXIT_BAD_INPUT
    if isinstance(error, GeocodeError | SourceError):
        return EXIT_NO_DATA
    return EXIT_INTERNAL


class _Cli(click.Group):
    """Turns library errors into one line on stderr and an exit status; --debug shows tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ProspectingError as e:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"prospect: {e}", err=True)
            ctx.exit(_exit_status(e))
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as e:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"prospect: internal error: {type(e).__name__}: {e} (run with --debug for the traceback)", err=True)
            ctx.exit(EXIT_INTERNAL)


@click.group(cls=_Cli)
@click.version_option(__version__, prog_name="prospect")
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Find and rank referral partners (fitness, direct primary care, functional medicine) near a clinic."""
    ctx.obj = {"debug": debug}


def _clinic_path(clinic: str | None) -> Path:
    if clinic:
        return Path(clinic)
    if Path(DEFAULT_CLINIC).exists():
        return Path(DEFAULT_CLINIC)
    raise ConfigError(
        f"{DEFAULT_CLINIC}: file not found (copy {EXAMPLE_CLINIC} to {DEFAULT_CLINIC} and edit it, or pass --clinic FILE)"
    )


def _out_file(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An --out that names no file (`--out ""`) is refused before anything is read."""
    if value is not None and not value.strip():
        raise ConfigError(f"--{param.name}: empty (expected a file name, such as out.csv)")
    return value


def _overrides(radius: str | None, sources: str | None) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    if radius:
        overrides["radius"] = radius
    if sources:
        overrides["sources"] = [s.strip() for s in sources.split(",") if s.strip()]
    return overrides


def _run_flow(clinic: Path, near: str | None, offline: bool, overrides: dict[str, Any]) -> dict[str, Any]:
    """Run the discover flow (a temporary Prefect server starts if none is configured)."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from flows.discover import discover

    state = discover(clinic=str(clinic), near=near, offline=offline, settings=overrides, return_state=True)
    if state.is_failed():
        outcome = state.result(raise_on_failure=False)
        if isinstance(outcome, Exception):
            raise outcome
        raise SourceError(state.message or "the discover flow failed")
    result = state.result()
    if not isinstance(result, dict):
        raise SourceError(state.message or "the discover flow returned no summary")
    return result


def _report(summary: dict[str, Any]) -> int:
    counts = summary["counts"]
    files = summary["files"]
    click.echo(
        f"{counts['partners']} partner prospects ranked, {counts['excluded']} competitors and others set apart, "
        f"from {counts['listings']} listings."
    )
    for name, report in summary["sources"].items():
        if report["status"] != "ok":
            click.echo(f"source {name} failed: {report['error']}", err=True)
    click.echo(
        f"{counts['new']} new this run, {counts['gone']} gone, {counts['returned']} back; "
        f"{counts['followups_due']} follow-ups due."
    )
    click.echo(f"Ranked prospects: {files['prospects']}")
    click.echo(f"New this week:    {files['new']}")
    click.echo(f"Digest:           {files['digest']}")
    click.echo(f"Map:              {files['map']}")
    click.echo(f"Set apart:        {files['excluded']}")
    click.echo(f"Run summary:      {files['summary']}")
    click.echo("Data: " + "; ".join(summary["attribution"]))
    if summary["partial"]:
        click.echo("This run is partial: the sources above failed; rerun later to fill the gaps.", err=True)
        return EXIT_PARTIAL
    return 0


@cli.command()
@click.option("--clinic", type=click.Path(dir_okay=False), help=f"Clinic profile (default {DEFAULT_CLINIC}).")
@click.option("--near", help="Search around this place or LAT,LON instead of the clinic.")
@click.option("--radius", help="Search radius with units, e.g. 5mi or 8km (overrides the profile).")
@click.option("--sources", help="Comma-separated sources to query (overrides the profile), e.g. osm.")
@click.option("--offline", is_flag=True, help="Answer only from the HTTP cache; name any request it lacks.")
@click.pass_context
def discover(
    ctx: click.Context, clinic: str | None, near: str | None, radius: str | None, sources: str | None, offline: bool
) -> None:
    """Run a discovery: find, classify, merge, rank and export prospects."""
    from prospecting import discovery
    from prospecting.config import load_profile

    path = _clinic_path(clinic)
    overrides = _overrides(radius, sources)
    profile = load_profile(path, overrides)
    # Locate before starting Prefect so the common failures (no network, unknown address) come back in one line.
    discovery.search_centre(profile, near, offline)
    ctx.exit(_report(_run_flow(path, near, offline, overrides)))


@cli.command()
@click.option("--output", "output_dir", default="output", show_default=True, help="Folder for the demo's exports.")
@click.pass_context
def demo(ctx: click.Context, output_dir: str) -> None:
    """Run the whole discovery offline on the bundled sample area (Charleston, SC)."""
    from prospecting.demo import demo_services
    from prospecting.resources import config_dir

    cache = Path(output_dir) / ".cache" / "demo"
    shutil.rmtree(cache, ignore_errors=True)  # the stand-ins' ports change: old entries are useless
    with demo_services() as services:
        overrides = services | {"cache.dir": str(cache), "output_dir": output_dir}
        click.echo(f"Demo: sample area of Charleston, SC; sources {', '.join(services['sources'])} served locally, no network.")
        summary = _run_flow(config_dir() / "clinic.example.toml", None, False, overrides)
    ctx.exit(_report(summary))


@cli.command()
@click.argument("source")
@click.option("--clinic", type=click.Path(dir_okay=False), help=f"Clinic profile (default {DEFAULT_CLINIC}).")
@click.option("--near", help="Search around this place or LAT,LON instead of the clinic.")
@click.option("--radius", help="Search radius with units, e.g. 5mi or 8km.")
@click.option("--offline", is_flag=True, help="Answer only from the HTTP cache.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), callback=_out_file, help="CSV file to write.")
def fetch(source: str, clinic: str | None, near: str | None, radius: str | None, offline: bool, out: str) -> None:
    """Write one source's normalised listings to a CSV (no classification, no Prefect)."""
    from prospecting import discovery, export
    from prospecting.config import load_profile

    # `fetch file` reads the profile's import files, `file:PATH` entries included: no sources override for it
    profile = load_profile(_clinic_path(clinic), _overrides(radius, None if source == "file" else source))
    centre = discovery.search_centre(profile, near, offline)
    result = discovery.fetch_source(profile, source.partition(":")[0], centre, offline)
    count = export.write_csv(Path(out), export.LISTING_COLUMNS, (export.listing_row(x) for x in result.listings))
    dropped = ", ".join(f"{k} {v}" for k, v in sorted(result.dropped.items())) or "none"
    click.echo(f"{count} listings from {source} written to {out} (dropped: {dropped}). {result.attribution}")


@cli.command()
@click.option("--clinic", type=click.Path(dir_okay=False), help=f"Clinic profile (default {DEFAULT_CLINIC}, if present).")
def sources(clinic: str | None) -> None:
    """List every listing source: enabled for the clinic or not, what it needs, its licence."""
    from prospecting.config import load_profile
    from prospecting.sources import SOURCES

    enabled: tuple[str, ...] = ()
    if clinic or Path(DEFAULT_CLINIC).exists():
        enabled = load_profile(_clinic_path(clinic)).sources
    for name, source in SOURCES.items():
        state = "enabled" if name in enabled else "off"
        click.echo(f"{name:<13} {state:<8} {source.summary}")
        click.echo(f"{'':<22} needs: {source.needs}")
        click.echo(f"{'':<22} licence: {source.licence}")


@cli.command()
@click.argument("input_file", metavar="INPUT", type=click.Path(dir_okay=False))
@click.option("--out", required=True, type=click.Path(dir_okay=False), callback=_out_file, help="CSV file to write.")
@click.option("--explain", is_flag=True, help="Print each row's category and the evidence for it.")
@click.option("--websites", is_flag=True, help="Read each row's website first (polite, cached) for more evidence.")
@click.option("--clinic", type=click.Path(dir_okay=False), help="Profile for --websites: contact e-mail, crawl settings.")
def classify(input_file: str, out: str, explain: bool, websites: bool, clinic: str | None) -> None:
    """Add category, subcategory, confidence and evidence to each row of a CSV or GeoJSON file."""
    from prospecting import discovery, export
    from prospecting.classify import classify as classify_one
    from prospecting.classify import load_rules
    from prospecting.config import load_profile
    from prospecting.listings_io import read_table, table_listings

    table = read_table(Path(input_file))
    rules = load_rules()
    listings = table_listings(table)
    if websites:
        listings = discovery.read_websites(load_profile(_clinic_path(clinic)), listings)
    added = ["category", "subcategory", "confidence", "evidence"]
    rows: list[dict[str, Any]] = []
    for row, listing in zip(table.rows, listings, strict=True):
        c = classify_one(listing, rules)
        if explain:
            click.echo(f"{listing.name or '(no name)'}: {c.category} / {c.subcategory} ({c.confidence:.2f})")
            for line in c.evidence:
                click.echo(f"    {line}")
            if listing.website_error:
                click.echo(f"    website not read: {listing.website_error}")
        rows.append(
            row
            | {
                "category": c.category,
                "subcategory": c.subcategory,
                "confidence": c.confidence,
                "evidence": "; ".join(c.evidence),
            }
        )
    columns = table.columns + [c for c in added if c not in table.columns]
    export.write_csv(Path(out), columns, rows)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["category"]] = counts.get(row["category"], 0) + 1
    click.echo(f"{len(rows)} rows classified into {out}: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"))
    _echo_warnings(table)


@cli.command()
@click.argument("inputs", metavar="INPUT...", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--out", required=True, type=click.Path(dir_okay=False), callback=_out_file, help="CSV file to write.")
@click.option("--matching", type=click.Path(dir_okay=False), help="TOML laid over config/matching.toml, e.g. from fit-matching.")
def dedupe(inputs: tuple[str, ...], out: str, matching: str | None) -> None:
    """Give rows that describe the same business one prospect_id (with or without coordinates)."""
    import gc

    import numpy as np

    from prospecting import export
    from prospecting.match import label_records, load_settings, prospect_id

    settings = load_settings(Path(matching) if matching else None)
    # Millions of small objects that all live to the end: the cycle collector would only rescan them.
    gc.disable()
    try:
        records, keys = _read_records(inputs)
        labels = label_records(records, settings)
        # per cluster: its earliest member key names it, and its size
        clusters = pa.table({"label": labels, "key": keys}).group_by("label").aggregate([("key", "min"), ("key", "count")])
        row_of = np.empty(int(labels.max()) + 1 if len(labels) else 0, dtype=np.int64)
        row_of[clusters.column("label").to_numpy()] = np.arange(clusters.num_rows)
        names = pa.array([prospect_id([key]) for key in clusters.column("key_min").to_pylist()], pa.string())
        at = pa.array(row_of[labels])
        table = pa.table(
            {
                "source": arrow_texts(records.source),
                "id": arrow_texts(records.source_id),
                "prospect_id": names.take(at),
                "name": arrow_texts(records.name),
                "cluster_size": clusters.column("key_count").take(at),
            }
        )
        export.write_table_csv(Path(out), table, identifiers=("source", "id"))
        click.echo(f"{len(records)} rows, {clusters.num_rows} businesses, written to {out}")
    finally:
        gc.enable()


@cli.command("fit-matching")
@click.argument("inputs", metavar="INPUT...", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--truth", type=click.Path(dir_okay=False), help="CSV of source, id, entity for every input row.")
@click.option(
    "--pairs",
    type=click.Path(dir_okay=False),
    help="CSV of source_a, id_a, source_b, id_b, same (1/0): verdicts on some pairs, instead of --truth.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    callback=_out_file,
    help="Write the fitted [link] table here (for dedupe --matching).",
)
def fit_matching(inputs: tuple[str, ...], truth: str | None, pairs: str | None, out: str | None) -> None:
    """Fit the matching thresholds to labelled listings (F1 over all pairs, or over the labelled ones), and print them."""
    from prospecting import export
    from prospecting.match import load_settings
    from prospecting.match_fitting import Judge, fit, link_table, read_pairs, read_truth, truth_judge

    if (truth is None) == (pairs is None):
        raise InputError("fit-matching: give --truth FILE or --pairs FILE (one of them)")
    records, _ = _read_records(inputs)
    judge: Judge = truth_judge(read_truth(Path(truth), records)) if truth else read_pairs(Path(pairs or ""), records).counts
    fitted, before, after = fit([(records, judge)], load_settings())
    click.echo(f"config/matching.toml: {before}")
    click.echo(f"fitted:               {after}")
    table = link_table(fitted)
    if out:
        export.atomic_write_text(Path(out), table)
        click.echo(f"written to {out} (use: prospect dedupe ... --matching {out})")
    else:
        click.echo(table, nl=False)


@cli.command()
@click.option("--clinic", type=click.Path(dir_okay=False), help=f"Clinic profile (default {DEFAULT_CLINIC}).")
@click.option("--near", help="The area of a `--near` run instead of the clinic's own.")
@click.option(
    "--category", type=click.Choice(["fitness", "direct_primary_care", "functional_medicine"]), help="Only this category."
)
@click.option("--n", "count", default=20, show_default=True, type=click.IntRange(1, 1000), help="How many to show.")
def top(clinic: str | None, near: str | None, category: str | None, count: int) -> None:
    """Print the best-ranked prospects of the last run as a table."""
    import csv

    from prospecting import discovery
    from prospecting.config import load_profile

    profile = load_profile(_clinic_path(clinic))
    path = discovery.output_folder(profile, near) / "prospects-latest.csv"
    if not path.exists():
        raise InputError(f"{path}: no prospects yet (expected a run first: prospect discover)")
    with path.open(encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if not category or r["category"] == category][:count]
    if not rows:
        click.echo(f"No {category or 'partner'} prospects in {path}.")
        return
    width = shutil.get_terminal_size((120, 20)).columns
    table = [("#", "fit", "name", "kind", "mi", "stage", "contact")] + [
        (
            r["rank"],
            r["fit_score"],
            r["name"].lstrip("'"),
            r["subcategory"].replace("_", " "),
            f"{float(r['distance_mi']):.1f}" if r["distance_mi"] else "",
            r["stage"],
            r["phone"].lstrip("'") or r["website"] or r["email"],
        )
        for r in rows
    ]
    sizes = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    sizes[2] = min(sizes[2], max(12, width - sum(sizes) + sizes[2] - 2 * len(sizes)))
    for row in table:
        cells = [cell if len(cell) <= size else cell[: size - 1] + "…" for cell, size in zip(row, sizes, strict=True)]
        click.echo(
            "  ".join(
                c.rjust(s) if i in (0, 1, 4) else c.ljust(s) for i, (c, s) in enumerate(zip(cells, sizes, strict=True))
            ).rstrip()
        )
    click.echo(f"\n{path}  (next steps and conversation starters are in the CSV)")


def _clinic_store(clinic: str | None) -> tuple[str, Any]:
    """The clinic's slug and its store (the database of its profile's output folder, or PROSPECTING_DB_URL)."""
    from prospecting.config import load_profile
    from prospecting.store import Store, database_url

    profile = load_profile(_clinic_path(clinic))
    return profile.slug, Store(database_url(profile.output_dir))


def _date(value: str | None, what: str) -> date_type | None:
    if value is None:
        return None
    try:
        return date_type.fromisoformat(value)
    except ValueError as e:
        raise InputError(f"{what} {value!r} is not a date (expected YYYY-MM-DD)") from e


@cli.command()
@click.argument("prospect_id")
@click.argument("stage")
@click.option("--note", default="", help="A note, kept under today's date.")
@click.option("--next", "next_date", help="Next follow-up date (YYYY-MM-DD); default: the stage's cadence.")
@click.option("--owner", help="Who on the team looks after this relationship.")
@click.option("--clinic", type=click.Path(dir_okay=False), help=f"Clinic profile (default {DEFAULT_CLINIC}).")
def mark(prospect_id: str, stage: str, note: str, next_date: str | None, owner: str | None, clinic: str | None) -> None:
    """Move a prospect to an outreach stage (new, customer, rapport, asked_advice, partner, referring,
    not_a_fit, do_not_contact)."""
    from prospecting import outreach

    follow_up = _date(next_date, "--next")
    slug, store = _clinic_store(clinic)
    with store:
        result = outreach.mark(store, slug, prospect_id, stage.strip().lower(), date_type.today(), note, follow_up, owner)
    due = f", next follow-up {result.next_follow_up}" if result.next_follow_up else ""
    click.echo(f"{prospect_id}: {result.stage}{due}")


@cli.command()
@click.option("--clinic", type=click.Path(dir_okay=False), help=f"Clinic profile (default {DEFAULT_CLINIC}).")
@click.option("--by", "by_date", help="List what is due by this date (YYYY-MM-DD; default today).")
def followups(clinic: str | None, by_date: str | None) -> None:
    """List the follow-ups that are due (partners: a workshop every quarter)."""
    from prospecting import outreach

    today = _date(by_date, "--by") or date_type.today()
    slug, store = _clinic_store(clinic)
    with store:
        found = outreach.due(store, slug, today)
    if not found:
        click.echo(f"No follow-ups due by {today.isoformat()}.")
        return
    for f in found:
        contact = f.phone or f.website
        click.echo(f"{f.due}  {f.prospect_id}  {f.name or '(name unknown)'}  [{f.stage}]" + (f"  {contact}" if contact else ""))


@cli.command()
@click.argument("sheet", metavar="FILE.csv", type=click.Path(dir_okay=False))
@click.option("--clinic", type=click.Path(dir_okay=False), help=f"Clinic profile (default {DEFAULT_CLINIC}).")
def sync(sheet: str, clinic: str | None) -> None:
    """Bring back the stage and notes edited in an exported prospect CSV (nothing else changes)."""
    from prospecting import outreach

    rows = outreach.read_sheet(Path(sheet))
    slug, store = _clinic_store(clinic)
    with store:
        report = outreach.sync(store, slug, rows, Path(sheet))
    for line in report.conflicts:
        click.echo(f"conflict: {line}", err=True)
    click.echo(f"{len(report.applied)} prospects updated, {report.unchanged} unchanged, {len(report.conflicts)} conflicts.")
    if report.conflicts:
        sys.exit(EXIT_PARTIAL)


@cli.command()
@click.option("--clinic", type=click.Path(dir_okay=False), help=f"Clinic profile (default {DEFAULT_CLINIC}).")
@click.option("--cron", help='When to run, as cron in the clinic\'s timezone (default "0 6 * * 1": Mondays 06:00).')
@click.option("--register-only", is_flag=True, help="Register the schedule with the Prefect server and exit.")
def schedule(clinic: str | None, cron: str | None, register_only: bool) -> None:
    """Run discovery weekly: register the schedule with Prefect and serve it (runs while this runs)."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from flows.schedule import register, serve_weekly

    path = str(_clinic_path(clinic).resolve())
    deployment_id = register(path, cron)
    click.echo(f"Registered weekly discovery for {path} (deployment {deployment_id}).")
    if not register_only:
        click.echo("Serving: scheduled runs start from here; stop with Ctrl+C.")
        serve_weekly([path], cron)


@cli.command("setup-limits")
def setup_limits() -> None:
    """Create or update the request rate limits a fleet of Prefect workers shares (docs/scaling.md)."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect import get_client

    from flows.limits import HOSTS, host_overrides
    from flows.limits import setup_limits as apply_limits
    from flows.schedule import require_api

    url = require_api()
    overrides = host_overrides()  # checked here, so a malformed PROSPECTING_RATE_LIMITS is found before any run
    with get_client(sync_client=True) as client:
        done = apply_limits(client)
    for limit, action in done:
        hosts = [h for h, name in {**HOSTS, **overrides}.items() if name == limit.name]
        where = f" ({', '.join(hosts)})" if hosts else ""
        click.echo(
            f"{limit.name}{where}: 1 request per {limit.interval:g} s "
            f"(slot_decay_per_second {limit.slot_decay_per_second:g}): {action}"
        )
    click.echo(f"{len(done)} limits on {url}; websites get `website:<host>` limits on first use.")


def _read_records(inputs: tuple[str, ...]) -> tuple[ListingColumns, pa.ChunkedArray]:
    """The rows of every input file as columns, and their `source:id` keys; InputError when a key repeats."""
    import pyarrow.compute as pc

    from prospecting.listings_io import read_table, table_columns

    parts: list[ListingColumns] = []
    for name in inputs:
        table = read_table(Path(name))
        parts.append(table_columns(table))
        _echo_warnings(table)
    records = ListingColumns.concat(parts)
    keys = pc.binary_join_element_wise(arrow_texts(records.source), arrow_texts(records.source_id), ":")
    if pc.count_distinct(keys).as_py() < len(keys):
        _raise_repeated_key(inputs, parts)
    return records, keys


def _raise_repeated_key(inputs: tuple[str, ...], parts: list[ListingColumns]) -> None:
    """Name the first `source:id` that repeats, where it is and where it was first (only when one does)."""
    first: dict[tuple[str, str], tuple[str, int]] = {}
    for name, part in zip(inputs, parts, strict=True):
        for row, key in enumerate(zip(texts(part.source), texts(part.source_id), strict=True), start=1):
            if key in first:
                earlier = first[key]
                raise InputError(
                    f"{name}: row {row}: id {key[1]!r} of source {key[0]!r} repeats {earlier[0]} row {earlier[1]} "
                    "(expected unique ids)"
                )
            first[key] = (name, row)


def _echo_warnings(table: Table) -> None:
    for line in table.warnings:
        click.echo(f"warning: {line}", err=True)
    for reason, count in table.skipped.items():
        click.echo(f"warning: {table.path}: {count} rows with {reason}", err=True)


def main() -> None:
    cli(prog_name="prospect")


if __name__ == "__main__":
    main()
