"""Splink 5 on the files `benchmarks/match.py` generates: the same job as `prospect dedupe`, done the splink way.

    .venv/bin/python benchmarks/splink_match.py OUT.csv FILE...

Each FILE is a CSV with columns id,name,address,city,postcode,phone,website,latitude,longitude; its stem names the
source. OUT gets one row per listing: source,id,prospect_id, where prospect_id is splink's cluster id.

The model is what a careful splink user would write for points of interest: the columns are cleaned in DuckDB first
(names lower-cased without punctuation or legal suffixes, phones as ten digits, street words abbreviated and the suite
split off, websites without scheme or www), then a dedupe_only Fellegi-Sunter model with term-frequency adjustments on
name and website, u estimated by random sampling, m by expectation maximisation in three sessions, predictions and
connected components at a match probability threshold.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import duckdb
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

PREDICT_THRESHOLD = 0.5  # pairs kept from predict(); clustering then applies its own, higher threshold
CLUSTER_THRESHOLD = 0.99
U_PAIRS = 1e7  # the splink docs: 1e7 is often adequate, more is slower for little change here
SEED = 7

LEGAL_SUFFIX = r"(\s+(llc|pllc|inc|ltd|corp|co|pc|pa))+$"
STREET_WORDS = {"street": "st", "avenue": "ave", "highway": "hwy", "road": "rd", "boulevard": "blvd", "drive": "dr",
                "lane": "ln", "parkway": "pkwy", "place": "pl", "court": "ct", "suite": "ste"}  # fmt: skip


def _clean(column: str) -> str:
    return f"nullif(trim({column}), '')"


def _abbreviate(expression: str) -> str:
    for full, short in STREET_WORDS.items():
        expression = f"regexp_replace({expression}, '\\b{full}\\b', '{short}', 'g')"
    return expression


def prepare(con: duckdb.DuckDBPyConnection, files: list[Path]) -> None:
    """Read and clean the listings into the table `listings`, one row per listing with a unique_id."""
    reads = " UNION ALL ".join(
        f"SELECT '{path.stem}' AS source, * FROM read_csv('{path}', header = true, all_varchar = true)" for path in files
    )
    name = f"regexp_replace(regexp_replace(lower({_clean('name')}), '&', ' and ', 'g'), '[^a-z0-9]+', ' ', 'g')"
    address = _abbreviate(f"regexp_replace(lower({_clean('address')}), '[^a-z0-9#]+', ' ', 'g')")
    phone = f"regexp_replace({_clean('phone')}, '[^0-9]', '', 'g')"
    website = f"regexp_replace(regexp_replace(lower({_clean('website')}), '^https?://(www\\.)?', ''), '/+$', '')"
    con.execute(f"""
        CREATE TABLE listings AS
        WITH raw AS ({reads}),
        cleaned AS (
            SELECT
                source || ':' || id AS unique_id,
                nullif(regexp_replace(trim({name}), '{LEGAL_SUFFIX}', ''), '') AS name,
                nullif(trim({address}), '') AS address,
                {_clean("postcode")} AS postcode,
                CASE WHEN length({phone}) >= 10 THEN right({phone}, 10) END AS phone,
                nullif({website}, '') AS website,
                TRY_CAST({_clean("latitude")} AS DOUBLE) AS latitude,
                TRY_CAST({_clean("longitude")} AS DOUBLE) AS longitude
            FROM raw
        )
        SELECT
            unique_id,
            name,
            split_part(name, ' ', 1) AS name_first,
            address,
            nullif(trim(regexp_replace(address, '\\s*(ste|unit|apt|#)\\s*[a-z0-9-]+\\s*$', '')), '') AS street_address,
            nullif(regexp_extract(address, '^([0-9]+)', 1), '') AS house_number,
            postcode,
            phone,
            website,
            split_part(website, '/', 1) AS domain,
            latitude,
            longitude,
            -- a grid of cells about 1.1 km square, and the same grid shifted by half a cell, so that two listings a
            -- few hundred metres apart share a cell in at least one of them
            CAST(floor(latitude * 100) AS BIGINT) || ':' || CAST(floor(longitude * 85) AS BIGINT) AS cell,
            CAST(floor(latitude * 100 + 0.5) AS BIGINT) || ':' || CAST(floor(longitude * 85 + 0.5) AS BIGINT) AS cell_shifted
        FROM cleaned
    """)


def settings() -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        blocking_rules_to_generate_predictions=[
            block_on("phone"),
            block_on("postcode", "name_first"),
            block_on("cell"),
            block_on("cell_shifted"),
            block_on("website", "postcode"),
            block_on("street_address", "postcode"),
        ],
        comparisons=[
            cl.CustomComparison(
                output_column_name="name",
                comparison_levels=[
                    cll.NullLevel("name"),
                    cll.ExactMatchLevel("name").configure(tf_adjustment_column="name"),
                    cll.JaroWinklerLevel("name", 0.95),
                    cll.JaroWinklerLevel("name", 0.88),
                    cll.JaroWinklerLevel("name", 0.7),
                    cll.ElseLevel(),
                ],
            ),
            cl.ExactMatch("phone"),
            # distance and postcode say the same thing twice where both are known: one comparison, postcode only
            # standing in for the distance where a listing has no coordinates
            cl.CustomComparison(
                output_column_name="location",
                comparison_levels=[
                    cll.And(cll.Or(cll.NullLevel("latitude"), cll.NullLevel("longitude")), cll.NullLevel("postcode")),
                    cll.DistanceInKMLevel("latitude", "longitude", 0.1),
                    cll.DistanceInKMLevel("latitude", "longitude", 0.3),
                    cll.DistanceInKMLevel("latitude", "longitude", 0.7),
                    cll.DistanceInKMLevel("latitude", "longitude", 2),
                    cll.And(cll.Or(cll.NullLevel("latitude"), cll.NullLevel("longitude")), cll.ExactMatchLevel("postcode")),
                    cll.Or(cll.NullLevel("latitude"), cll.NullLevel("longitude")),
                    cll.ElseLevel(),
                ],
            ),
            cl.CustomComparison(
                output_column_name="address",
                comparison_levels=[
                    cll.NullLevel("street_address"),
                    cll.ExactMatchLevel("address"),
                    cll.ExactMatchLevel("street_address"),
                    cll.ExactMatchLevel("house_number"),
                    cll.ElseLevel(),
                ],
            ),
            cl.CustomComparison(
                output_column_name="website",
                comparison_levels=[
                    cll.NullLevel("website"),
                    cll.ExactMatchLevel("website").configure(tf_adjustment_column="website"),
                    cll.ExactMatchLevel("domain"),
                    cll.ElseLevel(),
                ],
            ),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def run_splink(files: list[Path], out: Path, log_level: int = logging.WARNING) -> None:
    db_api = DuckDBAPI()
    con = db_api.duckdb_con
    prepare(con, files)
    linker = Linker(db_api.register("listings"), settings(), log_level=log_level)
    # deterministic rules that admit almost no false positives, and a guess at how many true pairs they find
    linker.training.estimate_probability_two_random_records_match(
        [block_on("phone"), block_on("name", "street_address")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=U_PAIRS, seed=SEED)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("phone"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("street_address", "postcode"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("name", "postcode"))
    predictions = linker.inference.predict(threshold_match_probability=PREDICT_THRESHOLD)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, CLUSTER_THRESHOLD)
    con.execute(f"""
        COPY (
            SELECT split_part(unique_id, ':', 1) AS source,
                   substr(unique_id, length(split_part(unique_id, ':', 1)) + 2) AS id,
                   cluster_id AS prospect_id
            FROM {clusters.physical_name}
            ORDER BY unique_id
        ) TO '{out}' (HEADER, DELIMITER ',')
    """)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("files", type=Path, nargs="+")
    parser.add_argument("--verbose", action="store_true", help="splink's warnings too (levels never seen in training...)")
    args = parser.parse_args()
    run_splink(args.files, args.out, logging.WARNING if args.verbose else logging.ERROR)


if __name__ == "__main__":
    main()
