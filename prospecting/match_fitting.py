"""Fit the link thresholds of `config/matching.toml` from labelled records.

The combination the matcher uses is the rule set of [link]: each rule a pair of thresholds
(how close, how similar the names). Given records whose true business is known (a truth file
of `source, id, entity`), blocking and comparison run once; then each threshold in turn takes
the value of its grid with the best pairwise F1 over the whole clustering (one-to-one links and
splitting included), ties going to the stricter value, until a round changes nothing. The
result is a [link] table to lay over the defaults (`prospect dedupe --matching FILE`).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from prospecting.errors import InputError
from prospecting.match import MatchSettings, blocked_pairs, cluster, compare, record_features
from prospecting.models import ListingColumns, texts

# threshold -> the values tried, strictest last (so a tie keeps the stricter one)
GRID: Mapping[str, Sequence[float]] = {
    "near_m": (300, 250, 200, 150, 120, 100, 75, 50),
    "name_when_near": (60, 65, 70, 75, 80, 85, 88, 90, 93, 95),
    "far_m": (500, 450, 400, 350, 300, 250),
    "name_when_far": (80, 85, 88, 90, 93, 95, 97, 99),
    "chain_m": (500, 400, 300, 250, 200, 150, 100, 50),
    "one_spot_m": (60, 50, 40, 30, 20, 10, 0),
    "far_extra_words": (0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0),
    "phone_within_m": (1000, 800, 600, 400, 300, 200),
    "name_with_phone": (30, 40, 50, 60, 70, 80),
    "domain_within_m": (1000, 800, 600, 400, 300, 200),
    "name_with_domain": (30, 40, 50, 60, 70, 80),
    "name_with_address": (60, 65, 70, 75, 80, 85, 90),
    "name_without_coordinates": (75, 80, 85, 88, 90, 93, 95),
    "address_without_coordinates": (70, 75, 80, 85, 90, 95),
}


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float

    def __str__(self) -> str:
        return f"precision {self.precision:.4f}, recall {self.recall:.4f}, F1 {self.f1:.4f}"


def pairwise_scores(predicted: np.ndarray, truth: np.ndarray) -> Scores:
    """Pairwise precision, recall and F1 of a clustering against the true one (labels per record)."""

    def pairs(sizes: np.ndarray) -> int:
        return int((sizes * (sizes - 1) // 2).sum())

    _, predicted = np.unique(predicted, return_inverse=True)
    joint = predicted.astype(np.int64) * (int(truth.max()) + 1) + truth
    both = pairs(np.unique(joint, return_counts=True)[1])
    found, true = pairs(np.bincount(predicted)), pairs(np.bincount(truth))
    precision = both / found if found else 1.0
    recall = both / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1)


def read_truth(path: Path, records: ListingColumns) -> np.ndarray:
    """The true entity of each record, as integer labels, from a CSV of `source, id, entity`."""
    entity_of: dict[tuple[str, str], str] = {}
    line_of: dict[tuple[str, str], int] = {}
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f, strict=True)
            missing = {"source", "id", "entity"} - set(reader.fieldnames or ())
            if missing:
                raise InputError(f"{path}: no {sorted(missing)[0]} column (expected source, id, entity)")
            for row in reader:
                line, key, entity = reader.line_num, (row["source"] or "", row["id"] or ""), (row["entity"] or "").strip()
                if not entity:
                    raise InputError(f"{path}: line {line}: no entity (expected source, id, entity on every row)")
                if entity_of.setdefault(key, entity) != entity:
                    raise InputError(
                        f"{path}: line {line}: source {key[0]!r} id {key[1]!r} is entity {entity!r} here but "
                        f"{entity_of[key]!r} on line {line_of[key]} (expected one entity per record)"
                    )
                line_of.setdefault(key, line)
    except FileNotFoundError as e:
        raise InputError(f"{path}: file not found") from e
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not UTF-8 text (expected a UTF-8 CSV)") from e
    except csv.Error as e:
        raise InputError(f"{path}: line {reader.line_num}: malformed CSV: {e} (expected source, id, entity)") from e
    codes: dict[str, int] = {}
    labels = np.empty(len(records), dtype=np.int64)
    for n, key in enumerate(zip(texts(records.source), texts(records.source_id), strict=True)):
        if key not in entity_of:
            raise InputError(f"{path}: no entity for source {key[0]!r} id {key[1]!r} (expected a row for every record)")
        labels[n] = codes.setdefault(entity_of[key], len(codes))
    return labels


def fit(
    records: ListingColumns, truth: np.ndarray, start: MatchSettings, rounds: int = 3
) -> tuple[MatchSettings, Scores, Scores]:
    """Thresholds fitted by coordinate descent on pairwise F1; returns them, the F1 before and after."""
    f = record_features(records, start)
    comparisons = compare(f, blocked_pairs(f, start))  # blocking keeps the starting far_m: the grid stays within it

    def score(settings: MatchSettings) -> Scores:
        return pairwise_scores(cluster(f, comparisons, settings), truth)

    before = best_scores = score(start)
    best = start
    for _ in range(rounds):
        changed = False
        for name, values in GRID.items():
            for value in values:
                if name == "far_m" and value > start.far_m:
                    continue
                trial = replace(best, **{name: float(value)})  # type: ignore[arg-type]
                scores = score(trial)
                if scores.f1 > best_scores.f1 + 1e-9:
                    best, best_scores, changed = trial, scores, True
        if not changed:
            break
    return best, before, best_scores


def link_table(settings: MatchSettings) -> str:
    """The fitted thresholds as a [link] table of TOML."""
    lines = ["[link]"] + [f"{name} = {getattr(settings, name):g}" for name in GRID]
    return "\n".join(lines) + "\n"
