"""Matching v1: blocking, comparison, union-find; the same business merged, branches kept apart."""

from __future__ import annotations

import json

from conftest import FIXTURES

from prospecting.classify import classify_all
from prospecting.listings_io import read_table, table_listings
from prospecting.match import (
    MatchSettings,
    clusters,
    group_listings,
    match_prospects,
    normalise_address,
    normalise_name,
    normalise_phone,
    registrable_domain,
)
from prospecting.models import Listing
from prospecting.sources.osm import parse_overpass


def test_node_and_way_of_one_business_merge() -> None:
    listings = list(parse_overpass(json.loads((FIXTURES / "overpass_small.json").read_text()), "").listings)
    prospects = match_prospects(classify_all(listings))
    assert len(prospects) == len(listings) - 1
    hampton = next(p for p in prospects if p.name == "Hampton Park Yoga")
    assert hampton.members == ("osm:node/5209337585", "osm:way/821057382")
    # fields come from whichever member has them
    assert hampton.phone == "(843) 555-0142" and hampton.website == "https://hamptonparkyoga.example"


def at(name: str, lat: float, lon: float, key: str, **extra: str) -> Listing:
    return Listing(source="t", source_id=key, name=name, latitude=lat, longitude=lon, **extra)


def test_chain_branches_stay_apart_and_spellings_merge() -> None:
    listings = [
        at("Anytime Fitness West Ashley", 32.7850, -80.0000, "1"),
        at("Anytime Fitness Mount Pleasant", 32.8100, -79.8700, "2"),
        at("Orangetheory Fitness", 32.7800, -79.9400, "3"),
        at("Orangetheory Fitness", 32.8300, -79.8400, "4"),  # same name, 10 km away: another branch
        at("The King St. Yoga House, LLC", 32.78012, -79.93654, "5"),
        at("King Street Yoga House", 32.78030, -79.93670, "6"),  # 25 m away
    ]
    groups = group_listings(listings)
    assert sorted(map(tuple, groups)) == [(0,), (1,), (2,), (3,), (4, 5)]


def test_a_chains_branches_at_one_spot_stay_apart() -> None:
    # a chain (a name on five or more records) with two branches 48 m apart at two addresses: the
    # same name at one spot is not one business when it is a chain's
    far_off = [at("Crunch Fitness", 32.70 + n * 0.05, -80.10, f"far{n}", address=f"{n} Oak Street") for n in range(5)]
    branches = [
        Listing("map", "a", "Crunch Fitness", 32.78000, -79.94000, address="60 Main Street"),
        Listing("places", "b", "Crunch Fitess", 32.78040, -79.94010, address="147 Folly Road, Suite 259"),
    ]
    groups = group_listings(far_off + branches)
    assert [5] in groups and [6] in groups


def test_a_chains_branch_at_one_street_address_is_one_business() -> None:
    # two sources place one Club Pilates 290 m apart (beyond chain_m), at the same street address:
    # a chain's branches never share one, so the address links them; the branch next door does not
    far_off = [at("Club Pilates", 32.70 + n * 0.05, -80.10, f"far{n}", address=f"{n} Oak Street") for n in range(5)]
    branch = [
        Listing("map", "a", "Club Pilates", 32.78000, -79.94000, address="2486 Church St, Suite 250", city="Charleston"),
        Listing("places", "b", "CLUB PILATES LLC", 32.78260, -79.94000, address="2486 Church Street", city="Charleston"),
        Listing("places", "c", "Club Pilates", 32.78150, -79.94000, address="2510 Church Street", city="Charleston"),
    ]
    groups = group_listings(far_off + branch)
    assert [5, 6] in groups and [7] in groups
    # kind words added to a chain's name ("coffee") leave its core: one branch too
    cafes = [at("Crazy Mocha", 32.70 + n * 0.05, -80.20, f"cafe{n}", address=f"{n} Elm Street") for n in range(5)]
    cafe = [
        Listing("map", "d", "Crazy Mocha", 32.79000, -79.95000, address="4032 Butler Street"),
        Listing("places", "e", "Crazy Mocha Coffee", 32.79260, -79.95000, address="4032 Butler St"),
    ]
    assert [5, 6] in group_listings(cafes + cafe)
    assert MatchSettings.from_table().chain_m < 290


def test_same_phone_or_domain_links_nearby_records() -> None:
    listings = [
        at("Lowcountry DPC", 32.7850, -79.9350, "1", phone="+1 843-555-0150"),
        at("Lowcountry Direct Primary Care", 32.7858, -79.9362, "2", phone="(843) 555-0150"),
        at("Palmetto Pilates", 32.7900, -79.9500, "3", website="https://www.palmettopilates.example/book"),
        at("Palmetto Pilates Studio", 32.7915, -79.9510, "4", website="http://palmettopilates.example"),
        at("Sunrise Yoga", 32.7600, -79.9600, "5", website="https://www.facebook.com/pages/x"),
        at("Sunrise Pilates Loft", 32.7625, -79.9600, "6", website="https://www.facebook.com/pages/y"),  # 278 m
    ]
    groups = sorted(map(tuple, group_listings(listings)))
    assert (0, 1) in groups and (2, 3) in groups
    assert (4,) in groups and (5,) in groups  # a shared facebook.com proves nothing


def test_no_listings_no_prospects() -> None:
    assert group_listings([]) == [] and match_prospects([]) == []


def test_without_coordinates() -> None:
    table = read_table(FIXTURES / "no_coordinates.csv")
    listings = table_listings(table)
    groups = sorted(map(tuple, group_listings(listings)))
    assert groups == [(0, 1), (2,), (3,), (4,)]


def test_normalisers() -> None:
    assert normalise_name("The Café & Barre, LLC") == "cafe and barre llc"
    assert normalise_name("The Café & Barre, LLC", frozenset({"llc"})) == "cafe and barre"
    assert normalise_phone("+1 (843) 555-0101") == normalise_phone("843.555.0101") == "+18435550101"
    assert normalise_phone("+44 20 7946 0958") == "+442079460958"
    assert normalise_phone("555-0101") == "" and normalise_phone("+1 000") == ""
    assert normalise_phone("12") == ""
    assert registrable_domain("https://WWW.Example.com/path") == "example.com"
    assert registrable_domain("https://m.facebook.com/x", frozenset({"facebook.com"})) == ""


def test_union_find_joins_chains() -> None:
    assert clusters(5, [(0, 1), (3, 4), (1, 3)]) == [[0, 1, 3, 4], [2]]


def test_a_street_address_matches_a_full_one_but_not_another_number() -> None:
    words = MatchSettings.from_table().abbreviations
    assert normalise_address("45 Rutledge Ave, Charleston, SC 29401", words) == "45 rutledge avenue charleston sc 29401"
    listings = [
        Listing("a", "1", "Peninsula Physical Therapy", 32.78, -79.94, address="45 Rutledge Ave, Charleston, SC 29401"),
        Listing("b", "1", "Peninsula Physical Therapy", address="45 Rutledge Ave", city="Charleston"),
        Listing("b", "2", "Peninsula Physical Therapy", address="145 Rutledge Ave", city="Charleston"),
    ]
    assert sorted(map(tuple, group_listings(listings))) == [(0, 1), (2,)]


def test_two_suites_of_one_building_stay_apart() -> None:
    listings = [
        Listing("a", "1", "Harbor Family Medicine", 32.7850, -79.9350, address="100 Main St, Suite 200"),
        Listing("b", "1", "Harbor Family Medicine", 32.7851, -79.9351, address="100 Main Street Ste 310"),
        Listing("c", "1", "Harbor Family Medicine", 32.7852, -79.9350, address="100 Main Street, Suite 200"),
    ]
    assert sorted(map(tuple, group_listings(listings))) == [(0, 2), (1,)]


def test_at_one_spot_the_same_name_outweighs_another_house_number() -> None:
    # a corner building has two numbers, and sources mistype them; 100 m apart they are two places
    bakery = Listing("osm", "node/1", "Potomac Bakery", 40.39000, -80.04000, address="685 Washington Road")
    same_spot = Listing("yelp", "a", "Potomac Bakery", 40.39002, -80.04001, address="689 Washington Rd")
    down_the_road = Listing("yelp", "b", "Potomac Bakery", 40.39090, -80.04000, address="785 Washington Rd")
    other_name = Listing("yelp", "c", "Potomac Pizza", 40.39002, -80.04001, address="689 Washington Rd")
    assert sorted(map(tuple, group_listings([bakery, same_spot]))) == [(0, 1)]
    assert sorted(map(tuple, group_listings([bakery, down_the_road]))) == [(0,), (1,)]
    assert sorted(map(tuple, group_listings([bakery, other_name]))) == [(0,), (1,)]


def test_a_part_of_a_place_is_another_place() -> None:
    # check-in sources list a building's pool beside the building, often with its phone
    hall = Listing("osm", "way/1", "Bellefield Hall", 40.44500, -79.95100, phone="412-624-4141")
    pool = Listing("foursquare", "a", "Bellefield Hall Swimming Pool", 40.44520, -79.95110, phone="412-624-4141")
    pool_again = Listing("osm", "way/2", "Bellefield Hall Pool", 40.44525, -79.95105)
    assert sorted(map(tuple, group_listings([hall, pool]))) == [(0,), (1,)]
    assert sorted(map(tuple, group_listings([hall, pool, pool_again]))) == [(0,), (1, 2)]


def test_other_numbers_in_names_are_other_places() -> None:
    plaza_7 = Listing("osm", "way/7", "Foster Plaza 7", 40.41000, -80.08000)
    plaza_10 = Listing("foursquare", "a", "Foster Plaza Building 10", 40.41050, -80.08000)  # 56 m
    plaza_7_again = Listing("foursquare", "b", "Foster Plaza 7", 40.41010, -80.08010)
    assert sorted(map(tuple, group_listings([plaza_7, plaza_10, plaza_7_again]))) == [(0, 2), (1,)]


def test_in_names_st_saint_and_street_read_alike() -> None:
    words = MatchSettings.from_table().name_abbreviations
    assert normalise_name("St. Simon and Jude", abbreviations=words) == normalise_name(
        "Saint Simon and Jude", abbreviations=words
    )
    assert normalise_name("King St Yoga", abbreviations=words) == normalise_name("King Street Yoga", abbreviations=words)
    assert normalise_name("Mt. Lebanon Pilates", abbreviations=words) == "mount lebanon pilates"


def test_names_alike_but_for_their_cores_are_two_places() -> None:
    # one shopping centre: a shared kind word ("fitness") and the town Foursquare adds to names
    # must not carry a link, in the centre or at one address
    planet = Listing("osm", "node/1", "Planet Fitness", 40.23755, -82.85306)
    orange = Listing("foursquare", "a", "Orangetheory Fitness Marlow Springs", 40.23739, -82.85295)
    planet_too = Listing("foursquare", "b", "Planet Fitness Marlow Springs", 40.23760, -82.85300)
    assert sorted(map(tuple, group_listings([planet, orange, planet_too]))) == [(0, 2), (1,)]
    on_one_lot = [
        Listing("osm", "node/2", "Stride Running Company", 40.2370, -82.8530, address="2250 Columbus Pike"),
        Listing("yelp", "c", "Marlow Springs Running Club", 40.2371, -82.8531, address="2250 Columbus Pike"),
    ]
    assert sorted(map(tuple, group_listings(on_one_lot))) == [(0,), (1,)]
    # a name of kind words only names no one place ("Pizza" is inside "Pizza Nova")
    pizza = [Listing("osm", "node/3", "Pizza Pizza", 43.6650, -79.3800), Listing("yelp", "d", "Pizza Nova", 43.6652, -79.3801)]
    assert sorted(map(tuple, group_listings(pizza))) == [(0,), (1,)]
    # the same cores still link, whatever kind words one adds
    assert sorted(map(tuple, group_listings([planet, planet_too]))) == [(0, 1)]


def test_at_one_address_names_that_begin_alike_are_one_place_whatever_their_cores() -> None:
    # 200 m apart (beyond near_m), at one street address: the cores differ ("sandwich bar" / "subs")
    # but the names begin alike; two restaurants of one plaza that share a later word do not
    sams = [
        Listing("osm", "node/1", "Uncle Sam's Sandwich Bar", 40.4400, -79.9560, address="210 Oakland Avenue"),
        Listing("foursquare", "a", "Uncle Sam's Subs", 40.4418, -79.9560, address="210 Oakland Ave"),
    ]
    assert sorted(map(tuple, group_listings(sams))) == [(0, 1)]
    plaza = [
        Listing("osm", "node/2", "Pho Saigon", 40.4500, -79.9500, address="3 Plaza Drive"),
        Listing("yelp", "b", "Saigon Noodle House", 40.4501, -79.9501, address="3 Plaza Dr"),
    ]
    assert sorted(map(tuple, group_listings(plaza))) == [(0,), (1,)]


def test_house_numbers_conflict_on_one_street_only() -> None:
    # a corner salon: its door on one street, its building's number on the other, placed 90 m apart
    # (further than one spot)
    salon = Listing("osm", "node/1", "The Wellington Hair Salon", 43.64800, -79.37700, address="17 Wellington Street East")
    corner = Listing("yelp", "a", "The Wellington Hair Salon", 43.64880, -79.37700, address="33 Yonge Street")
    next_door = Listing("yelp", "b", "The Wellington Hair Salon", 43.64880, -79.37700, address="33 Wellington Street East")
    assert sorted(map(tuple, group_listings([salon, corner]))) == [(0, 1)]
    assert sorted(map(tuple, group_listings([salon, next_door]))) == [(0,), (1,)]
    # a shared website links offices of one owner only where their addresses agree
    city = "https://www.marlowspringsoh.gov/"
    offices = [
        Listing("osm", "way/1", "Marlow Springs Community Center", 40.2222, -82.8685, address="1730 Maple Avenue", website=city),
        Listing("osm", "way/2", "Marlow Springs Fire Station", 40.2228, -82.8709, address="810 South High Street", website=city),
    ]
    assert sorted(map(tuple, group_listings(offices))) == [(0,), (1,)]


def test_numbers_written_as_words_are_numbers() -> None:
    # the names agree but for the number (token set 94), 55 m apart
    one = Listing("osm", "way/1", "Allegheny Center Mall Building One", 40.4420, -80.0050)
    three = Listing("foursquare", "a", "Allegheny Center Mall Building Three", 40.4425, -80.0050)
    first = Listing("osm", "way/2", "First Baptist Church", 40.4500, -80.0100)
    also_first = Listing("yelp", "b", "1st Baptist Church", 40.4501, -80.0100)
    # a number in words against one in figures: their cores ("two" / "2") must not differ
    two = Listing("osm", "way/3", "Two PNC Plaza", 40.4420, -79.9990, address="620 Liberty Avenue")
    also_two = Listing("foursquare", "c", "2 PNC Plaza", 40.4421, -79.9990, address="620 Liberty Ave")
    assert sorted(map(tuple, group_listings([one, three]))) == [(0,), (1,)]
    assert sorted(map(tuple, group_listings([first, also_first]))) == [(0, 1)]
    assert sorted(map(tuple, group_listings([two, also_two]))) == [(0, 1)]


def test_names_compare_letter_by_letter_too() -> None:
    # words run together, or a letter off in every word: token sets see no shared word
    pairs = [
        ("Mint Leaf", "Mintleaf"),
        ("Extreme Games Interactive", "Xtreme Games Intractive"),
    ]
    for left, right in pairs:
        listings = [Listing("osm", "node/1", left, 55.9760, -3.1720), Listing("yelp", "a", right, 55.9762, -3.1721)]
        assert sorted(map(tuple, group_listings(listings))) == [(0, 1)], (left, right)
    other = [Listing("osm", "node/1", "Mint Leaf", 55.9760, -3.1720), Listing("yelp", "a", "Mint Lounge", 55.9762, -3.1721)]
    assert sorted(map(tuple, group_listings(other))) == [(0,), (1,)]
    # 212 m apart the whole names must agree (the far rule): letter by letter they do
    far = [Listing("osm", "node/1", "SportsClips", 40.4370, -80.0700), Listing("yelp", "a", "Sport Clips", 40.4389, -80.0700)]
    assert sorted(map(tuple, group_listings(far))) == [(0, 1)]


def test_a_shop_named_with_its_mall_or_hotel_is_another_place() -> None:
    # check-in sources name a shop inside a mall or hotel "<shop> @ <mall>", "<shop> (<mall>)" or
    # "<shop> - <mall>": one name inside the other, yet two places
    apart = [
        ("Bayview Village", "Honey (Bayview Village)"),
        ("Raffles Hotel", "Amarita Spa @ Raffles Hotel"),
        ("SouthSide Works", "Steve Madden - South Side Works"),
        ("Singapore Swimming Club", "Gym @ Singapore Swimming Club"),  # a short tenant part
    ]
    together = [
        ("Starbucks", "Starbucks @ Raffles City"),  # the shop itself, named with its mall
        ("Swisstel The Stamford", "Swissotel (The Stamford)"),  # brackets around part of one name
        ("United Steelworkers", "USW | United Steelworkers"),  # an abbreviation beside the name
    ]
    for pairs, expected in ((apart, [(0,), (1,)]), (together, [(0, 1)])):
        for left, right in pairs:
            listings = [Listing("osm", "node/1", left, 1.3000, 103.8500), Listing("foursquare", "a", right, 1.3001, 103.8501)]
            assert sorted(map(tuple, group_listings(listings))) == expected, (left, right)


def test_practices_of_one_health_system_sharing_a_website_stay_apart() -> None:
    # Foursquare lists marlowhealth.org for each practice: the website is the system's, not a
    # practice's, and ties two records only at one address
    listings = [
        Listing("osm", "node/1", "Marlow Health Orthopedics", 40.2387700, -82.8767738),
        Listing("osm", "node/2", "Marlow Health Family Medicine", 40.2386278, -82.8769402),
        Listing(
            "foursquare",
            "a",
            "Marlow Health Orthopedics & Sports Medicine",
            40.2386231,
            -82.8766414,
            website="https://marlowhealth.org",
        ),
        Listing(
            "foursquare",
            "b",
            "Marlow Health Family Medicine",
            40.237677,
            -82.877004,
            address="1020 Spring St",
            website="http://www.marlowhealth.org",
        ),
    ]
    assert sorted(map(tuple, group_listings(listings))) == [(0, 2), (1, 3)]
