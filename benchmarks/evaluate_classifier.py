"""Precision and recall per category on the labelled set, with and without websites.

.venv/bin/python benchmarks/evaluate_classifier.py [--mistakes] [--set tests/labelled]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from prospecting.classify import load_rules
from prospecting.evaluation import load_labelled, predict, scores, without_websites
from prospecting.extract import Vocabulary

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", type=Path, default=ROOT / "tests" / "labelled")
    parser.add_argument("--mistakes", action="store_true", help="list every misclassified row")
    args = parser.parse_args()
    rules = load_rules()
    start = time.perf_counter()
    cases = load_labelled(args.set, Vocabulary.load())
    loaded = time.perf_counter()
    for title, subset in (("with websites", cases), ("without websites", without_websites(cases))):
        started = time.perf_counter()
        predictions = predict(subset, rules)
        seconds = time.perf_counter() - started
        print(f"\n{title}: {len(subset)} listings, {len(subset) / seconds:,.0f} listings/s classified")
        print(f"{'category':<22}{'precision':>10}{'recall':>8}{'support':>9}{'predicted':>11}")
        for s in scores(subset, predictions):
            print(f"{s.category:<22}{s.precision:>10.3f}{s.recall:>8.3f}{s.support:>9}{s.predicted:>11}")
        wrong = [(c, p) for c, p in zip(subset, predictions, strict=True) if c.category != p.category]
        print(f"wrong: {len(wrong)}")
        if args.mistakes:
            for c, p in wrong:
                print(f"  {c.listing.source_id} {c.listing.name!r} [{c.hard_case}] expected {c.category}/{c.subcategory}, "
                      f"got {p.category}/{p.subcategory} ({p.confidence}): {'; '.join(p.evidence[:3])}")  # fmt: skip
    print(f"\nwebsite facts extracted: {len(cases) / (loaded - start):,.0f} listings/s")


if __name__ == "__main__":
    main()
