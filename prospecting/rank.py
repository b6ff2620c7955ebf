"""Score each partner prospect by fit with the clinic's niche, and order them.

fit_score is a documented weighted mean of components in [0, 1], less penalty points, all data
in `config/niches.toml` (a clinic profile may set its own weights): niche affinity (with a
keyword boost from the name or the website), proximity (exponential decay relative to the
radius), evidence (classification confidence), cash-pay alignment, reachability and
independence. Ties are broken by distance, then name, then prospect_id, so the order is the
same on every run.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from prospecting.errors import ConfigError
from prospecting.geo import KM_PER_MILE, haversine_km
from prospecting.models import Fact, Point, Prospect, RankedProspect
from prospecting.resources import config_dir, config_table

COMPONENTS = ("niche", "proximity", "evidence", "cash_pay", "reachability", "independence")
PENALTIES = ("in_house_pt", "hospital_owned", "low_confidence")


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
    cash_pay: Mapping[str, float]
    cash_pay_signals: Mapping[str, float]
    reachability: Mapping[str, float]
    independent: float
    chain: float
    branch_count: int
    chain_brands: tuple[str, ...]
    penalties: Mapping[str, float]
    low_confidence_below: float
    hospital_words: re.Pattern[str]

    @classmethod
    def for_niche(cls, niche: str, weights: Mapping[str, float] | None = None, table: Mapping[str, Any] | None = None) -> Scoring:
        """The scoring of a niche; `weights` (a clinic's own) replace the defaults they name."""
        table = config_table("niches") if table is None else table
        where = config_dir() / "niches.toml"
        profile = table.get("niches", {}).get(niche)
        if profile is None:
            raise ConfigError(f"{where}: niches.{niche}: missing (expected a niche profile table)")
        chosen = {k: float(table["weights"].get(k, 0.0)) for k in COMPONENTS} | dict(weights or {})
        if sum(chosen.values()) <= 0:
            raise ConfigError(f"{where}: weights: all zero (expected positive weights for {', '.join(COMPONENTS)})")
        scoring, cash, independence, penalties = table["scoring"], table["cash_pay"], table["independence"], table["penalties"]
        words = "|".join(re.escape(w) for w in penalties.get("hospital_words", []))
        return cls(
            niche=niche,
            label=str(profile.get("label", niche)),
            affinity={k: float(v) for k, v in profile.get("affinity", {}).items()},
            keywords=tuple(re.compile(rf"\b{re.escape(k)}", re.IGNORECASE) for k in profile.get("keywords", [])),
            weights=chosen,
            half_life_of_radius=float(scoring["half_life_of_radius"]),
            keyword_boost=float(scoring["keyword_boost"]),
            default_affinity=float(scoring["default_affinity"]),
            cash_pay={k: float(v) for k, v in cash.items() if not isinstance(v, dict)},
            cash_pay_signals={k: float(v) for k, v in cash.get("signals", {}).items()},
            reachability={k: float(v) for k, v in table["reachability"].items()},
            independent=float(independence["independent"]),
            chain=float(independence["chain"]),
            branch_count=int(independence["branch_count"]),
            chain_brands=tuple(b.lower() for b in independence.get("chain_brands", [])),
            penalties={k: float(penalties.get(k, 0.0)) for k in PENALTIES},
            low_confidence_below=float(penalties.get("low_confidence_below", 0.0)),
            hospital_words=re.compile(rf"\b(?:{words})\b" if words else r"(?!)", re.IGNORECASE),
        )


@dataclass(frozen=True)
class Score:
    fit: float
    components: dict[str, float]
    penalties: dict[str, float]
    why: str


def _signals(prospect: Prospect) -> set[str]:
    return {f.value for f in prospect.facts if f.kind == "signal"}


def _chain_name(prospect: Prospect, s: Scoring, branches: Mapping[str, int]) -> str | None:
    """Why a prospect is a chain's branch (its brand, a known chain's name, or a shared name), or None."""
    if prospect.brand:
        return f"brand {prospect.brand}"
    lowered = prospect.name.lower()
    known = next((b for b in s.chain_brands if lowered.startswith(b)), None)
    if known:
        return known.title() if known.islower() else known
    if branches.get(lowered, 0) >= s.branch_count:
        return f"{branches[lowered]} branches here"
    return None


def score(
    prospect: Prospect, distance_km: float | None, radius_km: float, s: Scoring, branches: Mapping[str, int] | None = None
) -> Score:
    """fit_score, its components and penalties, and `why`, for one prospect."""
    c = prospect.classification
    signals = _signals(prospect)
    affinity = s.affinity.get(c.subcategory, s.default_affinity)
    keyword = next((m.group(0) for k in s.keywords if (m := k.search(prospect.name))), None)
    said = None if keyword else _site_term(prospect, s)
    niche = min(1.0, affinity + (s.keyword_boost if keyword or said else 0.0))
    proximity = 0.5 ** (distance_km / (radius_km * s.half_life_of_radius)) if distance_km is not None else 0.0
    cash = s.cash_pay.get(c.subcategory, s.cash_pay.get("default", 0.5))
    cash = min(1.0, max(0.0, cash + sum(v for k, v in s.cash_pay_signals.items() if k in signals)))
    ways = [w for w in s.reachability if getattr(prospect, w, "")]
    reach = min(1.0, sum(s.reachability[w] for w in ways))
    chain = _chain_name(prospect, s, branches or {})
    components = {
        "niche": round(niche, 3),
        "proximity": round(proximity, 3),
        "evidence": round(c.confidence, 3),
        "cash_pay": round(cash, 3),
        "reachability": round(reach, 3),
        "independence": s.chain if chain else s.independent,
    }
    owner = s.hospital_words.search(f"{prospect.name} {prospect.brand}")
    penalties = {
        "in_house_pt": s.penalties["in_house_pt"] if "in_house_pt" in signals else 0.0,
        "hospital_owned": s.penalties["hospital_owned"] if owner else 0.0,
        "low_confidence": s.penalties["low_confidence"] if c.confidence < s.low_confidence_below else 0.0,
    }
    total = sum(s.weights.values())
    weighted = 100 * sum(s.weights.get(k, 0.0) * components[k] for k in COMPONENTS) / total
    fit = round(min(100.0, max(0.0, weighted - sum(penalties.values()))), 1)

    parts = [f"{c.subcategory.replace('_', ' ')}: niche fit {niche:.2f} for {s.label}"]
    if keyword:
        parts[0] += f' (name says "{keyword}")'
    elif said:
        parts[0] += f' (website {said.page} says "{said.value}")'
    parts.append(f"{distance_km / KM_PER_MILE:.1f} mi away" if distance_km is not None else "location unknown")
    parts.append(f"evidence {c.confidence:.2f}: " + "; ".join(c.evidence[:2]))
    parts.append(f"cash-pay {cash:.2f}")
    parts.append(f"reach {reach:.2f} ({', '.join(ways) or 'no contact found'})")
    parts.append(f"chain ({chain})" if chain else "independent")
    labels = {"in_house_pt": "physical therapy in house", "hospital_owned": "hospital-owned", "low_confidence": "low confidence"}
    parts += [f"-{points:g} {labels[k]}" for k, points in penalties.items() if points]
    return Score(fit, components, {k: v for k, v in penalties.items() if v}, " | ".join(parts))


def _site_term(prospect: Prospect, s: Scoring) -> Fact | None:
    """The first niche keyword the prospect's website uses."""
    return next((f for f in prospect.facts if f.kind == "term" and any(k.fullmatch(f.value) for k in s.keywords)), None)


def rank_prospects(prospects: Sequence[Prospect], centre: Point, radius_km: float, scoring: Scoring) -> list[RankedProspect]:
    branches = Counter(p.name.lower() for p in prospects)
    scored = []
    for p in prospects:
        distance = haversine_km(centre, p.point) if p.point else None
        result = score(p, distance, radius_km, scoring, branches)
        scored.append((result, distance, p))
    scored.sort(key=lambda t: (-t[0].fit, t[1] if t[1] is not None else float("inf"), t[2].name.lower(), t[2].prospect_id))
    return [
        RankedProspect(
            prospect=p,
            rank=n,
            fit_score=result.fit,
            components=result.components,
            why=result.why,
            distance_km=distance,
            penalties=result.penalties,
        )
        for n, (result, distance, p) in enumerate(scored, start=1)
    ]
