"""Put each listing in a partner category, with the evidence that put it there.

The rules are data (`config/categories.toml`); this module only applies them. Version 1 reads
source labels and names; website facts join the evidence in a later stage.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from prospecting.errors import ConfigError
from prospecting.models import Classification, ClassifiedListing, Fact, Listing
from prospecting.resources import config_dir, config_table

CATEGORIES = ("fitness", "direct_primary_care", "functional_medicine", "competitor", "other")
PARTNER_CATEGORIES = ("fitness", "direct_primary_care", "functional_medicine")


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    subcategory: str
    weight: float
    labels: frozenset[str]
    labels_all: frozenset[str]
    name: tuple[re.Pattern[str], ...]
    require_all: bool
    site: tuple[str, ...] = ()
    site_all: tuple[str, ...] = ()

    def evidence(self, listing: Listing, labels: frozenset[str], site: Mapping[str, Fact]) -> tuple[str, float] | None:
        """(a readable line of evidence, the weight earned) when the rule matches, else None.

        Labels, name and website that each say it are separate signals: the weight counts
        once per signal, as 1 - (1 - w)^n, unless the rule needs all of them (`require = "all"`).
        """
        found: list[str] = []
        conditions: list[bool] = []
        if self.site:
            fact = next((site[label] for label in self.site if label in site), None)
            conditions.append(fact is not None)
            if fact is not None:
                found.append(_cite(fact))
        if self.site_all:
            facts = [site[label] for label in self.site_all if label in site]
            conditions.append(len(facts) == len(self.site_all))
            if conditions[-1]:
                found.append(" + ".join(_cite(f) for f in facts))
        if self.labels:
            hit = sorted(self.labels & labels)
            conditions.append(bool(hit))
            if hit:
                found.append(f"{listing.source} label {hit[0]}")
        if self.labels_all:
            conditions.append(self.labels_all <= labels)
            if conditions[-1]:
                found.append(f"{listing.source} labels {' + '.join(sorted(self.labels_all))}")
        if self.name:
            texts = [t for t in (listing.name, listing.brand, listing.operator) if t]
            match = next((m for p in self.name for t in texts if (m := p.search(t))), None)
            conditions.append(match is not None)
            if match is not None:
                found.append(f'name "{match.string}" says "{match.group(0).strip()}"')
        matched = all(conditions) if self.require_all else any(conditions)
        if not (matched and conditions):
            return None
        signals = 1 if self.require_all else sum(conditions)
        return "; ".join(found), 1 - (1 - self.weight) ** signals


def _cite(fact: Fact) -> str:
    """`website /pricing: "membership $79/month"`: where a reader can check it."""
    if fact.kind == "signal":
        return f'website {fact.page}: "{fact.quote}"'
    return f"website {fact.page}: {fact.quote or fact.value}"


@dataclass(frozen=True)
class Rules:
    rules: tuple[Rule, ...]
    precedence: tuple[str, ...]
    min_partner_confidence: float = 0.0


def normalise_label(label: str) -> str:
    """`"Yoga Studio"` -> `"yoga_studio"`; OSM `key=value` labels keep their `=` and `:`."""
    return re.sub(r"[\s\-/,]+", "_", label.strip().lower())


def load_rules(table: Mapping[str, Any] | None = None) -> Rules:
    """Rules from `config/categories.toml` (or a table of the same shape), checked."""
    where = str(config_dir() / "categories.toml")
    table = config_table("categories") if table is None else table
    precedence = tuple(table.get("precedence", CATEGORIES))
    if sorted(precedence) != sorted(CATEGORIES):
        raise ConfigError(f"{where}: precedence: {list(precedence)} (expected each of {', '.join(CATEGORIES)} once)")
    rules: list[Rule] = []
    for n, raw in enumerate(table.get("rule", [])):
        at = f"{where}: rule[{n}] ({raw.get('id', '?')})"
        if raw.get("category") not in CATEGORIES:
            raise ConfigError(f"{at}: category: {raw.get('category')!r} (expected one of {', '.join(CATEGORIES)})")
        weight = raw.get("weight")
        if not isinstance(weight, int | float) or not 0 < weight <= 1:
            raise ConfigError(f"{at}: weight: {weight!r} (expected a number in (0, 1])")
        if raw.get("require", "any") not in ("any", "all"):
            raise ConfigError(f"{at}: require: {raw.get('require')!r} (expected any or all)")
        try:
            patterns = tuple(re.compile(p, re.IGNORECASE) for p in raw.get("name", []))
        except re.error as e:
            raise ConfigError(f"{at}: name: bad regular expression: {e}") from e
        rules.append(
            Rule(
                id=str(raw.get("id", f"rule{n}")),
                category=raw["category"],
                subcategory=str(raw.get("subcategory", raw["category"])),
                weight=float(weight),
                labels=frozenset(normalise_label(x) for x in raw.get("labels", [])),
                labels_all=frozenset(normalise_label(x) for x in raw.get("labels_all", [])),
                name=patterns,
                require_all=raw.get("require", "any") == "all",
                site=tuple(str(x).lower() for x in raw.get("site", [])),
                site_all=tuple(str(x).lower() for x in raw.get("site_all", [])),
            )
        )
    threshold = table.get("min_partner_confidence", 0.0)
    if not isinstance(threshold, int | float) or not 0 <= threshold < 1:
        raise ConfigError(f"{where}: min_partner_confidence: {threshold!r} (expected a number in [0, 1))")
    return Rules(tuple(rules), precedence, float(threshold))


def classify(listing: Listing, rules: Rules) -> Classification:
    labels = frozenset(normalise_label(c) for c in listing.categories)
    site = {fact.label: fact for fact in reversed(listing.facts)}  # the first page that says it
    pooled: dict[tuple[str, str], float] = {}  # (category, subcategory) -> combined weight
    evidence: dict[str, list[tuple[float, str]]] = {}
    for rule in rules.rules:
        found = rule.evidence(listing, labels, site)
        if found is None:
            continue
        line, weight = found
        key = (rule.category, rule.subcategory)
        pooled[key] = 1 - (1 - pooled.get(key, 0.0)) * (1 - weight)
        evidence.setdefault(rule.category, []).append((weight, line))
    score: dict[str, float] = {}
    best: dict[str, tuple[float, str]] = {}  # category -> (combined weight, subcategory) of its strongest subcategory
    for (category, subcategory), weight in pooled.items():
        if category == "other":
            # `other` is a bucket of unrelated kinds: acupuncture and urgent care do not add up.
            score[category] = max(score.get(category, 0.0), weight)
        else:
            score[category] = 1 - (1 - score.get(category, 0.0)) * (1 - weight)
        if category not in best or weight > best[category][0]:
            best[category] = (weight, subcategory)
    if not score:
        return Classification("other", "unclassified", 0.0, ("no category signal in labels or name",))
    order = {c: i for i, c in enumerate(rules.precedence)}
    winner = max(score, key=lambda c: (round(score[c], 9), -order[c]))
    # strongest evidence first, so a one-line summary cites what weighed most
    lines = tuple(dict.fromkeys(line for _, line in sorted(evidence[winner], key=lambda e: -e[0])))
    if winner in PARTNER_CATEGORIES and score[winner] < rules.min_partner_confidence:
        # Thin evidence: better a candidate to check than a false partner.
        thin = f"too little evidence for {winner.replace('_', ' ')} ({score[winner]:.2f})"
        return Classification("other", "unclassified", round(score[winner], 3), (thin, *lines))
    return Classification(winner, best[winner][1], round(score[winner], 3), lines)


def classify_all(listings: Iterable[Listing], rules: Rules | None = None) -> list[ClassifiedListing]:
    rules = rules or load_rules()
    return [ClassifiedListing(listing, classify(listing, rules)) for listing in listings]
