"""Deduplication at metro scale: generate listings with known truth, run `prospect dedupe`, score it.

    .venv/bin/python benchmarks/match.py [--sizes 10000,100000] [--seed 3] [--keep DIR] [--no-splink] [--no-prospect] [--blocking]

The generator writes a synthetic metro area as three source CSVs (a map, a places dataset and a
registry-style list): each business appears in one to three sources with realistic noise: typos,
abbreviations (St/Street, &/and), legal suffixes, registry capitals, missing phones and websites,
coordinate jitter of 5-300 m, suite numbers, some rows without coordinates, chains with 20+
branches sharing a name and website, and aggregator websites (facebook.com, mindbodyonline.com)
shared by unrelated businesses. `prospect dedupe` then runs as a separate process on the files;
the script prints its wall time and peak memory, pairwise precision, recall and F1, B-cubed F1,
and the number of chain branches wrongly merged. With splink installed it runs splink on the same
data and prints its figures beside (benchmarks/splink_match.py, also a separate process; `pip install -e '.[bench]'`).
With --blocking it also prints, per size, the share of true pairs that blocking makes candidates
and the candidates per record (in this process: blocking is not a command of its own).
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import itertools
import math
import random
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np

WORDS = (
    "Harbor Palmetto Lowcountry Tidewater Marsh Oak Magnolia Cooper Ashley Battery Folly Summit Cedar Pine Willow River Bay "
    "Coastal Heron Pelican Sweetgrass Live Iron Golden Blue Ridge Stone Bridge Meadow Sunrise Northside Westside Eastside "
    "Southside Anchor Compass Lantern Beacon Tide Current Spring Creek Island Grove Park"
).split()
KINDS = ("Yoga", "Pilates", "Fitness", "CrossFit", "Family Medicine", "Direct Primary Care", "Naturopathic Medicine",
         "Physical Therapy", "Running Co", "Boxing Club", "Cycle Studio", "Climbing Gym", "Wellness", "Chiropractic")  # fmt: skip
PLACES = ("Point", "Landing", "Commons", "Square", "Corner", "Station", "Junction", "Hollow", "Heights", "Crossing",
          "Wharf", "Mill", "Market", "Garden", "Terrace", "Row", "Yard", "House", "Loft", "Works")  # fmt: skip
CHAINS = ("Anytime Fitness", "Planet Fitness", "Orangetheory Fitness", "Crunch Fitness", "F45 Training", "Pure Barre",
          "CorePower Yoga", "Club Pilates", "Fleet Feet", "Title Boxing Club")  # fmt: skip
STREETS = ("King Street", "Meeting Street", "Rutledge Avenue", "Calhoun Street", "Savannah Highway", "Folly Road",
           "Rivers Avenue", "Coleman Boulevard", "Main Street", "Broad Street", "Church Street", "Market Street")  # fmt: skip
ABBREVIATIONS = {"Street": "St", "Avenue": "Ave", "Highway": "Hwy", "Road": "Rd", "Boulevard": "Blvd"}
AGGREGATORS = ("https://www.facebook.com/pages/", "https://clients.mindbodyonline.com/classic/ws?studioid=", "https://linktr.ee/")
BRANCH_WORDS = ("Downtown", "Midtown", "Uptown", "West", "East", "North", "South", "Harbor", "Park", "Village")


def _typo(text: str, rng: random.Random) -> str:
    if len(text) < 6:
        return text
    i = rng.randrange(1, len(text) - 1)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :] if rng.random() < 0.5 else text[:i] + text[i + 1 :]


def _jitter(lat: float, lon: float, metres: float, rng: random.Random) -> tuple[float, float]:
    angle = rng.uniform(0, 2 * math.pi)
    return lat + metres * math.cos(angle) / 111_320, lon + metres * math.sin(angle) / (111_320 * math.cos(math.radians(lat)))


def generate(n_businesses: int, rng: random.Random) -> tuple[dict[str, list[dict[str, str]]], dict[tuple[str, str], int]]:
    """Rows per source, and the true business of each (source, id)."""
    side = math.sqrt(n_businesses / 400)  # degrees: density of a busy metro, about 400 places per 0.01 deg^2... scaled
    sources: dict[str, list[dict[str, str]]] = {"map": [], "places": [], "registry": []}
    truth: dict[tuple[str, str], int] = {}
    chain_branches = max(20, n_businesses // 400)
    businesses = []
    for b in range(n_businesses):
        lat, lon = 32.78 + rng.uniform(-side, side) / 10, -79.94 + rng.uniform(-side, side) / 10
        if b < len(CHAINS) * chain_branches:
            chain = CHAINS[b % len(CHAINS)]
            name = chain if rng.random() < 0.6 else f"{chain} {rng.choice(BRANCH_WORDS)}"
            website = f"https://www.{chain.lower().replace(' ', '')}.example/"
        else:
            # three words and a kind: about 1.6 million names, so a metro of a million has few accidental twins
            name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(PLACES)} {rng.choice(KINDS)}"
            website = f"https://www.{name.lower().replace(' ', '')}{b}.example/" if rng.random() < 0.6 else ""
        number = rng.randint(1, 2999)
        street = rng.choice(STREETS)
        phone = f"843555{b % 10000:04d}" if rng.random() < 0.8 else ""
        phone = f"{rng.choice(('843', '854', '803', '704'))}{b:07d}"[-10:] if phone else ""
        suite = rng.randint(100, 400) if rng.random() < 0.15 else 0  # a business keeps its suite
        businesses.append((name, lat, lon, number, street, phone, website, suite))
    for b, (name, lat, lon, number, street, phone, website, suite) in enumerate(businesses):
        present = [s for s, p in (("map", 0.8), ("places", 0.7), ("registry", 0.35)) if rng.random() < p] or ["map"]
        for source in present:
            row_name = name
            if rng.random() < 0.15:
                row_name = _typo(row_name, rng)
            if rng.random() < 0.2:
                row_name = (
                    row_name.replace(" and ", " & ") if " and " in row_name else row_name + rng.choice((" LLC", " Inc", ""))
                )
            if source == "registry":
                row_name = row_name.upper() + rng.choice((" PLLC", " LLC", ""))
            street_text = street
            if rng.random() < 0.4:
                for full, short in ABBREVIATIONS.items():
                    street_text = street_text.replace(full, short)
            address = f"{number} {street_text}" + (f", Suite {suite}" if suite and rng.random() < 0.7 else "")
            r_lat, r_lon = _jitter(lat, lon, rng.uniform(5, 300) if source != "registry" else rng.uniform(5, 150), rng)
            has_point = not (source == "registry" and rng.random() < 0.5) and rng.random() > 0.03
            site = website if rng.random() < 0.7 else ""
            if not site and rng.random() < 0.1:
                site = rng.choice(AGGREGATORS) + str(rng.randint(1, 99999))
            row = {
                "id": f"{source[0]}{len(sources[source])}",
                "name": row_name,
                "address": address,
                "city": f"Town {int((lat - 30) * 10)}-{int((lon + 82) * 10)}",
                "postcode": f"{29000 + int((lat - 30) * 40) * 10 + int((lon + 82) * 10) % 10:05d}",
                "phone": (f"({phone[:3]}) {phone[3:6]}-{phone[6:]}" if rng.random() < 0.5 else f"+1{phone}")
                if phone and rng.random() < 0.85
                else "",
                "website": site,
                "latitude": f"{r_lat:.6f}" if has_point else "",
                "longitude": f"{r_lon:.6f}" if has_point else "",
            }
            sources[source].append(row)
            truth[(source, row["id"])] = b
    return sources, truth


def pairs_of(groups: dict[object, list[tuple[str, str]]]) -> set[tuple[tuple[str, str], tuple[str, str]]]:
    found = set()
    for members in groups.values():
        for a, b in itertools.combinations(sorted(members), 2):
            found.add((a, b))
    return found


def score(truth: dict[tuple[str, str], int], predicted: dict[tuple[str, str], str], chains: set[int]) -> dict[str, float]:
    true_groups: dict[object, list[tuple[str, str]]] = defaultdict(list)
    pred_groups: dict[object, list[tuple[str, str]]] = defaultdict(list)
    for key, b in truth.items():
        true_groups[b].append(key)
        pred_groups[predicted[key]].append(key)
    t, p = pairs_of(true_groups), pairs_of(pred_groups)
    hits = len(t & p)
    precision, recall = hits / len(p) if p else 1.0, hits / len(t) if t else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    # B-cubed: per record, overlap of its true and predicted clusters
    true_of = {k: set(true_groups[b]) for k, b in truth.items()}
    pred_of = {k: set(pred_groups[predicted[k]]) for k in truth}
    bp = sum(len(true_of[k] & pred_of[k]) / len(pred_of[k]) for k in truth) / len(truth)
    br = sum(len(true_of[k] & pred_of[k]) / len(true_of[k]) for k in truth) / len(truth)
    merged_branches = sum(1 for members in pred_groups.values() if len({truth[k] for k in members} & chains) > 1)
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "bcubed_f1": 2 * bp * br / (bp + br),
        "branch_merges": merged_branches,
    }


SPLINK_SCRIPT = Path(__file__).with_name("splink_match.py")


# Forked from this process, a child's peak would count the pages it shared with us before exec
# (the generated data); a small launcher process forks it instead and reports its own child's peak.
# Starts the command and waits for it: the wall time from its start to its end and its peak memory
# are the child's alone (not the launcher's own start-up, not memory a fork shared with this script).
_LAUNCHER = (
    "import os, subprocess, sys, time\n"
    "start = time.perf_counter()\n"
    "child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "_, status, usage = os.wait4(child.pid, 0)\n"
    "print(usage.ru_maxrss, time.perf_counter() - start, file=sys.stderr)\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)


def write_sources(sources: dict[str, list[dict[str, str]]], folder: Path) -> list[Path]:
    """One CSV per source in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for source, rows in sources.items():
        path = folder / f"{source}.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        files.append(path)
    return files


def blocking_recall(files: list[Path], truth: dict[tuple[str, str], int]) -> tuple[int, int, int, int]:
    """True pairs, those among the candidate pairs, candidate pairs, records."""
    from prospecting.listings_io import read_table, table_columns
    from prospecting.match import blocked_pairs, load_settings, record_features
    from prospecting.models import ListingColumns, texts

    settings = load_settings()
    records = ListingColumns.concat([table_columns(read_table(path)) for path in files])
    business = np.array([truth[key] for key in zip(texts(records.source), texts(records.source_id), strict=True)])
    candidates = blocked_pairs(record_features(records, settings), settings)
    found = int(np.count_nonzero(business[candidates[:, 0]] == business[candidates[:, 1]]))
    sizes = np.bincount(business)
    return int((sizes * (sizes - 1) // 2).sum()), found, len(candidates), len(business)


def run_measured(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one child process (os.wait4: that child alone)."""
    done = subprocess.run([sys.executable, "-c", _LAUNCHER, *command], stderr=subprocess.PIPE, text=True, check=False)
    if done.returncode:
        raise subprocess.CalledProcessError(done.returncode, command, stderr=done.stderr)
    kilobytes, seconds = done.stderr.strip().splitlines()[-1].split()
    return float(seconds), int(kilobytes) / 1024  # ru_maxrss is in kilobytes on Linux


def run_dedupe(files: list[Path], out: Path) -> tuple[float, float]:
    return run_measured([sys.executable, "-m", "prospecting.cli", "dedupe", *map(str, files), "--out", str(out)])


def run_splink(files: list[Path], out: Path) -> tuple[float, float]:
    return run_measured([sys.executable, str(SPLINK_SCRIPT), str(out), *map(str, files)])


COLUMNS = (("tool", 8), ("businesses", 10), ("listings", 9), ("seconds", 8), ("peak MB", 8), ("precision", 9),
           ("recall", 7), ("F1", 6), ("B3 F1", 6), ("branch merges", 13))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="numbers of businesses, comma-separated")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep the generated files here")
    parser.add_argument("--no-splink", action="store_true", help="do not run splink even where it is installed")
    parser.add_argument("--no-prospect", action="store_true", help="run splink only")
    parser.add_argument("--blocking", action="store_true", help="print the share of true pairs among the candidates")
    args = parser.parse_args()
    tools = {"prospect": run_dedupe} if not args.no_prospect else {}
    if not args.no_splink and importlib.util.find_spec("splink") is not None:
        tools["splink"] = run_splink
    if not tools:
        parser.error("nothing to run: --no-prospect, and splink is not installed or --no-splink")
    print(" ".join(f"{name:>{width}}" for name, width in COLUMNS))
    for size in (int(s) for s in args.sizes.split(",")):
        rng = random.Random(args.seed)
        sources, truth = generate(size, rng)
        folder = args.keep or Path(tempfile.mkdtemp(prefix="match-bench-"))
        files = write_sources(sources, folder)
        chains = set(range(len(CHAINS) * max(20, size // 400)))
        if args.blocking:
            true_pairs, kept, candidates, records = blocking_recall(files, truth)
            print(f"blocking {size:>10}: {kept:,} of {true_pairs:,} true pairs are candidates ({kept / true_pairs:.2%}); "
                  f"{candidates / records:.1f} candidates per record", flush=True)  # fmt: skip
        for tool, run in tools.items():
            out = folder / ("dedupe.csv" if tool == "prospect" else f"{tool}.csv")
            seconds, peak = run(files, out)
            with out.open(encoding="utf-8") as f:
                predicted = {(r["source"], r["id"]): r["prospect_id"] for r in csv.DictReader(f)}
            s = score(truth, predicted, chains)
            print(f"{tool:>8} {size:>10} {len(truth):>9} {seconds:>8.2f} {peak:>8.0f} {s['precision']:>9.4f} "
                  f"{s['recall']:>7.4f} {s['f1']:>6.4f} {s['bcubed_f1']:>6.4f} {s['branch_merges']:>13}", flush=True)  # fmt: skip
        if not args.keep:
            shutil.rmtree(folder)


if __name__ == "__main__":
    main()
