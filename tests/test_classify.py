"""Classification v1: source labels and names, with evidence; rules are data."""

from __future__ import annotations

import pytest

from prospecting.classify import CATEGORIES, classify, load_rules
from prospecting.errors import ConfigError
from prospecting.models import Listing

RULES = load_rules()


def listing(name: str, *labels: str, **extra: str) -> Listing:
    return Listing(source="osm", source_id="node/1", name=name, categories=labels, **extra)


@pytest.mark.parametrize(
    ("name", "labels", "category", "subcategory"),
    [
        ("King Street Yoga House", ("leisure=fitness_centre", "sport=yoga"), "fitness", "yoga"),
        ("Pure Form Pilates", ("leisure=fitness_centre", "sport=pilates"), "fitness", "pilates"),
        ("CrossFit Holy City", ("leisure=fitness_centre", "sport=crossfit"), "fitness", "crossfit"),
        ("Iron Palmetto Gym", ("amenity=gym",), "fitness", "gym"),
        ("Barre Lowcountry", ("leisure=fitness_centre",), "fitness", "boutique_studio"),
        ("Lowcountry Running Company", ("shop=sports",), "fitness", "running_store"),
        ("Palmetto Team Sports", ("shop=sports",), "other", "sporting_goods"),
        ("Charleston Harriers", ("club=sport", "sport=running"), "fitness", "running_club"),
        ("Lowcountry Bouldering Co.", ("leisure=sports_centre", "sport=climbing"), "fitness", "climbing"),
        (
            "Lowcountry Direct Primary Care",
            ("amenity=doctors", "healthcare:speciality=family_medicine"),
            "direct_primary_care",
            "dpc",
        ),
        ("Holy City DPC", ("amenity=doctors",), "direct_primary_care", "dpc"),
        ("Meeting Street Family Practice", ("amenity=doctors",), "other", "primary_care"),
        ("Mount Pleasant Concierge Medicine", ("amenity=doctors",), "other", "concierge_medicine"),
        ("Charleston Functional Medicine", ("healthcare=alternative",), "functional_medicine", "functional_medicine"),
        ("Integrative Health of Mount Pleasant", ("healthcare=alternative",), "functional_medicine", "integrative"),
        (
            "Sarah Whitfield, ND",
            ("healthcare=alternative", "healthcare:speciality=naturopathy"),
            "functional_medicine",
            "naturopathic",
        ),
        ("Harbor Reiki Healing", ("healthcare=alternative", "healthcare:speciality=reiki"), "other", "not_a_partner"),
        ("Coastal CBD Wellness", ("healthcare=alternative",), "other", "not_a_partner"),
        ("Lowcountry Hypnosis Center", ("naturopathic_holistic",), "other", "not_a_partner"),
        ("Glow Med Spa", ("amenity=clinic",), "other", "not_a_partner"),
        ("Peninsula Urgent Care", ("amenity=clinic",), "other", "urgent_care"),
        ("MUSC Health Family Medicine - West Ashley", ("amenity=doctors",), "other", "hospital_system"),
        ("Peninsula Physical Therapy", ("healthcare=physiotherapist",), "competitor", "physical_therapy"),
        ("Jane Smith, DPT", (), "competitor", "physical_therapy"),
        ("Ashley River PT", (), "competitor", "physical_therapy"),
        ("Folly Road Physical Therapy & Performance", ("leisure=fitness_centre",), "competitor", "physical_therapy"),
        ("Mystery Place", (), "other", "unclassified"),
    ],
)
def test_rules(name: str, labels: tuple[str, ...], category: str, subcategory: str) -> None:
    c = classify(listing(name, *labels), RULES)
    assert (c.category, c.subcategory) == (category, subcategory)
    assert category in CATEGORIES and 0 <= c.confidence <= 1
    assert c.evidence


def test_labels_of_other_vocabularies() -> None:
    """Scraper and directory labels (Google, Yelp, Overture words) are read after normalising."""
    assert classify(listing("Sunrise Studio", "Yoga studio"), RULES).subcategory == "yoga"
    assert classify(listing("Flow", "Pilates-Studio"), RULES).subcategory == "pilates"
    assert classify(listing("Dr. Lee", "Physical Therapist"), RULES).category == "competitor"
    assert classify(listing("Health Co", "Family Practice"), RULES).subcategory == "primary_care"


def test_evidence_says_why() -> None:
    c = classify(listing("Lowcountry Running Company", "shop=sports"), RULES)
    assert c.evidence == ('osm label shop=sports; name "Lowcountry Running Company" says "Running"',)
    stronger = classify(listing("King Street Yoga", "leisure=fitness_centre", "sport=yoga"), RULES)
    weaker = classify(listing("Quiet Room", "leisure=fitness_centre"), RULES)
    assert stronger.confidence > weaker.confidence


def test_operator_names_count() -> None:
    c = classify(listing("West Ashley Family Medicine", "amenity=doctors", operator="MUSC Health"), RULES)
    assert c.subcategory == "hospital_system"


@pytest.mark.parametrize(
    ("rule", "complaint"),
    [
        ({"id": "x", "category": "gyms", "weight": 0.5}, "category"),
        ({"id": "x", "category": "fitness", "weight": 2}, "weight"),
        ({"id": "x", "category": "fitness", "weight": 0.5, "name": ["(unclosed"]}, "bad regular expression"),
        ({"id": "x", "category": "fitness", "weight": 0.5, "require": "most"}, "require"),
    ],
)
def test_bad_rules_are_reported(rule: dict[str, object], complaint: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_rules({"rule": [rule]})
    assert "categories.toml: rule[0] (x)" in str(caught.value) and complaint in str(caught.value)
