"""Score `prospect dedupe` on public entity-matching benchmarks, downloaded by you.

    .venv/bin/python benchmarks/public_sets.py [--fodors-zagat DIR] [--foursquare-locu DIR] [--geoer FILE ...]
        [--fit-on FILE ... [--with-stand-ins] [--fitted FILE.toml]] [--matching FILE.toml] [--mistakes]

The benchmarks are not part of this repository (their licences are their own): fetch them once.

- **Fodors-Zagat restaurants** (Leipzig / HPI "Restaurant" set: 864 guide listings, 112 true
  pairs, no coordinates): `restaurant.csv` and `restaurant_gold.csv` from
  https://hpi.de/naumann/projects/repeatability/datasets/restaurants-dataset.html, in one folder.
  Scored as pairwise precision, recall and F1 over all pairs of the clustering.
- **Foursquare-Locu venues** (Columbia COMS 4121 entity-resolution challenge: 600 New York venues
  from each source with name, address, postcode, phone, website and position, 360 true pairs):
  `locu_train.json`, `foursquare_train.json` and `matches_train.csv` in one folder (or the
  cleaned `lc_clean.json` / `fs_clean.json`). Scored over the cross-source pairs.
- **Geo-ER** (Balsebre et al., WWW 2022; https://github.com/PasqualeTurin/Geo-ER): OpenStreetMap
  against Foursquare or Yelp, `data/train_valid_test/<osm_fsq|osm_yelp>/<city>/test.txt`, one
  labelled candidate pair per line. The distinct records of the file are deduplicated as two
  sources; a pair counts as matched when both records land in one prospect, and precision,
  recall and F1 are over the labelled pairs (the benchmark's own measure).

Each set runs through `prospect dedupe` as a separate process, as a user would run it. With
`--fit-on`, the [link] thresholds are first fitted to the labelled pairs of those Geo-ER files
(say a train split: never the files scored), as `prospect fit-matching --pairs` does, and every
set is then deduplicated with that table (`dedupe --matching`). `--with-stand-ins` pools the sets
of `tests/matching_sets/` into the fit: that is how the defaults of `config/matching.toml` were
made, from Geo-ER's development slices (docs/matching.md).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import itertools
import json
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from prospecting.match_fitting import Counts

STAND_INS = Path(__file__).resolve().parents[1] / "tests" / "matching_sets"

COLUMNS = ("id", "name", "address", "city", "postcode", "phone", "website", "latitude", "longitude", "categories")
# Geo-ER writes OSM's addr:street and addr:housenumber as "Baum Boulevard, 5201"; our OSM source
# writes "5201 Baum Boulevard", so the loader puts the number first, as the tags would give it.
STREET_THEN_NUMBER = re.compile(r"^\s*([^,]+?),\s*(\d+[A-Za-z]?)\s*$")
GEOER_FIELDS = {"name": "name", "latitude": "latitude", "longitude": "longitude", "address": "address",
                "postalCode": "postcode", "postal_code": "postcode", "phone": "phone", "city": "city",
                "categories": "categories"}  # fmt: skip


def dedupe(files: Sequence[Path], matching: Path | None = None) -> dict[tuple[str, str], str]:
    """(source, id) -> prospect_id, from `prospect dedupe` run on `files` (with a fitted --matching table)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.csv"
        extra = ["--matching", str(matching)] if matching else []
        subprocess.run([sys.executable, "-m", "prospecting.cli", "dedupe", *map(str, files), "--out", str(out), *extra],
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        with out.open(encoding="utf-8") as f:
            return {(row["source"], row["id"]): row["prospect_id"] for row in csv.DictReader(f)}


def write_rows(path: Path, rows: Iterable[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def counts(true: set[tuple[str, str]], found: set[tuple[str, str]]) -> Counts:
    return Counts(found=len(found), true=len(true), both=len(true & found))


def fodors_zagat(folder: Path, show_mistakes: bool, matching: Path | None = None) -> tuple[str, Counts]:
    """Records are numbered from 1 in file order, as the gold file numbers them."""
    with (folder / "restaurant.csv").open(encoding="utf-8", newline="") as f:
        records = [
            {
                "id": str(n),
                "name": row["name"],
                "address": row["addr"],
                "city": row["city"],
                "phone": row["phone"],
                "categories": row["type"],
            }
            for n, row in enumerate(csv.DictReader(f), start=1)
        ]
    with (folder / "restaurant_gold.csv").open(encoding="utf-8", newline="") as f:
        true = {(row[1].strip(), row[2].strip()) for row in list(csv.reader(f))[1:]}
    with tempfile.TemporaryDirectory() as tmp:
        listings = Path(tmp) / "guides.csv"
        write_rows(listings, records)
        prospect = dedupe([listings], matching)
    by_prospect = defaultdict(list)
    for (_, record_id), pid in prospect.items():
        by_prospect[pid].append(record_id)
    found = {tuple(sorted(p, key=int)) for members in by_prospect.values() for p in itertools.combinations(members, 2)}
    if show_mistakes:
        names = {r["id"]: f"{r['name']}, {r['address']}, {r['city']}" for r in records}
        show(true, found, names.__getitem__)
    return "fodors_zagat", counts(true, found)  # type: ignore[arg-type]


def foursquare_locu(folder: Path, show_mistakes: bool, matching: Path | None = None) -> tuple[str, Counts]:
    sides = {}
    for source, raw, clean in (
        ("locu", "locu_train.json", "lc_clean.json"),
        ("foursquare", "foursquare_train.json", "fs_clean.json"),
    ):
        path = folder / raw if (folder / raw).exists() else folder / clean
        sides[source] = {
            str(r["id"]): {
                "id": str(r["id"]),
                "name": r.get("name") or "",
                "address": r.get("street_address") or "",
                "city": r.get("locality") or "",
                "postcode": r.get("postal_code") or "",
                "phone": r.get("phone") or "",
                "website": r.get("website") or "",
                "latitude": "" if r.get("latitude") is None else str(r["latitude"]),
                "longitude": "" if r.get("longitude") is None else str(r["longitude"]),
            }
            for r in json.loads(path.read_text(encoding="utf-8"))
        }
    with (folder / "matches_train.csv").open(encoding="utf-8", newline="") as f:
        true = {(row["locu_id"], row["foursquare_id"]) for row in csv.DictReader(f)}
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for source, records in sides.items():
            files.append(Path(tmp) / f"{source}.csv")
            write_rows(files[-1], records.values())
        prospect = dedupe(files, matching)
    members = defaultdict(lambda: defaultdict(list))
    for (source, record_id), pid in prospect.items():
        members[pid][source].append(record_id)
    found = {(a, b) for m in members.values() for a in m["locu"] for b in m["foursquare"]}
    if show_mistakes:
        names = {k: v["name"] for side in sides.values() for k, v in side.items()}
        show(true, found, names.__getitem__)
    return "foursquare_locu", counts(true, found)


def geoer_record(side: str) -> dict[str, str]:
    fields = {}
    for part in side.split("COL ")[1:]:
        key, _, value = part.partition(" VAL ")
        if key.strip() in GEOER_FIELDS:
            fields[GEOER_FIELDS[key.strip()]] = value.strip()
    if found := STREET_THEN_NUMBER.match(fields.get("address", "")):
        fields["address"] = f"{found.group(2)} {found.group(1)}"
    fields["id"] = hashlib.sha1(side.strip().encode()).hexdigest()[:16]
    return fields


@dataclass
class GeoerSet:
    """A Geo-ER file as two sources' rows (by id) and its labelled pairs (osm id, other id, same)."""

    other: str
    osm: dict[str, dict[str, str]]
    theirs: dict[str, dict[str, str]]
    labelled: list[tuple[str, str, bool]]

    def write(self, folder: Path) -> list[Path]:
        files = [folder / "osm.csv", folder / f"{self.other}.csv"]
        write_rows(files[0], self.osm.values())
        write_rows(files[1], self.theirs.values())
        return files


def read_geoer(path: Path) -> GeoerSet:
    found = GeoerSet("foursquare" if "fsq" in str(path) else "yelp", {}, {}, [])
    # lines end in CRLF, and a field may hold a lone CR: split on LF only
    for line in path.read_bytes().decode("utf-8").split("\n"):
        if not line.strip():
            continue
        left, right, label = line.split("\t")
        a, b = geoer_record(left), geoer_record(right)
        found.osm[a["id"]], found.theirs[b["id"]] = a, b
        found.labelled.append((a["id"], b["id"], label.strip() == "1"))
    return found


def geoer(path: Path, show_mistakes: bool, matching: Path | None = None) -> tuple[str, Counts]:
    data = read_geoer(path)
    other, osm, theirs, labelled = data.other, data.osm, data.theirs, data.labelled
    with tempfile.TemporaryDirectory() as tmp:
        prospect = dedupe(data.write(Path(tmp)), matching)
    universe = {(a, b) for a, b, _ in labelled}
    true = {(a, b) for a, b, same in labelled if same}
    found = {(a, b) for a, b in universe if prospect[("osm", a)] == prospect[(other, b)]}
    if show_mistakes:
        names = {k: v["name"] for k, v in itertools.chain(osm.items(), theirs.items())}
        show(true, found, names.__getitem__)
    name = f"geoer_{path.parent.parent.name}_{path.parent.name}" if path.parent.parent.name.startswith("osm") else path.stem
    return name, counts(true, found)


def fit_geoer(paths: Sequence[Path], out: Path, stand_ins: bool = False) -> None:
    """Fit the [link] thresholds to the labelled pairs of these Geo-ER files (pooled, with the
    stand-in sets' whole truth if asked), as `prospect fit-matching` does for one set, and write
    the table to `out`."""
    from prospecting.listings_io import read_table, table_columns
    from prospecting.match import load_settings
    from prospecting.match_fitting import LabelledPairs, fit, link_table, read_truth, truth_judge
    from prospecting.models import ListingColumns, texts

    labelled = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, path in enumerate(paths):
            data = read_geoer(path)
            folder = Path(tmp) / str(n)
            folder.mkdir()
            records = ListingColumns.concat([table_columns(read_table(f)) for f in data.write(folder)])
            index = {key: i for i, key in enumerate(zip(texts(records.source), texts(records.source_id), strict=True))}
            a = [index[("osm", x)] for x, _, _ in data.labelled]
            b = [index[(data.other, y)] for _, y, _ in data.labelled]
            pairs = LabelledPairs(np.array(a), np.array(b), np.array([same for *_, same in data.labelled]))
            labelled.append((records, pairs.counts))
    sets = sorted(p for p in STAND_INS.iterdir() if (p / "truth.csv").exists()) if stand_ins else []
    for folder in sets:
        records = ListingColumns.concat(
            [table_columns(read_table(f)) for f in sorted(folder.glob("*.csv")) if f.name != "truth.csv"]
        )
        labelled.append((records, truth_judge(read_truth(folder / "truth.csv", records))))
    fitted, before, after = fit(labelled, load_settings())
    print(f"fitted on {len(paths)} files' labelled pairs and {len(sets)} stand-in sets: defaults {before}; fitted {after}")
    out.write_text(link_table(fitted), encoding="utf-8")
    print(out.read_text(encoding="utf-8"))


def show(true: set[tuple[str, str]], found: set[tuple[str, str]], name_of: object) -> None:
    for kind, wrong in (("missed", true - found), ("wrongly merged", found - true)):
        for a, b in sorted(wrong):
            print(f"  {kind}: {name_of(a)!r} / {name_of(b)!r}")  # type: ignore[operator]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fodors-zagat", type=Path, help="folder with restaurant.csv and restaurant_gold.csv")
    parser.add_argument("--foursquare-locu", type=Path, help="folder with the Locu and Foursquare JSON and matches_train.csv")
    parser.add_argument("--geoer", type=Path, nargs="*", default=[], help="Geo-ER test.txt files (osm_fsq or osm_yelp)")
    parser.add_argument("--mistakes", action="store_true", help="list the pairs missed and wrongly merged")
    parser.add_argument("--fit-on", type=Path, nargs="*", default=[], help="fit the thresholds to these Geo-ER files first")
    parser.add_argument("--with-stand-ins", action="store_true", help="pool the sets of tests/matching_sets/ into the fit")
    parser.add_argument("--fitted", type=Path, help="where --fit-on writes its [link] table (default: a temporary file)")
    parser.add_argument("--matching", type=Path, help="score with this table laid over config/matching.toml instead")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        matching = args.matching
        if args.fit_on:
            matching = args.fitted or Path(tmp) / "fitted.toml"
            fit_geoer(args.fit_on, matching, args.with_stand_ins)
        results = []
        if args.fodors_zagat:
            results.append(fodors_zagat(args.fodors_zagat, args.mistakes, matching))
        if args.foursquare_locu:
            results.append(foursquare_locu(args.foursquare_locu, args.mistakes, matching))
        results += [geoer(path, args.mistakes, matching) for path in args.geoer]
    geoer_sets = [c for name, c in results[len(results) - len(args.geoer) :]] if args.geoer else []
    if len(geoer_sets) > 1:
        results.append(("Geo-ER pooled", sum(geoer_sets[1:], geoer_sets[0])))
    print(f"{'set':<28} {'true pairs':>10} {'found':>6} {'right':>6} {'precision':>9} {'recall':>7} {'F1':>6}")
    for name, c in results:
        s = c.scores()
        print(f"{name:<28} {c.true:>10} {c.found:>6} {c.both:>6} {s.precision:>9.3f} {s.recall:>7.3f} {s.f1:>6.3f}")


if __name__ == "__main__":
    main()
