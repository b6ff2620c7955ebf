"""Ranking v1: niche affinity and distance decay into fit_score, with a why text."""

from __future__ import annotations

import pytest

from prospecting.errors import ConfigError
from prospecting.models import Classification, Point, Prospect
from prospecting.rank import Scoring, rank_prospects

CENTRE = Point(32.779, -79.937)


def prospect(pid: str, name: str, subcategory: str, lat: float, confidence: float = 0.9) -> Prospect:
    return Prospect(
        prospect_id=pid, name=name, latitude=lat, longitude=-79.937, address="", city="", state="", postcode="",
        phone="", website="", email="", instagram="", facebook="",
        classification=Classification("fitness", subcategory, confidence, (f"label {subcategory}",)),
    )  # fmt: skip


def test_niche_decides_the_order() -> None:
    people = [prospect("a", "Big Box Gym", "gym", 32.780), prospect("b", "Fleet Stride", "running_store", 32.780)]
    running = rank_prospects(people, CENTRE, 8.0, Scoring.for_niche("running"))
    strength = rank_prospects(people, CENTRE, 8.0, Scoring.for_niche("crossfit_strength"))
    assert [r.prospect.prospect_id for r in running] == ["b", "a"]
    assert [r.prospect.prospect_id for r in strength] == ["a", "b"]
    top = running[0]
    assert top.rank == 1 and 0 <= top.fit_score <= 100
    assert "running store: niche fit 1.00 for runners" in top.why and "mi away" in top.why


def test_nearer_scores_higher_and_ties_are_deterministic() -> None:
    near = prospect("n", "Yoga A", "yoga", 32.780)
    far = prospect("f", "Yoga B", "yoga", 32.830)
    twin = prospect("t", "Yoga A", "yoga", 32.780)
    ranked = rank_prospects([far, twin, near], CENTRE, 8.0, Scoring.for_niche("general_ortho"))
    assert [r.prospect.prospect_id for r in ranked] == ["n", "t", "f"]
    assert ranked[0].components["proximity"] > ranked[2].components["proximity"]
    assert ranked[0].fit_score == ranked[1].fit_score


def test_keyword_boost_and_score_formula() -> None:
    scoring = Scoring.for_niche("running")
    prenatal, plain = rank_prospects(
        [prospect("p", "Flow Yoga", "yoga", 32.779), prospect("q", "Trail Yoga Loft", "yoga", 32.779)], CENTRE, 8.0, scoring
    )
    assert 'name says "Trail"' in prenatal.why
    assert prenatal.components["niche"] == pytest.approx(plain.components["niche"] + scoring.keyword_boost)
    w = scoring.weights
    expected = 100 * sum(w[k] * prenatal.components[k] for k in w) / sum(w.values())
    assert prenatal.fit_score == pytest.approx(expected, abs=0.05)


def test_unknown_niche_in_table() -> None:
    with pytest.raises(ConfigError):
        Scoring.for_niche("knitting")


def test_website_terms_boost_like_name_keywords() -> None:
    from dataclasses import replace

    from prospecting.models import Fact

    scoring = Scoring.for_niche("running")
    plain = prospect("p", "Flow Yoga", "yoga", 32.779)
    said = replace(
        prospect("q", "Flow Studio", "yoga", 32.779), facts=(Fact("term", "marathon", "/classes", "yoga for marathon runners"),)
    )
    ranked = {r.prospect.prospect_id: r for r in rank_prospects([plain, said], CENTRE, 8.0, scoring)}
    assert ranked["q"].components["niche"] == pytest.approx(ranked["p"].components["niche"] + scoring.keyword_boost)
    assert 'website /classes says "marathon"' in ranked["q"].why
