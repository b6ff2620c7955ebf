"""Find the listings that are the same business and merge them into prospects.

Three explicit steps over plain records (the shape of splink, much simplified for v1):
blocking proposes candidate pairs (a geo grid with neighbour cells; same phone; same
identity-proving domain; a sorted-neighbourhood window on names for records without
coordinates), comparison scores them in bulk with rapidfuzz, and clustering joins linked
records with union-find. Thresholds are data in `config/matching.toml`.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from rapidfuzz import fuzz, process

from prospecting.geo import haversine_km
from prospecting.models import Classification, ClassifiedListing, Listing, Prospect
from prospecting.resources import config_table

_METRES_PER_DEGREE = 111_320.0
_TITLES = frozenset({"the", "dr", "doctor"})


@dataclass(frozen=True)
class MatchSettings:
    grid_m: float
    name_window: int
    near_m: float
    name_when_near: float
    phone_within_m: float
    name_with_phone: float
    domain_within_m: float
    name_with_domain: float
    name_without_coordinates: float
    address_without_coordinates: float
    legal_suffixes: frozenset[str]
    non_identity_domains: frozenset[str]
    abbreviations: Mapping[str, str]
    source_priority: tuple[str, ...] = ()

    @classmethod
    def from_table(cls, table: Mapping[str, Any] | None = None) -> MatchSettings:
        table = config_table("matching") if table is None else table
        block, link, norm = table["blocking"], table["link"], table["normalise"]
        return cls(
            grid_m=float(block["grid_m"]),
            name_window=int(block["name_window"]),
            near_m=float(link["near_m"]),
            name_when_near=float(link["name_when_near"]),
            phone_within_m=float(link["phone_within_m"]),
            name_with_phone=float(link["name_with_phone"]),
            domain_within_m=float(link["domain_within_m"]),
            name_with_domain=float(link["name_with_domain"]),
            name_without_coordinates=float(link["name_without_coordinates"]),
            address_without_coordinates=float(link["address_without_coordinates"]),
            legal_suffixes=frozenset(norm["legal_suffixes"]),
            non_identity_domains=frozenset(norm["non_identity_domains"]),
            abbreviations=dict(norm.get("abbreviations", {})),
            source_priority=tuple(table.get("merge", {}).get("source_priority", ())),
        )


# --- normalisation -------------------------------------------------------------------------------
def _words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = text.replace("&", " and ").replace("+", " and ").replace(".", "")  # "N.D." is "ND", "St." is "St"
    return re.sub(r"[^a-z0-9]+", " ", text).split()


def normalise_name(
    name: str, legal_suffixes: frozenset[str] = frozenset(), abbreviations: Mapping[str, str] | None = None
) -> str:
    """Lower case, no accents or punctuation, "&" as "and", no title ("the", "Dr") or trailing legal suffix.

    Street words are spelled out ("King St Yoga" is "King Street Yoga"), but not one-letter
    ones: in a name "E" is an initial more often than "East".
    """
    spelled = abbreviations or {}
    words = [w if len(w) == 1 else spelled.get(w, w) for w in _words(name) if w not in _TITLES]
    joined = " ".join(words)
    for suffix in sorted(legal_suffixes, key=len, reverse=True):
        if joined.endswith(f" {suffix}"):
            joined = joined[: -len(suffix) - 1]
            break
    return joined.strip()


def normalise_phone(phone: str) -> str:
    """Digits, with a North American leading 1 dropped; '' when too short to identify anyone."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits if len(digits) >= 7 else ""


def registrable_domain(url: str, non_identity: frozenset[str] = frozenset()) -> str:
    """`https://www.Example.com/x` -> `example.com`; '' for shared hosts that prove nothing."""
    if not url:
        return ""
    host = urlsplit(url if "://" in url else f"http://{url}").hostname or ""
    host = host.lower().removeprefix("www.")
    parts = host.split(".")
    domain = ".".join(parts[-2:]) if len(parts) >= 2 else host
    if host in non_identity or domain in non_identity:
        return ""
    return host


def normalise_address(address: str, abbreviations: Mapping[str, str] | None = None) -> str:
    spelled = abbreviations or {}
    return " ".join(spelled.get(w, w) for w in _words(address))


def address_similarity(a: str, b: str) -> float:
    """0-100 on normalised addresses; a street address inside a full one scores high, different house numbers 0."""
    number_a, number_b = _house_number(a), _house_number(b)
    if number_a and number_b and number_a != number_b:
        return 0.0
    return float(fuzz.token_set_ratio(a, b))


def _house_number(address: str) -> str:
    first = address.split(" ", 1)[0]
    return first if first[:1].isdigit() else ""


# --- blocking ------------------------------------------------------------------------------------
def candidate_pairs(listings: Sequence[Listing], settings: MatchSettings) -> set[tuple[int, int]]:
    pairs: set[tuple[int, int]] = set()
    cells: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, item in enumerate(listings):
        if (point := item.exact_point) is not None:
            cells[_cell(point.latitude, point.longitude, settings.grid_m)].append(i)
    for (cx, cy), members in cells.items():
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for j in cells.get((cx + dx, cy + dy), ()):
                    for i in members:
                        if i < j:
                            pairs.add((i, j))
    keys = (
        [normalise_phone(x.phone) for x in listings],
        [registrable_domain(x.website, settings.non_identity_domains) for x in listings],
    )
    for values in keys:
        groups: dict[str, list[int]] = defaultdict(list)
        for i, value in enumerate(values):
            if value:
                groups[value].append(i)
        for members in groups.values():
            pairs.update((a, b) for n, a in enumerate(members) for b in members[n + 1 :])
    without = sorted(
        (normalise_name(x.name, settings.legal_suffixes, settings.abbreviations), i)
        for i, x in enumerate(listings)
        if x.exact_point is None
    )
    with_all = sorted(
        (normalise_name(x.name, settings.legal_suffixes, settings.abbreviations), i) for i, x in enumerate(listings)
    )
    window = settings.name_window
    for ordered in (without, with_all if without else []):
        for n, (_, i) in enumerate(ordered):
            for _, j in ordered[n + 1 : n + window]:
                pairs.add((min(i, j), max(i, j)))
    return pairs


def _cell(lat: float, lon: float, size_m: float) -> tuple[int, int]:
    y = lat * _METRES_PER_DEGREE / size_m
    x = lon * _METRES_PER_DEGREE * math.cos(math.radians(lat)) / size_m
    return (math.floor(x), math.floor(y))


# --- comparison ----------------------------------------------------------------------------------
def linked_pairs(listings: Sequence[Listing], settings: MatchSettings) -> list[tuple[int, int]]:
    """The candidate pairs that the link rules accept."""
    pairs = sorted(candidate_pairs(listings, settings))
    if not pairs:
        return []
    names = [normalise_name(x.name, settings.legal_suffixes, settings.abbreviations) for x in listings]
    name_scores = process.cpdist(
        [names[i] for i, _ in pairs], [names[j] for _, j in pairs], scorer=fuzz.token_set_ratio, workers=-1
    )
    addresses = [normalise_address(x.address, settings.abbreviations) for x in listings]
    links: list[tuple[int, int]] = []
    for (i, j), name_score in zip(pairs, name_scores, strict=True):
        if _linked(listings[i], listings[j], float(name_score), addresses[i], addresses[j], settings):
            links.append((i, j))
    return links


def _linked(a: Listing, b: Listing, name: float, address_a: str, address_b: str, s: MatchSettings) -> bool:
    pa, pb = a.exact_point, b.exact_point
    distance_m = haversine_km(pa, pb) * 1000 if pa and pb else None
    phone_a, phone_b = normalise_phone(a.phone), normalise_phone(b.phone)
    same_phone = bool(phone_a) and phone_a == phone_b
    domain_a = registrable_domain(a.website, s.non_identity_domains)
    same_domain = bool(domain_a) and domain_a == registrable_domain(b.website, s.non_identity_domains)
    if distance_m is not None:
        if distance_m <= s.near_m and name >= s.name_when_near:
            return True
        if same_phone and distance_m <= s.phone_within_m and name >= s.name_with_phone:
            return True
        return same_domain and distance_m <= s.domain_within_m and name >= s.name_with_domain
    if name < s.name_without_coordinates:
        return same_phone and name >= s.name_with_phone
    if same_phone:
        return True
    if address_a and address_b:
        return address_similarity(address_a, address_b) >= s.address_without_coordinates
    same_place = (a.postcode and a.postcode[:5] == b.postcode[:5]) or (a.city and a.city.lower() == b.city.lower())
    return bool(same_place)


# --- clustering ----------------------------------------------------------------------------------
def clusters(count: int, links: Iterable[tuple[int, int]]) -> list[list[int]]:
    """Connected components (union-find with path halving), each sorted, in order of first member."""
    parent = list(range(count))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in links:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(count):
        groups[find(i)].append(i)
    return sorted(groups.values(), key=lambda g: g[0])


def prospect_id(member_keys: Iterable[str]) -> str:
    """Stable for the same earliest member key (a bridge table in the store keeps it across merges later)."""
    return "p-" + hashlib.sha1(min(member_keys).encode()).hexdigest()[:10]


def group_listings(listings: Sequence[Listing], settings: MatchSettings | None = None) -> list[list[int]]:
    settings = settings or MatchSettings.from_table()
    return clusters(len(listings), linked_pairs(listings, settings))


def merge(members: Sequence[ClassifiedListing], source_priority: Sequence[str] = ()) -> Prospect:
    """One prospect from a cluster: each field from the first member that has it, members taken
    in order of source priority, then completeness."""
    rank = {source: n for n, source in enumerate(source_priority)}
    ordered = sorted(members, key=lambda m: (rank.get(m.listing.source, len(rank)), -_completeness(m.listing), m.listing.key))
    # The name most members agree on; among equals, the one of the first member.
    name = Counter(m.listing.name for m in ordered).most_common(1)[0][0]
    best = max(ordered, key=lambda m: m.classification.confidence).classification
    evidence = tuple(
        dict.fromkeys(e for m in ordered if m.classification.category == best.category for e in m.classification.evidence)
    )

    def pick(attribute: str) -> str:
        return next((str(getattr(m.listing, attribute)) for m in ordered if getattr(m.listing, attribute)), "")

    located = next((m.listing for m in ordered if m.listing.exact_point), None) or next(
        (m.listing for m in ordered if m.listing.point), None
    )
    keys = sorted(m.listing.key for m in members)
    return Prospect(
        prospect_id=prospect_id(keys),
        name=name,
        latitude=located.latitude if located else None,
        longitude=located.longitude if located else None,
        address=pick("address"),
        city=pick("city"),
        state=pick("state"),
        postcode=pick("postcode"),
        phone=pick("phone"),
        website=pick("website"),
        email=pick("email"),
        instagram=pick("instagram"),
        facebook=pick("facebook"),
        classification=Classification(best.category, best.subcategory, best.confidence, evidence),
        brand=pick("brand"),
        members=tuple(keys),
        licences=tuple(sorted({m.listing.licence for m in members if m.listing.licence})),
        location_precision=located.location_precision if located else "unknown",
        people=tuple(dict.fromkeys(person for m in ordered for person in m.listing.people)),
        facts=tuple(dict.fromkeys(fact for m in ordered for fact in m.listing.facts)),
        website_error=next((m.listing.website_error for m in ordered if m.listing.facts or m.listing.website_error), ""),
    )


def _completeness(listing: Listing) -> int:
    fields = (listing.address, listing.city, listing.postcode, listing.phone, listing.website, listing.email)
    return sum(1 for f in fields if f)


def match_prospects(classified: Sequence[ClassifiedListing], settings: MatchSettings | None = None) -> list[Prospect]:
    settings = settings or MatchSettings.from_table()
    groups = group_listings([c.listing for c in classified], settings)
    return [merge([classified[i] for i in group], settings.source_priority) for group in groups]
