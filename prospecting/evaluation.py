"""Precision and recall of the classifier on a labelled set of listings.

A labelled set is a folder with `listings.csv` (`id, source, name, categories, website,
expected_category, expected_subcategory, hard_case`) and `sites/<id>.html`, the text of each
listed website. `benchmarks/evaluate_classifier.py` prints the figures; a test holds the bar.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from prospecting.classify import CATEGORIES, Rules, classify
from prospecting.extract import Vocabulary, site_facts
from prospecting.listings_io import split_labels
from prospecting.models import Classification, Listing


@dataclass(frozen=True)
class Labelled:
    listing: Listing
    category: str
    subcategory: str
    hard_case: str


@dataclass(frozen=True)
class Score:
    category: str
    precision: float
    recall: float
    support: int
    predicted: int


def load_labelled(folder: Path, vocabulary: Vocabulary) -> list[Labelled]:
    cases = []
    with (folder / "listings.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            page = folder / "sites" / f"{row['id']}.html"
            facts = site_facts([("/", page.read_text(encoding="utf-8"))], vocabulary) if page.exists() else ()
            listing = Listing(
                source=row["source"],
                source_id=row["id"],
                name=row["name"],
                website=row["website"],
                categories=tuple(split_labels(row["categories"])),
                facts=facts,
            )
            cases.append(Labelled(listing, row["expected_category"], row["expected_subcategory"], row["hard_case"]))
    return cases


def without_websites(cases: Sequence[Labelled]) -> list[Labelled]:
    return [replace(c, listing=replace(c.listing, facts=(), website="")) for c in cases]


def predict(cases: Sequence[Labelled], rules: Rules) -> list[Classification]:
    return [classify(c.listing, rules) for c in cases]


def scores(cases: Sequence[Labelled], predictions: Sequence[Classification]) -> list[Score]:
    result = []
    for category in CATEGORIES:
        truth = [c.category == category for c in cases]
        said = [p.category == category for p in predictions]
        hits = sum(t and s for t, s in zip(truth, said, strict=True))
        result.append(
            Score(
                category,
                precision=hits / sum(said) if sum(said) else 1.0,
                recall=hits / sum(truth) if sum(truth) else 1.0,
                support=sum(truth),
                predicted=sum(said),
            )
        )
    return result
