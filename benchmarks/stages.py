"""Time each library stage on a synthetic area and print the figures.

    .venv/bin/python benchmarks/stages.py [--listings 5000] [--seed 7]

A synthetic area: N listings of OSM-like shape scattered within 8 km of a centre, a tenth of them
repeated as a second record a few metres away with a respelled name (the node-and-way case).
Prints listings, candidate pairs, links, prospects and seconds per stage, and peak memory.
"""

from __future__ import annotations

import argparse
import random
import resource
import time
from collections.abc import Callable
from typing import TypeVar

from prospecting import classify, match, rank
from prospecting.models import Listing, Point

T = TypeVar("T")
CENTRE = Point(32.779, -79.937)
KINDS = [
    (("leisure=fitness_centre", "sport=yoga"), "Yoga"),
    (("leisure=fitness_centre", "sport=pilates"), "Pilates"),
    (("leisure=fitness_centre",), "Fitness"),
    (("amenity=gym",), "Gym"),
    (("shop=sports",), "Running Co"),
    (("amenity=doctors",), "Family Medicine"),
    (("healthcare=alternative", "healthcare:speciality=naturopathy"), "Naturopathic"),
    (("healthcare=physiotherapist",), "Physical Therapy"),
]
WORDS = "Harbor Palmetto Lowcountry Tidewater Marsh Oak Magnolia Cooper Ashley Battery Folly Shem Creek Island Summit".split()


def synthetic(n: int, rng: random.Random) -> list[Listing]:
    listings = []
    for i in range(n):
        labels, word = rng.choice(KINDS)
        lat = CENTRE.latitude + rng.uniform(-0.07, 0.07)
        lon = CENTRE.longitude + rng.uniform(-0.085, 0.085)
        name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {word}"
        phone = f"+1 843-555-{i % 10000:04d}"
        listings.append(Listing("syn", f"node/{i}", name, lat, lon, phone=phone, categories=labels))
        if i % 10 == 0:
            listings.append(Listing("syn", f"way/{i}", name.upper() + " LLC", lat + 0.0002, lon + 0.0002, categories=labels))
    return listings


def timed(label: str, rows: list[tuple[str, float, str]], fn: Callable[[], T], note: Callable[[T], str]) -> T:
    start = time.perf_counter()
    result = fn()
    rows.append((label, time.perf_counter() - start, note(result)))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listings", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    listings = synthetic(args.listings, random.Random(args.seed))
    rows: list[tuple[str, float, str]] = []
    rules = classify.load_rules()
    settings = match.MatchSettings.from_table()
    classified = timed("classify", rows, lambda: classify.classify_all(listings, rules), lambda r: f"{len(r)} listings")
    pairs = timed("blocking", rows, lambda: match.candidate_pairs(listings, settings), lambda r: f"{len(r)} candidate pairs")
    links = timed(
        "comparison", rows, lambda: match.linked_pairs(listings, settings), lambda r: f"{len(r)} links (blocking again included)"
    )
    prospects = timed("match (all)", rows, lambda: match.match_prospects(classified, settings), lambda r: f"{len(r)} prospects")
    scoring = rank.Scoring.for_niche("running")
    timed("rank", rows, lambda: rank.rank_prospects(prospects, CENTRE, 8.0, scoring), lambda r: f"{len(r)} ranked")
    print(f"synthetic area: {len(listings)} listings ({args.listings} places, every tenth mapped twice), seed {args.seed}")
    print(f"{'stage':<14}{'seconds':>10}  result")
    for label, seconds, note in rows:
        print(f"{label:<14}{seconds:>10.3f}  {note}")
    expected = args.listings // 10 + 1
    print(f"pairs per listing: {len(pairs) / len(listings):.1f}; duplicate links planted: {expected}, found: {len(links)}")
    print(f"peak memory (max RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
