"""Fit the link thresholds of `config/matching.toml` from labelled records.

The combination the matcher uses is the rule set of [link]: each rule a pair of thresholds
(how close, how similar the names). Given records with what is known of them, either the true
business of every record (a truth file of `source, id, entity`) or a verdict on some pairs (a
pairs file of `source_a, id_a, source_b, id_b, same`), blocking and comparison run once; then
each threshold in turn takes the value of its grid with the best F1 (pairwise over the whole
clustering, or over the labelled pairs, a pair counting as one business when both records land
in one cluster; one-to-one links and splitting included), ties going to the stricter value,
until a round changes nothing. Several sets of records can be fitted at once (their counts are
pooled). The result is a [link] table to lay over the defaults (`prospect dedupe --matching FILE`).
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
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
    "name_core": (0, 30, 40, 50, 60, 70, 80),
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


@dataclass(frozen=True)
class Counts:
    """Pairs found to be one business, pairs that are, and pairs both: what precision and recall are of."""

    found: int
    true: int
    both: int

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.found + other.found, self.true + other.true, self.both + other.both)

    def scores(self) -> Scores:
        precision = self.both / self.found if self.found else 1.0
        recall = self.both / self.true if self.true else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return Scores(precision, recall, f1)


def pairwise_counts(predicted: np.ndarray, truth: np.ndarray) -> Counts:
    """Pair counts of a clustering against the true one (labels per record), over all pairs."""

    def pairs(sizes: np.ndarray) -> int:
        return int((sizes * (sizes - 1) // 2).sum())

    _, predicted = np.unique(predicted, return_inverse=True)
    joint = predicted.astype(np.int64) * (int(truth.max()) + 1) + truth
    both = pairs(np.unique(joint, return_counts=True)[1])
    return Counts(found=pairs(np.bincount(predicted)), true=pairs(np.bincount(truth)), both=both)


def pairwise_scores(predicted: np.ndarray, truth: np.ndarray) -> Scores:
    """Pairwise precision, recall and F1 of a clustering against the true one (labels per record)."""
    return pairwise_counts(predicted, truth).scores()


@dataclass(frozen=True)
class LabelledPairs:
    """Pairs of records (indices) with a verdict: the same business or not."""

    a: np.ndarray
    b: np.ndarray
    same: np.ndarray  # bool

    def counts(self, predicted: np.ndarray) -> Counts:
        """Pair counts of a clustering over these pairs: a pair is found when both records share a cluster."""
        found = predicted[self.a] == predicted[self.b]
        return Counts(found=int(found.sum()), true=int(self.same.sum()), both=int((found & self.same).sum()))


def _labelled_rows(path: Path, columns: Sequence[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, row) of a labelled CSV with these columns; InputError (one line) when it cannot be read."""
    expected = ", ".join(columns)
    reader = None
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f, strict=True)
            missing = [c for c in columns if c not in (reader.fieldnames or ())]
            if missing:
                raise InputError(f"{path}: no {missing[0]} column (expected {expected})")
            for row in reader:
                yield reader.line_num, {c: (row[c] or "").strip() for c in columns}
    except FileNotFoundError as e:
        raise InputError(f"{path}: file not found") from e
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not UTF-8 text (expected a UTF-8 CSV)") from e
    except csv.Error as e:
        line = reader.line_num if reader else 0
        raise InputError(f"{path}: line {line}: malformed CSV: {e} (expected {expected})") from e


def _record_index(records: ListingColumns) -> dict[tuple[str, str], int]:
    return {key: n for n, key in enumerate(zip(texts(records.source), texts(records.source_id), strict=True))}


def read_truth(path: Path, records: ListingColumns) -> np.ndarray:
    """The true entity of each record, as integer labels, from a CSV of `source, id, entity`."""
    entity_of: dict[tuple[str, str], str] = {}
    line_of: dict[tuple[str, str], int] = {}
    for line, row in _labelled_rows(path, ("source", "id", "entity")):
        key, entity = (row["source"], row["id"]), row["entity"]
        if not entity:
            raise InputError(f"{path}: line {line}: no entity (expected source, id, entity on every row)")
        if entity_of.setdefault(key, entity) != entity:
            raise InputError(
                f"{path}: line {line}: source {key[0]!r} id {key[1]!r} is entity {entity!r} here but "
                f"{entity_of[key]!r} on line {line_of[key]} (expected one entity per record)"
            )
        line_of.setdefault(key, line)
    codes: dict[str, int] = {}
    labels = np.empty(len(records), dtype=np.int64)
    for key, n in _record_index(records).items():
        if key not in entity_of:
            raise InputError(f"{path}: no entity for source {key[0]!r} id {key[1]!r} (expected a row for every record)")
        labels[n] = codes.setdefault(entity_of[key], len(codes))
    return labels


_VERDICTS = {"1": True, "yes": True, "true": True, "same": True, "0": False, "no": False, "false": False, "different": False}


def read_pairs(path: Path, records: ListingColumns) -> LabelledPairs:
    """Labelled pairs from a CSV of `source_a, id_a, source_b, id_b, same` (same: 1/0, yes/no, true/false)."""
    index = _record_index(records)
    a, b, same = [], [], []
    for line, row in _labelled_rows(path, ("source_a", "id_a", "source_b", "id_b", "same")):
        ends = []
        for side in ("a", "b"):
            key = (row[f"source_{side}"], row[f"id_{side}"])
            if key not in index:
                raise InputError(
                    f"{path}: line {line}: no input row has source {key[0]!r} id {key[1]!r} (expected records of the inputs)"
                )
            ends.append(index[key])
        verdict = _VERDICTS.get(row["same"].lower())
        if verdict is None:
            raise InputError(f"{path}: line {line}: same {row['same']!r} (expected 1 or 0, yes or no, true or false)")
        a.append(ends[0])
        b.append(ends[1])
        same.append(verdict)
    if not same:
        raise InputError(f"{path}: no labelled pairs (expected rows of source_a, id_a, source_b, id_b, same)")
    return LabelledPairs(np.array(a, dtype=np.int64), np.array(b, dtype=np.int64), np.array(same, dtype=bool))


Judge = Callable[[np.ndarray], Counts]  # cluster labels -> pair counts against what is known


def truth_judge(truth: np.ndarray) -> Judge:
    return functools.partial(pairwise_counts, truth=truth)


def fit(
    labelled: Sequence[tuple[ListingColumns, Judge]], start: MatchSettings, rounds: int = 3
) -> tuple[MatchSettings, Scores, Scores]:
    """Thresholds fitted by coordinate descent on F1 pooled over the labelled sets of records;
    returns them, and the scores before and after."""
    compared = []
    for records, judge in labelled:
        f = record_features(records, start)
        # blocking keeps the starting far_m: the grid stays within it
        compared.append((f, compare(f, blocked_pairs(f, start)), judge))

    def score(settings: MatchSettings) -> Scores:
        return sum((judge(cluster(f, c, settings)) for f, c, judge in compared), Counts(0, 0, 0)).scores()

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
