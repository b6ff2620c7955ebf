"""The contracts of the prospect CSV and the classify/dedupe outputs, checked by the tests."""

from __future__ import annotations

import csv
from pathlib import Path

from prospecting.classify import CATEGORIES, PARTNER_CATEGORIES
from prospecting.export import FORMULA_START, PROSPECT_COLUMNS

CONTRACT_COLUMNS = PROSPECT_COLUMNS[: PROSPECT_COLUMNS.index("notes") + 1]


def read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def prospect_csv_problems(path: Path) -> list[str]:
    columns, rows = read(path)
    problems = [f"missing column {c}" for c in CONTRACT_COLUMNS if c not in columns]
    if columns[: len(CONTRACT_COLUMNS)] != CONTRACT_COLUMNS:
        problems.append("contract columns are not first, in order")
    ranks = [int(r["rank"]) for r in rows if r["rank"].isdigit()]
    if len(ranks) != len(rows) or ranks != sorted(ranks):
        problems.append("rank missing or rows not sorted by rank")
    ids = [r["prospect_id"] for r in rows]
    if len(set(ids)) != len(ids) or not all(ids):
        problems.append("prospect_id empty or repeated")
    for n, row in enumerate(rows, start=2):
        if row["category"] not in PARTNER_CATEGORIES:
            problems.append(f"line {n}: category {row['category']}")
        if not is_number(row["fit_score"]) or not 0 <= float(row["fit_score"]) <= 100:
            problems.append(f"line {n}: fit_score {row['fit_score']}")
        for column, value in row.items():
            if value and value.startswith(FORMULA_START) and not is_number(value):
                problems.append(f"line {n}: {column} starts like a formula")
    return problems


def classify_problems(inp: Path, out: Path) -> list[str]:
    in_columns, in_rows = read(inp)
    columns, rows = read(out)
    problems = [f"missing {c}" for c in ("category", "subcategory", "confidence", "evidence") if c not in columns]
    problems += [f"input column {c} not repeated" for c in in_columns if c not in columns]
    if len(rows) != len(in_rows):
        problems.append("row count differs")
    for row in rows:
        if row["category"] not in CATEGORIES or not 0 <= float(row["confidence"]) <= 1:
            problems.append(f"bad row {row}")
    return problems
