"""Score each partner prospect by fit with the clinic's niche, and order them.

fit_score is a documented weighted mean of components in [0, 1], all data in
`config/niches.toml`: niche affinity (with a keyword boost), proximity (exponential decay
relative to the radius) and evidence (classification confidence). Ties are broken by
distance, then name, then prospect_id, so the order is the same on every run.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from prospecting.errors import ConfigError
from prospecting.geo import KM_PER_MILE, haversine_km
from prospecting.models import Fact, Point, Prospect, RankedProspect
from prospecting.resources import config_dir, config_table

COMPONENTS = ("niche", "proximity", "evidence")


@dataclass(frozen=True)
class Scoring:
    niche: str
    label: str
    affinity: Mapping[str, float]
    keywords: tuple[re.Pattern[str], ...]
    weights: Mapping[str, float]
    half_life_of_radius: float
    keyword_boost: float
    default_affinity: float

    @classmethod
    def for_niche(cls, niche: str, table: Mapping[str, Any] | None = None) -> Scoring:
        table = config_table("niches") if table is None else table
        where = config_dir() / "niches.toml"
        profile = table.get("niches", {}).get(niche)
        if profile is None:
            raise ConfigError(f"{where}: niches.{niche}: missing (expected a niche profile table)")
        weights = {k: float(table["weights"].get(k, 0.0)) for k in COMPONENTS}
        if sum(weights.values()) <= 0:
            raise ConfigError(f"{where}: weights: all zero (expected positive weights for {', '.join(COMPONENTS)})")
        scoring = table["scoring"]
        return cls(
            niche=niche,
            label=str(profile.get("label", niche)),
            affinity={k: float(v) for k, v in profile.get("affinity", {}).items()},
            keywords=tuple(re.compile(rf"\b{re.escape(k)}", re.IGNORECASE) for k in profile.get("keywords", [])),
            weights=weights,
            half_life_of_radius=float(scoring["half_life_of_radius"]),
            keyword_boost=float(scoring["keyword_boost"]),
            default_affinity=float(scoring["default_affinity"]),
        )


def score(prospect: Prospect, distance_km: float | None, radius_km: float, s: Scoring) -> tuple[float, dict[str, float], str]:
    """(fit_score, components, why) for one prospect."""
    c = prospect.classification
    affinity = s.affinity.get(c.subcategory, s.default_affinity)
    keyword = next((m.group(0) for k in s.keywords if (m := k.search(prospect.name))), None)
    said = None if keyword else _site_term(prospect, s)
    niche = min(1.0, affinity + (s.keyword_boost if keyword or said else 0.0))
    proximity = 0.5 ** (distance_km / (radius_km * s.half_life_of_radius)) if distance_km is not None else 0.0
    components = {"niche": round(niche, 3), "proximity": round(proximity, 3), "evidence": round(c.confidence, 3)}
    total = sum(s.weights.values())
    fit = round(100 * sum(s.weights[k] * components[k] for k in COMPONENTS) / total, 1)
    parts = [f"{c.subcategory.replace('_', ' ')}: niche fit {niche:.2f} for {s.label}"]
    if keyword:
        parts[0] += f' (name says "{keyword}")'
    elif said:
        parts[0] += f' (website {said.page} says "{said.value}")'
    if distance_km is not None:
        parts.append(f"{distance_km / KM_PER_MILE:.1f} mi away")
    else:
        parts.append("location unknown")
    parts.append(f"evidence {c.confidence:.2f}: " + "; ".join(c.evidence[:2]))
    return fit, components, " | ".join(parts)


def _site_term(prospect: Prospect, s: Scoring) -> Fact | None:
    """The first niche keyword the prospect's website uses."""
    return next((f for f in prospect.facts if f.kind == "term" and any(k.fullmatch(f.value) for k in s.keywords)), None)


def rank_prospects(prospects: Sequence[Prospect], centre: Point, radius_km: float, scoring: Scoring) -> list[RankedProspect]:
    scored = []
    for p in prospects:
        distance = haversine_km(centre, p.point) if p.point else None
        fit, components, why = score(p, distance, radius_km, scoring)
        scored.append((fit, distance, p, components, why))
    scored.sort(key=lambda t: (-t[0], t[1] if t[1] is not None else float("inf"), t[2].name.lower(), t[2].prospect_id))
    return [
        RankedProspect(prospect=p, rank=n, fit_score=fit, components=components, why=why, distance_km=distance)
        for n, (fit, distance, p, components, why) in enumerate(scored, start=1)
    ]
