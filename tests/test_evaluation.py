"""The classifier's bar on the labelled set (tests/labelled: 399 listings, 179 websites)."""

from __future__ import annotations

from pathlib import Path

import pytest

from prospecting.classify import load_rules
from prospecting.evaluation import Labelled, load_labelled, predict, scores, without_websites
from prospecting.extract import Vocabulary

LABELLED = Path(__file__).resolve().parent / "labelled"
PARTNERS_AND_COMPETITORS = ("fitness", "direct_primary_care", "functional_medicine", "competitor")


@pytest.fixture(scope="module")
def cases() -> list[Labelled]:
    return load_labelled(LABELLED, Vocabulary.load())


def test_the_set_has_the_hard_cases(cases: list[Labelled]) -> None:
    assert len(cases) >= 300
    hard = {c.hard_case for c in cases if c.hard_case}
    for trap in ("concierge retainer vs dpc", "running store vs sneaker retailer", "registry name in capitals"):
        assert trap in hard


def test_precision_and_recall_with_websites(cases: list[Labelled]) -> None:
    by_category = {s.category: s for s in scores(cases, predict(cases, load_rules()))}
    for category in PARTNERS_AND_COMPETITORS:
        assert by_category[category].precision >= 0.95, by_category[category]
        assert by_category[category].recall >= 0.90, by_category[category]


def test_functional_medicine_precision_without_websites(cases: list[Labelled]) -> None:
    bare = without_websites(cases)
    by_category = {s.category: s for s in scores(bare, predict(bare, load_rules()))}
    assert by_category["functional_medicine"].precision >= 0.90
