"""Find the listings that are the same business and merge them into prospects.

Three explicit steps over records normalised once into arrays (the shape of splink):
blocking proposes candidate pairs (a k-d tree of positions; the same phone, identity-proving
domain, or house number and street; a sorted-neighbourhood window on names for records without
a position), comparison scores them in bulk (rapidfuzz `cpdist`, numpy) with the link rules and
conflicts, and clustering takes connected components. Thresholds are data in
`config/matching.toml`.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import phonenumbers
from rapidfuzz import fuzz, process
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from prospecting.models import Classification, ClassifiedListing, Listing, Prospect
from prospecting.resources import config_table

_METRES_PER_DEGREE = 111_320.0
_TITLES = frozenset({"the", "dr", "doctor"})


@dataclass(frozen=True)
class MatchSettings:
    name_window: int
    max_group: int
    near_m: float
    name_when_near: float
    far_m: float
    name_when_far: float
    chain_m: float
    chain_min_count: int
    phone_within_m: float
    name_with_phone: float
    domain_within_m: float
    name_with_domain: float
    name_without_coordinates: float
    address_without_coordinates: float
    legal_suffixes: frozenset[str]
    non_identity_domains: frozenset[str]
    abbreviations: Mapping[str, str]
    branch_words: frozenset[str] = frozenset()
    source_priority: tuple[str, ...] = ()

    @classmethod
    def from_table(cls, table: Mapping[str, Any] | None = None) -> MatchSettings:
        table = config_table("matching") if table is None else table
        block, link, norm = table["blocking"], table["link"], table["normalise"]
        return cls(
            name_window=int(block["name_window"]),
            max_group=int(block["max_group"]),
            near_m=float(link["near_m"]),
            name_when_near=float(link["name_when_near"]),
            far_m=float(link["far_m"]),
            name_when_far=float(link["name_when_far"]),
            chain_m=float(link["chain_m"]),
            chain_min_count=int(link["chain_min_count"]),
            phone_within_m=float(link["phone_within_m"]),
            name_with_phone=float(link["name_with_phone"]),
            domain_within_m=float(link["domain_within_m"]),
            name_with_domain=float(link["name_with_domain"]),
            name_without_coordinates=float(link["name_without_coordinates"]),
            address_without_coordinates=float(link["address_without_coordinates"]),
            legal_suffixes=frozenset(norm["legal_suffixes"]),
            non_identity_domains=frozenset(norm["non_identity_domains"]),
            abbreviations=dict(norm.get("abbreviations", {})),
            branch_words=frozenset(norm.get("branch_words", [])),
            source_priority=tuple(table.get("merge", {}).get("source_priority", ())),
        )


# --- normalisation -------------------------------------------------------------------------------
# ASCII punctuation becomes a space; "&" and "+" read "and"; a dot joins ("N.D." is "ND", "St." is "St").
_PUNCTUATION = {ord(c): " " for c in map(chr, range(128)) if not c.isalnum()} | {
    ord("&"): " and ",
    ord("+"): " and ",
    ord("."): None,
    ord("'"): None,
}


def _words(text: str) -> list[str]:
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return text.lower().translate(_PUNCTUATION).split()


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
    stripped = True
    while stripped:  # "X Holdings LLC Inc" loses both, so normalising twice changes nothing
        stripped = False
        for suffix in _longest_first(legal_suffixes):
            if joined.endswith(suffix):
                joined, stripped = joined[: -len(suffix)], True
                break
    return joined.strip()


@functools.cache
def _longest_first(suffixes: frozenset[str]) -> tuple[str, ...]:
    return tuple(f" {s}" for s in sorted(suffixes, key=len, reverse=True))


def normalise_phone(phone: str) -> str:
    """E.164 (`+18435550101`); '' when it cannot identify anyone (too short, not a possible number).

    North American numbers, nearly all of them here, are written out directly; anything with
    another country code goes through `phonenumbers` (slower, so only when needed).
    """
    digits = "".join(filter(str.isdigit, phone))
    international = phone.lstrip().startswith("+")
    if len(digits) == 10 and not international and digits[0] in "23456789":
        return "+1" + digits
    if len(digits) == 11 and digits[0] == "1" and digits[1] in "23456789":
        return "+" + digits
    if not international or len(digits) < 8:
        return ""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return ""
    return (
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if phonenumbers.is_possible_number(number) else ""
    )


def registrable_domain(url: str, non_identity: frozenset[str] = frozenset()) -> str:
    """`https://www.Example.com/x` -> `example.com`; '' for shared hosts that prove nothing."""
    if not url:
        return ""
    rest = url.split("://", 1)[-1]
    host = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].rsplit("@", 1)[-1].split(":", 1)[0]
    host = host.lower().removeprefix("www.")
    parts = host.split(".")
    domain = ".".join(parts[-2:]) if len(parts) >= 2 else host
    if host in non_identity or domain in non_identity:
        return ""
    return host


def normalise_address(address: str, abbreviations: Mapping[str, str] | None = None) -> str:
    spelled = abbreviations or {}
    return " ".join(spelled.get(w, w) for w in _words(address))


_UNIT = re.compile(r"\b(?:suite|unit|apt|apartment|room|bldg|building|floor)\s+([a-z0-9-]+)\b")


def _unit(address: str) -> str:
    """The suite or unit of a normalised address ("12 calhoun street suite 200" -> "200")."""
    found = _UNIT.search(address)
    return found.group(1) if found else ""


def _house_number(address: str) -> str:
    first = address.split(" ", 1)[0]
    return first if first[:1].isdigit() else ""


# --- features: every record normalised once, as arrays -----------------------------------------
@dataclass
class _Features:
    names: list[str]
    addresses: list[str]
    x: np.ndarray  # metres east (local projection), NaN without an exact point
    y: np.ndarray  # metres north
    phone: np.ndarray  # int64 code of the normalised phone, 0 when none
    domain: np.ndarray  # int64 code of the identity-proving domain, 0 when none
    address_key: np.ndarray  # int64 code of "house number + first street word", 0 when none
    house: np.ndarray  # int64 house number, -1 when none
    unit: np.ndarray  # int64 code of the suite or unit ("suite 200" -> "200"), 0 when none
    place: np.ndarray  # int64 code of postcode (else city), 0 when none
    branch: np.ndarray  # int64 code of the branch word in the name ("midtown"), 0 when none
    chain: np.ndarray  # bool: the name is shared by many records (a chain's branches)


def _codes(values: Sequence[str]) -> np.ndarray:
    """Factorise strings into int codes, '' -> 0."""
    table: dict[str, int] = {"": 0}
    return np.fromiter((table.setdefault(v, len(table)) for v in values), dtype=np.int64, count=len(values))


def _features(listings: Sequence[Listing], s: MatchSettings) -> _Features:
    names = [normalise_name(x.name, s.legal_suffixes, s.abbreviations) for x in listings]
    addresses = [normalise_address(x.address, s.abbreviations) for x in listings]
    exact = [x.location_precision == "exact" and x.latitude is not None and x.longitude is not None for x in listings]
    lat = np.array([x.latitude if ok else np.nan for x, ok in zip(listings, exact, strict=True)], dtype=float)
    lon = np.array([x.longitude if ok else np.nan for x, ok in zip(listings, exact, strict=True)], dtype=float)
    origin = float(np.nanmean(lat)) if np.isfinite(lat).any() else 0.0
    houses = [_house_number(a) for a in addresses]
    street = [a.split(" ")[1] if h and len(a.split(" ")) > 1 else "" for a, h in zip(addresses, houses, strict=True)]
    name_counts = Counter(names)
    branch_words = s.branch_words
    return _Features(
        names=names,
        addresses=addresses,
        x=lon * _METRES_PER_DEGREE * math.cos(math.radians(origin)),
        y=lat * _METRES_PER_DEGREE,
        phone=_codes([normalise_phone(x.phone) for x in listings]),
        domain=_codes([registrable_domain(x.website, s.non_identity_domains) for x in listings]),
        address_key=_codes([f"{h} {st}" if h else "" for h, st in zip(houses, street, strict=True)]),
        house=np.array([int(h) if h.isdigit() and len(h) < 9 else -1 for h in houses], dtype=np.int64),
        unit=_codes([_unit(a) for a in addresses]),
        place=_codes([(x.postcode[:5] or x.city.lower()) for x in listings]),
        branch=_codes([next((w for w in n.split() if w in branch_words), "") for n in names]),
        chain=np.array([name_counts[n] >= s.chain_min_count and bool(n) for n in names]),
    )


# --- blocking ------------------------------------------------------------------------------------
def _group_pairs(codes: np.ndarray, cap: int) -> np.ndarray:
    """Pairs of records sharing a non-zero code; a code shared by more than `cap` records proves nothing."""
    order = np.argsort(codes, kind="stable")
    ranked = codes[order]
    starts = np.r_[True, ranked[1:] != ranked[:-1]]
    group = np.cumsum(starts) - 1
    sizes = np.bincount(group)
    usable = (ranked != 0) & (sizes[group] <= cap)
    chunks = []
    for k in range(1, min(cap, len(order))):
        same = (ranked[:-k] == ranked[k:]) & usable[:-k]
        if not same.any():
            break
        chunks.append(np.column_stack((order[:-k][same], order[k:][same])))
    return np.concatenate(chunks) if chunks else np.empty((0, 2), dtype=np.int64)


def _window_pairs(keys: Sequence[str], subset: np.ndarray, window: int) -> np.ndarray:
    """Sorted neighbourhood: each record of `subset` with the next `window - 1` in key order."""
    if len(subset) < 2:
        return np.empty((0, 2), dtype=np.int64)
    order = np.array(sorted(subset.tolist(), key=keys.__getitem__), dtype=np.int64)  # Python sorts strings faster
    chunks = [np.column_stack((order[:-k], order[k:])) for k in range(1, min(window, len(order)))]
    return np.concatenate(chunks)


def candidate_pairs(listings: Sequence[Listing], settings: MatchSettings, features: _Features | None = None) -> np.ndarray:
    """Candidate pairs (i < j) as an (n, 2) array: the union of the blocking keys."""
    f = features or _features(listings, settings)
    located = np.flatnonzero(np.isfinite(f.x))
    chunks = []
    if len(located) > 1:
        tree = cKDTree(np.column_stack((f.x[located], f.y[located])))
        near = tree.query_pairs(settings.far_m, output_type="ndarray")
        chunks.append(located[near])
    cap = settings.max_group
    chunks += [_group_pairs(f.phone, cap), _group_pairs(f.domain, cap), _group_pairs(f.address_key, cap)]
    unlocated = ~np.isfinite(f.x)
    if unlocated.any():
        # records without a position meet the others by name order (pairs with one of them only)
        window = _window_pairs(f.names, np.arange(len(listings)), settings.name_window)
        chunks.append(window[unlocated[window[:, 0]] | unlocated[window[:, 1]]])
    if not any(len(c) for c in chunks):
        return np.empty((0, 2), dtype=np.int64)
    pairs = np.concatenate([c for c in chunks if len(c)])
    low, high = pairs.min(axis=1).astype(np.int64), pairs.max(axis=1).astype(np.int64)
    codes = np.unique(low[low != high] * len(listings) + high[low != high])  # one sort of integers, not of rows
    return np.column_stack((codes // len(listings), codes % len(listings)))


# --- comparison ----------------------------------------------------------------------------------
def linked_pairs(listings: Sequence[Listing], settings: MatchSettings) -> np.ndarray:
    """The candidate pairs the link rules accept, compared in bulk (rapidfuzz, numpy)."""
    f = _features(listings, settings)
    pairs = candidate_pairs(listings, settings, f)
    if not len(pairs):
        return pairs
    a, b = pairs[:, 0], pairs[:, 1]
    s = settings
    name = process.cpdist([f.names[i] for i in a], [f.names[j] for j in b], scorer=fuzz.token_set_ratio, workers=-1)
    distance = np.hypot(f.x[a] - f.x[b], f.y[a] - f.y[b])  # NaN when either lacks a point
    located = np.isfinite(distance)
    same_phone = (f.phone[a] == f.phone[b]) & (f.phone[a] != 0)
    same_domain = (f.domain[a] == f.domain[b]) & (f.domain[a] != 0)
    chain = f.chain[a] | f.chain[b]
    # conflicts that split look-alikes: another house number, another branch word ("Midtown" vs "Uptown")
    other_house = (f.house[a] >= 0) & (f.house[b] >= 0) & (f.house[a] != f.house[b])
    other_branch = (f.branch[a] != 0) & (f.branch[b] != 0) & (f.branch[a] != f.branch[b])
    other_unit = (f.unit[a] != 0) & (f.unit[b] != 0) & (f.unit[a] != f.unit[b]) & ~other_house  # one building, two suites
    conflict = (other_house | other_branch | other_unit) & ~same_phone

    with np.errstate(invalid="ignore"):
        near = located & (distance <= s.near_m) & (name >= s.name_when_near) & ~conflict & ~chain
        far = located & (distance <= s.far_m) & (name >= s.name_when_far) & ~conflict & ~chain
        chain_near = located & chain & (distance <= s.chain_m) & (name >= s.name_when_near) & ~conflict
        by_phone = located & same_phone & (distance <= s.phone_within_m) & (name >= s.name_with_phone)
        by_domain = located & same_domain & (distance <= s.domain_within_m) & (name >= s.name_with_domain) & ~conflict

    unplaced = np.flatnonzero(~located)
    linked_unplaced = np.zeros(len(pairs), dtype=bool)
    if len(unplaced):
        ua, ub = a[unplaced], b[unplaced]
        close_name = name[unplaced] >= s.name_without_coordinates
        address = np.zeros(len(unplaced))
        both = np.flatnonzero(np.array([bool(f.addresses[i]) and bool(f.addresses[j]) for i, j in zip(ua, ub, strict=True)]))
        if len(both):
            address[both] = process.cpdist(
                [f.addresses[i] for i in ua[both]], [f.addresses[j] for j in ub[both]], scorer=fuzz.token_set_ratio, workers=-1
            )
        no_addresses = np.array([not f.addresses[i] and not f.addresses[j] for i, j in zip(ua, ub, strict=True)], dtype=bool)
        same_place = (f.place[ua] == f.place[ub]) & (f.place[ua] != 0)
        other_place = (f.place[ua] != f.place[ub]) & (f.place[ua] != 0) & (f.place[ub] != 0)
        phone_u = same_phone[unplaced]
        linked_unplaced[unplaced] = (
            (phone_u & (name[unplaced] >= s.name_with_phone))
            | (close_name & ~conflict[unplaced] & ~other_place & (address >= s.address_without_coordinates))
            | (close_name & ~chain[unplaced] & no_addresses & same_place)
        )
    keep = near | far | chain_near | by_phone | by_domain | linked_unplaced
    linked: np.ndarray = pairs[keep]
    return linked


# --- clustering ----------------------------------------------------------------------------------
def clusters(count: int, links: Iterable[tuple[int, int]] | np.ndarray) -> list[list[int]]:
    """Connected components of the link graph, each sorted, in order of first member."""
    edges = np.asarray(list(links) if not isinstance(links, np.ndarray) else links, dtype=np.int64).reshape(-1, 2)
    graph = coo_matrix((np.ones(len(edges), dtype=np.int8), (edges[:, 0], edges[:, 1])), shape=(count, count))
    _, labels = connected_components(graph, directed=False)
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.r_[True, labels[order][1:] != labels[order][:-1]])
    groups = [order[start:end].tolist() for start, end in zip(bounds, np.r_[bounds[1:], count], strict=True)]
    return sorted(groups, key=lambda g: g[0])


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
