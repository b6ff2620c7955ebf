"""Score `prospect dedupe` on the stand-in matching sets in `tests/matching_sets/`.

    .venv/bin/python benchmarks/match_sets.py [--mistakes] [--matching FITTED.toml]

Each set (restaurant guides without coordinates; map POIs against check-in and review listings)
runs through `prospect dedupe` as a separate process; the script prints pairwise precision,
recall and F1 against the set's `truth.csv`. The default thresholds were fitted to these sets
pooled with Geo-ER's development pairs (see their README): the figures say how well the defaults
fit this kind of listings, not how well they generalise.
"""

from __future__ import annotations

import argparse
import csv
import itertools
from collections import defaultdict
from pathlib import Path

from public_sets import dedupe

SETS = Path(__file__).resolve().parents[1] / "tests" / "matching_sets"


def pairs(groups: dict[str, list[tuple[str, str]]]) -> set[tuple[tuple[str, str], tuple[str, str]]]:
    return {pair for members in groups.values() for pair in itertools.combinations(sorted(members), 2)}


def score(folder: Path, show_mistakes: bool, matching: Path | None = None) -> tuple[int, float, float, float]:
    files = sorted(p for p in folder.glob("*.csv") if p.name != "truth.csv")
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for key, prospect in dedupe(files, matching).items():
        found[prospect].append(key)
    names = {}
    for path in files:  # the tool names each file's source by its stem
        with path.open(encoding="utf-8") as f:
            names.update({(path.stem, row["id"]): row["name"] for row in csv.DictReader(f)})
    with (folder / "truth.csv").open(encoding="utf-8") as f:
        true: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for row in csv.DictReader(f):
            true[row["entity"]].append((row["source"], row["id"]))
    t, p = pairs(true), pairs(found)
    hits = len(t & p)
    precision, recall = hits / len(p) if p else 1.0, hits / len(t) if t else 1.0
    if show_mistakes:
        for kind, wrong in (("missed", t - p), ("wrongly merged", p - t)):
            for a, b in sorted(wrong):
                print(f"  {kind}: {a} {names[a]!r} / {b} {names[b]!r}")
    return len(t), precision, recall, 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mistakes", action="store_true", help="list the pairs missed and wrongly merged")
    parser.add_argument("--matching", type=Path, help="a TOML table laid over config/matching.toml (prospect dedupe --matching)")
    args = parser.parse_args()
    print(f"{'set':<22} {'true pairs':>10} {'precision':>9} {'recall':>7} {'F1':>6}")
    for folder in sorted(p for p in SETS.iterdir() if (p / "truth.csv").exists()):
        count, precision, recall, f1 = score(folder, args.mistakes, args.matching)
        print(f"{folder.name:<22} {count:>10} {precision:>9.3f} {recall:>7.3f} {f1:>6.3f}")


if __name__ == "__main__":
    main()
