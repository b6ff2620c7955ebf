"""Write what a run found: the ranked prospect CSV (contract), the excluded CSV, listing CSVs.

Every file is written whole or not at all (a temporary file in the same folder, then an atomic
rename), and every text cell a spreadsheet would run as a formula is neutralised.
"""

from __future__ import annotations

import csv
import glob
import html
import io
import json
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from prospecting.geo import KM_PER_MILE, haversine_km
from prospecting.models import Listing, Outreach, Point, Prospect, RankedProspect

if TYPE_CHECKING:
    from prospecting.outreach import FollowUp

PROSPECT_COLUMNS = (
    "rank prospect_id name category subcategory fit_score why distance_mi distance_km address city state "
    "postcode phone website email instagram facebook latitude longitude sources first_seen last_seen status "
    "stage next_step conversation_starter notes "
    # beyond the contract: the parts of the score and where the data came from
    "confidence evidence score_niche score_proximity score_evidence score_cash_pay score_reachability "
    "score_independence penalties licence location_precision people website_error "
    # the relationship, from the store (`prospect sync` reads stage and notes back; stage_updated dates them)
    "owner last_contact next_follow_up referrals_received stage_updated workshop"
).split()
GONE_COLUMNS = "prospect_id name category subcategory address phone website sources first_seen last_seen status_since".split()
LISTING_COLUMNS = (
    "id source name latitude longitude address city state postcode phone website email instagram facebook "
    "categories brand operator fetched_at licence location_precision people"
).split()
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset(FORMULA_START)
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def neutralise(value: Any) -> str:
    """A cell as text that no spreadsheet evaluates: formula-like text gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    text = value if type(value) is str else str(value)
    if text[:1] in _FORMULA_FIRST and text and not _NUMBER.match(text):
        return "'" + text
    return text


# An identifier such as a review site's `-oaCRZA3S4ztqxurmstsxW` starts like a formula but, with
# no spaces, brackets, quotes, pipes or "!", can do nothing in a spreadsheet; changing it would
# break every join on it.
_PLAIN_TOKEN = r"^[-A-Za-z0-9._:/]+$"


def neutralise_column(column: pa.ChunkedArray, identifier: bool = False) -> pa.ChunkedArray:
    """`neutralise` over a column of Arrow text at once (a million cells in milliseconds); an
    `identifier` column keeps plain tokens as they are."""
    first = "^[" + "".join(re.escape(c) for c in FORMULA_START) + "]"
    risky = pc.and_(pc.match_substring_regex(column, first), pc.invert(pc.match_substring_regex(column, _NUMBER.pattern)))
    if identifier:
        risky = pc.and_(risky, pc.invert(pc.match_substring_regex(column, _PLAIN_TOKEN)))
    neutralised: pa.ChunkedArray = pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)
    return neutralised


def write_table_csv(path: Path, table: pa.Table, identifiers: Sequence[str] = ()) -> None:
    """Write an Arrow table as CSV atomically, its text columns neutralised (`identifiers` as such)."""
    safe = pa.table(
        [
            neutralise_column(column, name in identifiers) if pa.types.is_string(column.type) else column
            for name, column in zip(table.column_names, table.columns, strict=True)
        ],
        names=table.column_names,
    )
    atomic_write(path, lambda f: pacsv.write_csv(safe, f, pacsv.WriteOptions(quoting_style="needed")), binary=True)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda f: f.write(text))


def atomic_write(path: Path, write: Any, binary: bool = False) -> None:
    """Call `write(file)` on a temporary file beside `path`, then rename it over `path`.

    A failure (or a kill) before the rename leaves the previous file untouched.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):  # left by a writer that was killed
        stale.unlink(missing_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") if binary else tmp.open("w", encoding="utf-8", newline="") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> int:
    """Write rows (dicts) atomically with neutralised cells; returns the number of rows."""
    count = 0

    def write(f: io.TextIOBase) -> None:
        nonlocal count
        writer = csv.writer(f)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([neutralise(row.get(c)) for c in columns])
            count += 1

    atomic_write(path, write)
    return count


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def prospect_row(p: Prospect, centre: Point, run_date: str) -> dict[str, Any]:
    distance = haversine_km(centre, p.point) if p.point else None
    c = p.classification
    return {
        "prospect_id": p.prospect_id,
        "name": p.name,
        "category": c.category,
        "subcategory": c.subcategory,
        "distance_mi": _round(distance / KM_PER_MILE if distance is not None else None, 3),
        "distance_km": _round(distance, 3),
        "address": p.address,
        "city": p.city,
        "state": p.state,
        "postcode": p.postcode,
        "phone": p.phone,
        "website": p.website,
        "email": p.email,
        "instagram": p.instagram,
        "facebook": p.facebook,
        "latitude": p.latitude,
        "longitude": p.longitude,
        "sources": ";".join(p.members),
        "first_seen": p.first_seen,
        "last_seen": run_date,
        "status": p.status,
        "confidence": c.confidence,
        "evidence": "; ".join(c.evidence),
        "licence": ";".join(p.licences),
        "location_precision": p.location_precision,
        "people": "; ".join(p.people),
        "website_error": p.website_error,
    }


def relationship(outreach: Outreach | None) -> dict[str, Any]:
    o = outreach or Outreach()
    return {
        "stage": o.stage,
        "notes": o.notes,
        "owner": o.owner,
        "last_contact": o.last_contact,
        "next_follow_up": o.next_follow_up,
        "referrals_received": o.referrals_received,
        "stage_updated": o.updated_at,
    }


def ranked_rows(
    ranked: Sequence[RankedProspect], centre: Point, run_date: str, outreach: Mapping[str, Outreach] | None = None
) -> list[dict[str, Any]]:
    rows = []
    for r in ranked:
        row = prospect_row(r.prospect, centre, run_date) | relationship((outreach or {}).get(r.prospect.prospect_id))
        row.update(
            rank=r.rank,
            fit_score=r.fit_score,
            why=r.why,
            **{f"score_{k}": v for k, v in r.components.items()},
            penalties="; ".join(f"{k} -{v:g}" for k, v in r.penalties.items()),
        )
        rows.append(row)
    return rows


def excluded_rows(
    prospects: Sequence[Prospect], centre: Point, run_date: str, outreach: Mapping[str, Outreach] | None = None
) -> list[dict[str, Any]]:
    """Competitors and `other`, nearest first within each category; no rank or score."""
    rows = [prospect_row(p, centre, run_date) | relationship((outreach or {}).get(p.prospect_id)) for p in prospects]
    rows.sort(key=lambda r: (r["category"], r["distance_km"] if r["distance_km"] is not None else float("inf"), r["name"]))
    return rows


def listing_row(listing: Listing) -> dict[str, Any]:
    return {
        "id": listing.source_id,
        "source": listing.source,
        "name": listing.name,
        "latitude": listing.latitude,
        "longitude": listing.longitude,
        "address": listing.address,
        "city": listing.city,
        "state": listing.state,
        "postcode": listing.postcode,
        "phone": listing.phone,
        "website": listing.website,
        "email": listing.email,
        "instagram": listing.instagram,
        "facebook": listing.facebook,
        "categories": ";".join(listing.categories),
        "brand": listing.brand,
        "operator": listing.operator,
        "fetched_at": listing.fetched_at,
        "licence": listing.licence,
        "location_precision": listing.location_precision,
        "people": "; ".join(listing.people),
    }


def write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")  # emphasis, code, links, tables; we start every line ourselves


def md(text: Any) -> str:
    """Listing text made inert in Markdown: HTML escaped, Markdown's punctuation backslashed, one line."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(" ".join(str(text).split()), quote=False))


def digest(
    summary: Mapping[str, Any], new: Sequence[Mapping[str, Any]], gone: Sequence[Mapping[str, Any]], followups: Sequence[FollowUp]
) -> str:
    """The week in one page: new prospects by category, gone ones, follow-ups due, source health."""
    lines = [f"# Prospects for {md(summary.get('clinic', ''))}: week of {summary.get('date', '')}", ""]
    if summary.get("near"):
        lines += [f"Area: near {md(summary['near'])}", ""]
    lines += [f"## New this week ({len(new)})", ""]
    by_category: dict[str, list[Mapping[str, Any]]] = {}
    for row in new:
        by_category.setdefault(str(row["category"]), []).append(row)
    for category in sorted(by_category):
        rows = by_category[category]
        lines.append(f"### {md(category.replace('_', ' '))} ({len(rows)})")
        for row in rows[:10]:
            distance = f", {row['distance_mi']:.1f} mi" if isinstance(row.get("distance_mi"), float) else ""
            lines.append(
                f"- {md(row['name'])}: {md(str(row['subcategory']).replace('_', ' '))}{distance}, fit {row['fit_score']}"
            )
        if len(rows) > 10:
            lines.append(f"- and {len(rows) - 10} more in new-this-week.csv")
        lines.append("")
    if not new:
        lines += ["Nothing new since the last run.", ""]
    lines += [f"## Gone ({len(gone)})", ""]
    lines += [
        f"- {md(row['name'])} ({md(str(row['subcategory']).replace('_', ' '))}), last seen {row['last_seen']}" for row in gone
    ] or ["Nothing has gone."]
    lines += ["", f"## Follow-ups due ({len(followups)})", ""]
    lines += [f"- {f.due}: {md(f.name or f.prospect_id)} ({md(f.stage.replace('_', ' '))})" for f in followups] or ["None due."]
    lines += ["", "## Sources", ""]
    for name, report in sorted(summary.get("sources", {}).items()):
        if report.get("status") == "ok":
            lines.append(f"- {md(name)}: ok, {report.get('listings', 0)} listings")
        else:
            lines.append(f"- {md(name)}: failed: {md(report.get('error', ''))}")
    attribution = summary.get("attribution") or []
    if attribution:
        lines += ["", "Data: " + "; ".join(md(a) for a in attribution)]
    return "\n".join(lines) + "\n"
