"""Matching: normalisers are idempotent (hypothesis), each blocking key finds its pairs, order does not matter."""

from __future__ import annotations

import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from prospecting.match import (
    MatchSettings,
    _components,
    _CoreWords,
    _group_pairs,
    candidate_pairs,
    compare,
    group_listings,
    normalise_address,
    normalise_addresses,
    normalise_name,
    normalise_names,
    normalise_phone,
    normalise_phones,
    pairs_within,
    record_features,
    registrable_domain,
    registrable_domains,
)
from prospecting.models import Listing, ListingColumns

S = MatchSettings.from_table()
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_normalisers_are_idempotent(text: str) -> None:
    name = normalise_name(text, S.legal_suffixes, S.name_abbreviations)
    assert normalise_name(name, S.legal_suffixes, S.name_abbreviations) == name
    address = normalise_address(text, S.abbreviations)
    assert normalise_address(address, S.abbreviations) == address
    phone = normalise_phone(text)
    assert normalise_phone(phone) == phone
    domain = registrable_domain(text, S.non_identity_domains)
    assert registrable_domain(domain, S.non_identity_domains) == domain


def record(key: str, name: str, lat: float | None = None, lon: float | None = None, **extra: str) -> Listing:
    return Listing(source="t", source_id=key, name=name, latitude=lat, longitude=lon, **extra)


def pairs(listings: list[Listing]) -> set[tuple[int, int]]:
    return {(int(a), int(b)) for a, b in candidate_pairs(listings, S)}


def test_each_blocking_key() -> None:
    far = 32.9  # about 13 km north: only a shared key brings these together
    geo = [record("1", "Alpha Yoga", 32.78, -79.93), record("2", "Zed Gym", 32.7830, -79.93)]  # 333 m
    assert (0, 1) in pairs(geo)
    assert (0, 1) not in pairs([record("1", "Alpha Yoga", 32.78, -79.93), record("2", "Zed Gym", far, -79.93)])
    phone = [record("1", "Alpha", 32.78, -79.93, phone="843-555-0101"), record("2", "Beta", far, -79.93, phone="+18435550101")]
    domain = [record("1", "A", 32.78, -79.93, website="https://a.example/x"), record("2", "B", far, -79.93, website="a.example")]
    address = [
        record("1", "A", 32.78, -79.93, address="12 Calhoun St"),
        record("2", "B", far, -79.93, address="12 Calhoun Street"),
    ]
    for found in (phone, domain, address):
        assert pairs(found) == {(0, 1)}
    unplaced = [record("1", "Harbor Yoga"), record("2", "Harbor Yoga Studio", far, -79.93), record("3", "Zed", 32.78, -79.93)]
    assert (0, 1) in pairs(unplaced)  # sorted neighbourhood on names, for records without a position


def test_a_key_shared_by_many_proves_nothing() -> None:
    codes = np.array([0, 0, 5, 5, 7, 7, 7, 9])
    assert sorted(map(tuple, _group_pairs(codes, cap=2).tolist())) == [(2, 3)]
    assert len(_group_pairs(codes, cap=3)) == 4  # 5-5, and the three 7s


def test_an_address_in_many_towns_still_meets_its_twin_in_one_town() -> None:
    # "100 Main Street" in 30 towns: more records than max_group share it, so the address alone
    # proves nothing, but within one town it is one building (here neither record has a position
    # and their names sort far apart, so no other key brings them together)
    towns = [record(str(n), f"Shop {n}", 32.6 + n * 0.02, -79.93, address="100 Main St", city=f"Town {n}") for n in range(30)]
    twins = [
        record("a", "Alder Pilates", address="100 Main Street", city="Town 7", postcode="29401"),
        record("b", "Zeta Pilates Alder", address="100 Main St", city="Town 7"),
    ]
    listings = towns + twins
    assert S.max_group < len(towns)
    assert (len(towns), len(towns) + 1) in pairs(listings)
    # another town's "100 Main Street" (one whose name sorts far from both)
    assert not {(15, len(towns)), (15, len(towns) + 1)} & pairs(listings)


def test_clusters_do_not_depend_on_input_order() -> None:
    rng = random.Random(4)
    base = []
    for n in range(60):
        lat, lon = 32.70 + rng.random() * 0.2, -79.99 + rng.random() * 0.2
        base.append(record(f"a{n}", f"Business {n} Yoga", lat, lon, phone=f"843555{n:04d}"))
        base.append(record(f"b{n}", f"Business {n} Yoga LLC", lat + 0.0003, lon))
    expected = {frozenset(base[i].key for i in g) for g in group_listings(base)}
    for _ in range(3):
        shuffled = base[:]
        rng.shuffle(shuffled)
        assert {frozenset(shuffled[i].key for i in g) for g in group_listings(shuffled)} == expected
    assert len(expected) == 60


def test_features_mark_chains_and_branch_words() -> None:
    listings = [record(str(n), "Anytime Fitness", 32.7 + n * 0.05, -79.9) for n in range(6)]
    listings.append(record("m", "Pure Barre Midtown", 32.7, -79.9))
    f = record_features(ListingColumns.of(listings), S)
    assert f.chain[:6].all() and not f.chain[6]
    assert f.branch[6] != 0 and (f.branch[:6] == 0).all()


PHONE_TEXT = st.text(alphabet=st.sampled_from(list("+0123456789 ()-./x٣é\t")), max_size=20)
URL_TEXT = st.text(alphabet=st.sampled_from(list("hwtps:/.@?#:wWcomfaebk-é\n1")), max_size=40)


@settings(max_examples=300, deadline=None)
@given(st.lists(PHONE_TEXT, max_size=8), st.lists(URL_TEXT, max_size=8), st.lists(TEXT, max_size=8))
def test_column_normalisers_agree_with_the_one_value_ones(phones: list[str], urls: list[str], words: list[str]) -> None:
    assert normalise_names(words, S.legal_suffixes, S.name_abbreviations) == [
        normalise_name(w, S.legal_suffixes, S.name_abbreviations) for w in words
    ]  # no list at all included
    assert normalise_addresses(words, S.abbreviations) == [normalise_address(w, S.abbreviations) for w in words]
    urls += ["https://www.Facebook.com/x", "http://user@Example.org:8080/a", "www.wixsite.com", "a..b", "x.com."]
    assert normalise_phones(phones).to_pylist() == [normalise_phone(p) for p in phones]
    shared = S.non_identity_domains
    assert registrable_domains(urls, shared).to_pylist() == [registrable_domain(u, shared) for u in urls]


NAME_WORDS = st.sampled_from(["planet", "fitness", "yoga", "harbor", "harbour", "pizza", "nova", "mint", "leaf", "mintleaf", "7"])
NAMES = st.lists(st.lists(NAME_WORDS, max_size=4).map(" ".join), min_size=2, max_size=12)


@settings(max_examples=200, deadline=None)
@given(NAMES, st.randoms(use_true_random=False))
def test_name_comparisons_made_once_per_name_pair_reach_every_pair(names: list[str], rng: random.Random) -> None:
    # names repeat, so pairs share name pairs (in either order): each pair must get what it gets alone
    listings = [record(str(n), name, 40.0 + rng.random() * 0.001, -80.0) for n, name in enumerate(names)]
    f = record_features(ListingColumns.of(listings), S)
    pairs = np.array([(i, j) for i in range(len(names)) for j in range(len(names)) if i != j], dtype=np.int64)
    together = compare(f, pairs)
    for k, pair in enumerate(pairs):
        alone = compare(f, pair[None, :])
        for field in ("name", "whole_name", "core_name", "extra_words"):
            assert getattr(together, field)[k] == getattr(alone, field)[0], (field, names[pair[0]], names[pair[1]])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(NAME_WORDS, max_size=5).map(" ".join), min_size=1, max_size=10), st.randoms(use_true_random=False))
def test_core_words_only_one_name_has(names: list[str], rng: random.Random) -> None:
    kinds = frozenset({"fitness", "yoga", "pizza"})
    words, core = _CoreWords.of(names, kinds)
    first = np.array([rng.randrange(len(names)) for _ in range(20)], dtype=np.int64)
    second = np.array([rng.randrange(len(names)) for _ in range(20)], dtype=np.int64)
    expected = [
        " ".join(sorted(set(names[i].split()) - kinds - set(names[j].split()))) for i, j in zip(first, second, strict=True)
    ]
    assert words.only_in_first(first, second) == expected
    cores = [" ".join(w for w in n.split() if w not in kinds) for n in names]
    assert [core[i] == core[j] for i in range(len(names)) for j in range(len(names))] == [
        cores[i] == cores[j] for i in range(len(names)) for j in range(len(names))
    ]
    assert [bool(c) for c in core] == [bool(c) for c in cores]


POINTS = st.lists(st.tuples(st.floats(0, 3000), st.floats(0, 3000)), max_size=120)


@settings(max_examples=200, deadline=None)
@given(POINTS, st.sampled_from([0.0, 50.0, 300.0, 500.0]))
def test_pairs_within_a_radius_are_every_close_pair(points: list[tuple[float, float]], radius: float) -> None:
    # points on cell edges and corners included: a whole-metre grid puts many exactly on them
    points += [(float(round(px / 50) * 50), float(round(py / 50) * 50)) for px, py in points[:20]]
    x = np.array([p[0] for p in points], dtype=float)
    y = np.array([p[1] for p in points], dtype=float)
    expected = {
        (i, j) for i in range(len(points)) for j in range(i + 1, len(points)) if np.hypot(x[i] - x[j], y[i] - y[j]) <= radius
    }
    found = pairs_within(x, y, radius)
    assert sorted(map(tuple, found.tolist())) == sorted(expected)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 40).flatmap(lambda n: st.tuples(st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)))))
)
def test_components_join_every_linked_pair_and_no_other(graph: tuple[int, list[tuple[int, int]]]) -> None:
    count, edges = graph
    labels = _components(count, np.array(edges, dtype=np.int64).reshape(-1, 2))
    # a plain union-find over the same edges
    parent = list(range(count))

    def root(v: int) -> int:
        while parent[v] != v:
            v = parent[v]
        return v

    for a, b in edges:
        parent[root(a)] = root(b)
    assert [[labels[i] == labels[j] for j in range(count)] for i in range(count)] == [
        [root(i) == root(j) for j in range(count)] for i in range(count)
    ]
