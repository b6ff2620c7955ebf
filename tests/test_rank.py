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


def km_north(km: float) -> float:
    return CENTRE.latitude + km / 111.32


def with_(p: Prospect, **changes: object) -> Prospect:
    from dataclasses import replace

    return replace(p, **changes)  # type: ignore[arg-type]


def test_a_running_store_two_km_away_outranks_a_big_box_gym_one_km_away() -> None:
    store = prospect("s", "Marsh Mile Running Co", "running_store", km_north(2.0))
    gym = with_(prospect("g", "Planet Fitness", "gym", km_north(1.0)), brand="Planet Fitness")
    ranked = rank_prospects([gym, store], CENTRE, 8.0, Scoring.for_niche("running"))
    assert [r.prospect.prospect_id for r in ranked] == ["s", "g"]
    assert ranked[1].components["independence"] < ranked[0].components["independence"]
    assert "chain (brand Planet Fitness)" in ranked[1].why


def test_pure_dpc_outranks_hybrid_at_equal_distance() -> None:
    def dpc(pid: str, subcategory: str) -> Prospect:
        p = prospect(pid, f"Harbor Family Medicine {pid}", subcategory, km_north(1.5))
        return with_(p, classification=Classification("direct_primary_care", subcategory, 0.9, ("site says DPC",)))

    for niche in ("general_ortho", "running", "older_adults", "pelvic_health"):
        ranked = rank_prospects([dpc("h", "dpc_hybrid"), dpc("p", "dpc")], CENTRE, 8.0, Scoring.for_niche(niche))
        assert [r.prospect.prospect_id for r in ranked] == ["p", "h"], niche
        assert ranked[0].components["cash_pay"] > ranked[1].components["cash_pay"]


def test_a_studio_with_physical_therapy_in_house_ranks_lower() -> None:
    from prospecting.models import Fact

    plain = prospect("a", "Pure Form Pilates", "pilates", km_north(1.0))
    inside = with_(
        prospect("b", "Core Form Pilates", "pilates", km_north(1.0)),
        facts=(Fact("signal", "in_house_pt", "/services", "our in-house physical therapist"),),
    )
    ranked = rank_prospects([inside, plain], CENTRE, 8.0, Scoring.for_niche("pelvic_health"))
    assert [r.prospect.prospect_id for r in ranked] == ["a", "b"]
    assert ranked[1].penalties == {"in_house_pt": 15.0} and "-15 physical therapy in house" in ranked[1].why
    assert ranked[0].fit_score - ranked[1].fit_score == pytest.approx(15.0, abs=0.1)


def test_changing_the_niche_reorders_and_equal_inputs_give_equal_order() -> None:
    area = [
        prospect("run", "Lowcountry Running Company", "running_store", km_north(2.0)),
        prospect("cf", "CrossFit Holy City", "crossfit", km_north(2.0)),
        prospect("pil", "Pure Form Pilates", "pilates", km_north(2.0)),
        prospect("bar", "Barre Lowcountry", "boutique_studio", km_north(2.0)),
    ]
    tops = {niche: rank_prospects(area, CENTRE, 8.0, Scoring.for_niche(niche))[0].prospect.prospect_id
            for niche in ("running", "crossfit_strength", "pelvic_health", "dance")}  # fmt: skip
    assert tops == {"running": "run", "crossfit_strength": "cf", "pelvic_health": "pil", "dance": "bar"}
    orders = {tuple(r.prospect.prospect_id for r in rank_prospects(list(p), CENTRE, 8.0, Scoring.for_niche("general_ortho")))
              for p in (area, area[::-1], area[1:] + area[:1])}  # fmt: skip
    assert len(orders) == 1


def test_reachability_and_clinic_weights() -> None:
    bare = prospect("a", "Quiet Yoga", "yoga", km_north(1.0))
    reachable = with_(
        prospect("b", "Loud Yoga", "yoga", km_north(1.0)),
        website="https://loud.example",
        email="hi@loud.example",
        phone="843-555-0100",
        instagram="https://instagram.com/loud",
    )
    ranked = rank_prospects([bare, reachable], CENTRE, 8.0, Scoring.for_niche("general_ortho"))
    assert ranked[0].prospect.prospect_id == "b" and ranked[0].components["reachability"] == 1.0
    assert ranked[1].components["reachability"] == 0.0 and "no contact found" in ranked[1].why
    only_reach = Scoring.for_niche(
        "general_ortho", dict.fromkeys(("niche", "proximity", "evidence", "cash_pay", "independence"), 0.0)
    )
    scores = {r.prospect.prospect_id: r.fit_score for r in rank_prospects([bare, reachable], CENTRE, 8.0, only_reach)}
    assert scores == {"a": 0.0, "b": 100.0}
