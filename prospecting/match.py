"""Find the listings that are the same business and merge them into prospects.

Three explicit steps over records normalised once into arrays (the shape of splink):
blocking proposes candidate pairs (positions in square cells; the same phone, identity-proving
domain, or house number and street; a sorted-neighbourhood window on names for records without
a position), comparison scores them in bulk (rapidfuzz `cpdist`, numpy) with the link rules and
conflicts, and clustering takes connected components. Thresholds are data in
`config/matching.toml`.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz, process

from prospecting.errors import ConfigError
from prospecting.models import Classification, ClassifiedListing, Listing, ListingColumns, Prospect, Texts, arrow_texts, texts
from prospecting.resources import config_table, read_toml

_METRES_PER_DEGREE = 111_320.0
_TITLES = frozenset({"the", "dr", "doctor"})
_T = TypeVar("_T")


# numbers in names are written in figures: "One Gateway Center", "First Baptist" and "1st Baptist" read "1"
_NUMBER_WORDS = {
    word: str(n)
    for n, words in enumerate(
        "one first, two second, three third, four fourth, five fifth, six sixth, seven seventh, eight eighth, "
        "nine ninth, ten tenth, eleven eleventh, twelve twelfth".split(", "),
        start=1,
    )
    for word in words.split()
}
_ORDINAL = r"([0-9]+)(?:st|nd|rd|th)"
_NUMBER = re.compile(r"^[0-9]+$")


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
    name_with_address: float
    name_without_coordinates: float
    address_without_coordinates: float
    legal_suffixes: frozenset[str]
    non_identity_domains: frozenset[str]
    abbreviations: Mapping[str, str]  # in addresses
    name_abbreviations: Mapping[str, str] = field(default_factory=dict)  # in names
    branch_words: frozenset[str] = frozenset()
    part_words: frozenset[str] = frozenset()
    kind_words: frozenset[str] = frozenset()
    source_priority: tuple[str, ...] = ()
    max_width_m: float = 800.0
    one_spot_m: float = 0.0
    far_extra_words: float = 0.0
    name_core: float = 0.0
    many_per_business: frozenset[str] = frozenset()

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
            name_with_address=float(link["name_with_address"]),
            name_without_coordinates=float(link["name_without_coordinates"]),
            address_without_coordinates=float(link["address_without_coordinates"]),
            legal_suffixes=frozenset(norm["legal_suffixes"]),
            non_identity_domains=frozenset(norm["non_identity_domains"]),
            abbreviations=dict(norm.get("abbreviations", {})),
            name_abbreviations={
                short: word
                for short, word in (norm.get("abbreviations", {}) | norm.get("name_abbreviations", {})).items()
                if short != word
            },
            branch_words=frozenset(norm.get("branch_words", [])),
            part_words=frozenset(norm.get("part_words", [])),
            kind_words=frozenset(norm.get("kind_words", [])),
            source_priority=tuple(table.get("merge", {}).get("source_priority", ())),
            max_width_m=float(table["cluster"]["max_width_m"]),
            many_per_business=frozenset(table["cluster"]["many_per_business"]),
            one_spot_m=float(link["one_spot_m"]),
            far_extra_words=float(link["far_extra_words"]),
            name_core=float(link.get("name_core", 0.0)),
        )


# --- normalisation -------------------------------------------------------------------------------
# ASCII punctuation becomes a space; "&" and "+" read "and"; a dot joins ("N.D." is "ND", "St." is "St").
_PUNCTUATION = {ord(c): " " for c in map(chr, range(1, 128)) if not c.isalnum()} | {
    ord("&"): " and ",
    ord("+"): " and ",
    ord("."): None,
    ord("'"): None,
}


def _plain_texts(texts: Sequence[str]) -> str:
    """The texts without accents, in lower case, punctuation as spaces, joined by NULs: each string
    method runs once over all texts, not once per text."""
    joined = "\0".join(texts)
    if joined.count("\0") != len(texts) - 1:  # a text holds a NUL itself
        joined = "\0".join(t.replace("\0", " ") for t in texts)
    if not joined.isascii():
        joined = unicodedata.normalize("NFKD", joined).encode("ascii", "ignore").decode()
    return joined.lower().translate(_PUNCTUATION)


def normalise_name(
    name: str, legal_suffixes: frozenset[str] = frozenset(), abbreviations: Mapping[str, str] | None = None
) -> str:
    """Lower case, no accents or punctuation, "&" as "and", numbers in figures ("One", "First" and "1st"
    read "1"), no title ("the", "Dr") or trailing legal suffix.

    Words are rewritten by `abbreviations` (the settings' `name_abbreviations`: "Mt" is "mount";
    "St", "Saint" and "Street" all read "st"), but not one-letter ones: in a name "E" is an
    initial more often than "East".
    """
    return normalise_names([name], legal_suffixes, abbreviations)[0]


def normalise_names(
    names: Sequence[str], legal_suffixes: frozenset[str] = frozenset(), abbreviations: Mapping[str, str] | None = None
) -> list[str]:
    """`normalise_name` of many names at once: titles and abbreviations replaced by one regular
    expression each over all the names joined, not word by word."""
    if not names:
        return []
    spelled = {short: word for short, word in (abbreviations or {}).items() if len(short) > 1} | _NUMBER_WORDS
    suffix_ends, suffix = _last_words(legal_suffixes), _suffix_pattern(legal_suffixes)
    text = _words_pattern(_TITLES).sub(" ", _plain_texts(names))
    # one pass for the spelled words and the ordinals ("1st" -> "1"): each pass over a million names takes 0.6 s
    text = _words_pattern(frozenset(spelled), _ORDINAL).sub(lambda found: found.group(1) or spelled[found.group()], text)
    result = []
    for part in text.split("\0"):
        joined = " ".join(part.split())
        # "X Holdings LLC Inc" loses both, so normalising twice changes nothing
        last = joined.rsplit(" ", 1)
        result.append(suffix.sub("", joined).strip() if len(last) > 1 and last[1] in suffix_ends else joined)
    return result


@functools.cache
def _words_pattern(words: frozenset[str], first: str = "") -> re.Pattern[str]:
    """Any of these words, whole, in a plain text; or a word matching `first`, a pattern tried before them."""
    alternatives = ([first] if first else []) + [re.escape(w) for w in sorted(words, key=len, reverse=True)]
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b")


@functools.cache
def _last_words(phrases: frozenset[str]) -> frozenset[str]:
    return frozenset(p.rsplit(" ", 1)[-1] for p in phrases)


@functools.cache
def _suffix_pattern(suffixes: frozenset[str]) -> re.Pattern[str]:
    if not suffixes:
        return re.compile(r"(?!)")
    words = "|".join(re.escape(s) for s in sorted(suffixes, key=len, reverse=True))
    return re.compile(rf"(?<=\s)(?:(?:{words})(?:\s+|$))+$")


_NOT_DIGIT = re.compile(r"[^0-9]")


def normalise_phone(phone: str) -> str:
    """E.164 (`+18435550101`); '' when it cannot identify anyone (too short, not a possible number).

    North American numbers, nearly all of them here, are written out directly; anything with
    another country code goes through `phonenumbers` (slower, so only when needed).
    """
    digits = _NOT_DIGIT.sub("", phone)
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


def normalise_phones(phones: Texts) -> pa.Array:
    """`normalise_phone` of a whole column, by Arrow: Python only for the rows it would not read
    alike (not ASCII) and for numbers outside North America (`phonenumbers`)."""
    raw = pc.fill_null(arrow_texts(phones).combine_chunks(), "")
    digits = pc.replace_substring_regex(raw, r"[^0-9]", "")
    count = pc.utf8_length(digits)
    area = pa.array(list("23456789"))
    first, second = pc.utf8_slice_codeunits(digits, 0, 1), pc.utf8_slice_codeunits(digits, 1, 2)
    international = pc.starts_with(pc.utf8_ltrim_whitespace(raw), "+")
    ten = pc.and_(pc.and_(pc.equal(count, 10), pc.invert(international)), pc.is_in(first, area))
    eleven = pc.and_(pc.and_(pc.equal(count, 11), pc.equal(first, "1")), pc.is_in(second, area))
    e164 = pc.if_else(
        ten, pc.utf8_replace_slice(digits, 0, 0, "+1"), pc.if_else(eleven, pc.utf8_replace_slice(digits, 0, 0, "+"), "")
    )
    elsewhere = pc.and_(pc.and_(international, pc.greater_equal(count, 8)), pc.invert(pc.or_(ten, eleven)))
    return _by_python(e164, raw, pc.or_(elsewhere, pc.invert(pc.string_is_ascii(raw))), normalise_phone)


def registrable_domains(urls: Texts, non_identity: frozenset[str] = frozenset()) -> pa.Array:
    """`registrable_domain` of a whole column, by Arrow (Python for rows that are not ASCII)."""
    raw = pc.fill_null(arrow_texts(urls).combine_chunks(), "")
    host = pc.replace_substring_regex(raw, r"(?s)^.*?://", "")  # scheme
    host = pc.replace_substring_regex(host, r"(?s)[/?#].*", "")  # path, query, fragment
    host = pc.replace_substring_regex(host, r"(?s)^.*@", "")  # credentials
    host = pc.replace_substring_regex(host, r"(?s):.*", "")  # port
    host = pc.replace_substring_regex(pc.utf8_lower(host), r"^www\.", "")
    domain = pc.if_else(pc.match_substring(host, "."), pc.extract_regex(host, r"(?P<d>[^.]*\.[^.]*)$").field("d"), host)
    shared = pa.array(sorted(non_identity), pa.string())
    found = pc.if_else(pc.or_(pc.is_in(host, shared), pc.is_in(domain, shared)), "", host)
    return _by_python(found, raw, pc.invert(pc.string_is_ascii(raw)), lambda v: registrable_domain(v, non_identity))


def _by_python(done: pa.Array, raw: pa.Array, rows: pa.Array, normalise: Callable[[str], str]) -> pa.Array:
    """`done`, with the `rows` made again from `raw` by the Python `normalise`."""
    redo = np.flatnonzero(rows.to_numpy(zero_copy_only=False))
    if not len(redo):
        return done
    values = done.to_pylist()
    for i, value in zip(redo.tolist(), raw.take(pa.array(redo)).to_pylist(), strict=True):
        values[i] = normalise(value)
    return pa.array(values, pa.string())


def _arrow_codes(values: pa.Array) -> np.ndarray:
    """Factorise Arrow strings into int64 codes, '' -> 0."""
    encoded = pc.dictionary_encode(values)
    codes: np.ndarray = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64) + 1
    empty = pc.index(encoded.dictionary, "").as_py()
    if empty >= 0:
        codes[codes == empty + 1] = 0
    return codes


def _distinct_codes(column: Texts, normalise: Callable[[pa.Array], pa.Array]) -> np.ndarray:
    """int64 codes (0 for '') of a column normalised by an Arrow `normalise` run once per distinct value."""
    encoded = pc.dictionary_encode(pc.fill_null(arrow_texts(column).combine_chunks(), ""))
    normalised = _arrow_codes(normalise(encoded.dictionary))
    codes: np.ndarray = normalised[encoded.indices.to_numpy(zero_copy_only=False)]
    return codes


def normalise_address(address: str, abbreviations: Mapping[str, str] | None = None) -> str:
    return normalise_addresses([address], abbreviations)[0]


def normalise_addresses(addresses: Sequence[str], abbreviations: Mapping[str, str] | None = None) -> list[str]:
    if not addresses:
        return []
    spelled = abbreviations or {}
    text = _plain_texts(addresses)
    if spelled:
        text = _words_pattern(frozenset(spelled)).sub(lambda found: spelled[found.group()], text)
    return [" ".join(part.split()) for part in text.split("\0")]


@dataclass(frozen=True)
class _AddressParts:
    """Of each normalised address: the house number (-1 when none), and int64 codes (0 for none) of
    its "house number + first street word" key, of the first street word and of the suite or unit
    ("12 calhoun street suite 200" -> "200")."""

    house: np.ndarray
    key: np.ndarray
    street: np.ndarray
    unit: np.ndarray

    @classmethod
    def of(cls, addresses: Sequence[str]) -> _AddressParts:
        """By Arrow's regular expressions over the whole column."""
        column = pa.array(addresses, pa.string())
        found = pc.extract_regex(column, r"^(?P<house>[0-9][^ ]*)(?: (?P<street>[^ ]+))?")
        house = pc.fill_null(pc.struct_field(found, "house"), "")
        street = pc.fill_null(pc.struct_field(found, "street"), "")
        key = pc.if_else(pc.equal(street, ""), "", pc.binary_join_element_wise(house, street, " "))
        number = pc.and_(pc.ascii_is_decimal(house), pc.less(pc.utf8_length(house), 9))
        units = pc.extract_regex(column, r"\b(?:suite|unit|apt|apartment|room|bldg|building|floor)\s+(?P<unit>[a-z0-9-]+)\b")
        return cls(
            house=pc.if_else(number, pc.cast(pc.if_else(number, house, "0"), pa.int64()), -1).to_numpy(),
            key=_arrow_codes(key),
            street=_arrow_codes(street),
            unit=_arrow_codes(pc.fill_null(pc.struct_field(units, "unit"), "")),
        )


# --- features: every record normalised once, as arrays -----------------------------------------
@dataclass(frozen=True)
class _CoreWords:
    """The words of each distinct name but those that say what kind of place it is ("fitness",
    "pizzeria", "church"): what is left says which one it is ("planet fitness" -> "planet"). Name k's
    words are `rank[offsets[k]:offsets[k + 1]]`, each the index of the word in `vocabulary` (sorted)."""

    offsets: np.ndarray
    rank: np.ndarray
    vocabulary: pa.Array

    @classmethod
    def of(cls, names: Sequence[str], kind_words: frozenset[str]) -> tuple[_CoreWords, np.ndarray]:
        """The core words of `names`, and each name's core code (0 for none)."""
        tokens = pc.split_pattern(pa.array(names, pa.string()), " ")
        words, parents = pc.list_flatten(tokens), pc.list_parent_indices(tokens).to_numpy()
        kept = pc.and_(pc.invert(pc.is_in(words, pa.array(sorted(kind_words), pa.string()))), pc.not_equal(words, ""))
        kept_mask = kept.to_numpy(zero_copy_only=False)
        encoded = pc.dictionary_encode(words.filter(kept))
        order = pc.sort_indices(encoded.dictionary).to_numpy()
        rank_of = np.empty(len(order), dtype=np.int64)
        rank_of[order] = np.arange(len(order))
        counts = np.bincount(parents[kept_mask], minlength=len(names))
        offsets = np.concatenate(([0], np.cumsum(counts)))
        rank = rank_of[encoded.indices.to_numpy(zero_copy_only=False)]
        cores = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), words.filter(kept)), " ")
        return cls(offsets, rank, encoded.dictionary.take(pa.array(order))), _arrow_codes(cores)

    def only_in_first(self, first: np.ndarray, second: np.ndarray) -> list[str]:
        """For each pair of names (indices), the core words of the first that the second lacks, sorted and joined."""
        row, word = self._words(first)
        other_row, other_word = self._words(second)
        width = len(self.vocabulary) + 1
        keys, others = row * width + word, np.sort(other_row * width + other_word)
        at = np.minimum(np.searchsorted(others, keys), max(len(others) - 1, 0))
        shared = others[at] == keys if len(others) else np.zeros(len(keys), dtype=bool)
        left = _distinct(keys[~shared])  # a word once, sorted (np.isin is several times slower than searchsorted here)
        counts = np.bincount(left // width, minlength=len(first))
        values = self.vocabulary.take(pa.array(left % width))
        joined = pc.binary_join(
            pa.ListArray.from_arrays(pa.array(np.concatenate(([0], np.cumsum(counts))), pa.int32()), values), " "
        )
        texts: list[str] = joined.to_pylist()
        return texts

    def _words(self, names: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row, word rank) of every core word of each name, row being the name's place in `names`."""
        starts, counts = self.offsets[names], self.offsets[names + 1] - self.offsets[names]
        row = np.repeat(np.arange(len(names)), counts)
        within = np.arange(len(row)) - np.repeat(np.cumsum(counts) - counts, counts)
        return row, self.rank[starts[row] + within]


@dataclass
class _Features:
    names: list[str]
    core: np.ndarray  # int64 code of the name's core (its words but those saying what kind of place it is), 0 when none
    name_code: np.ndarray  # int64 index of the record's name among the distinct names
    name_record: np.ndarray  # of each distinct name, the first record with it
    name_letters: np.ndarray  # int64 letters in the name, spaces not counted
    core_words: _CoreWords  # the core words of each distinct name
    first_word: np.ndarray  # int64 code of the name's first word, 0 when none
    addresses: list[str]
    x: np.ndarray  # metres east (local projection), NaN without an exact point
    y: np.ndarray  # metres north
    phone: np.ndarray  # int64 code of the normalised phone, 0 when none
    domain: np.ndarray  # int64 code of the identity-proving domain, 0 when none
    organisation_domain: np.ndarray  # bool: an organisation's domain (one source gives it to two names)
    address_key: np.ndarray  # int64 code of "house number + first street word", 0 when none
    house: np.ndarray  # int64 house number, -1 when none
    street: np.ndarray  # int64 code of the first street word after the house number, 0 when none
    unit: np.ndarray  # int64 code of the suite or unit ("suite 200" -> "200"), 0 when none
    place: np.ndarray  # int64 code of postcode (else city), 0 when none
    city: np.ndarray  # int64 code of the city in lower case, 0 when none
    branch: np.ndarray  # int64 code of the branch word in the name ("midtown"), 0 when none
    part: np.ndarray  # int64 code of the part words in the name ("pool", "parking"), 0 when none
    hosts: dict[int, tuple[str, str]]  # record -> (tenant, host) of a name like "Honey (Bayview Village)"
    number: np.ndarray  # int64 code of the numbers in the name ("foster plaza 7"), 0 when none
    chain: np.ndarray  # bool: the name is shared by many records (a chain's branches)
    source: np.ndarray  # int64 code of the record's source
    one_per_business: np.ndarray  # bool: its source lists each business once (not in many_per_business)


def _codes(values: Sequence[str]) -> np.ndarray:
    """Factorise strings into int codes, '' -> 0 (by Arrow: a dict of Python strings is several times slower)."""
    return _arrow_codes(pa.array(values, pa.string()))


def _per_distinct(values: Sequence[str], normalise: Callable[[Sequence[str]], list[_T]]) -> list[_T]:
    """A batch `normalise` applied once to the distinct values, its results handed back to each."""
    distinct = list(dict.fromkeys(values))
    done = dict(zip(distinct, normalise(distinct), strict=True))
    return [done[v] for v in values]


def _name_marks(
    names: Sequence[str], branch_words: frozenset[str], part_words: frozenset[str]
) -> tuple[list[str], list[str], list[str]]:
    """Of each normalised name: its first branch word ("midtown"), its part words ("parking pool") and
    its numbers ("foster plaza 7" -> "7", "1 gateway center" -> "1"), '' when none. Arrow finds the
    few names with any."""
    tokens = pc.split_pattern(pa.array(names, pa.string()), " ")
    words = pc.list_flatten(tokens)
    marks = pa.array(sorted(branch_words | part_words), pa.string())
    marked = pc.or_(pc.is_in(words, marks), pc.match_substring_regex(words, _NUMBER.pattern))
    rows = _distinct(pc.list_parent_indices(tokens).to_numpy()[marked.to_numpy(zero_copy_only=False)])
    branch, part, number = [""] * len(names), [""] * len(names), [""] * len(names)
    for row in rows.tolist():
        found = names[row].split()
        branches = branch_words.intersection(found)
        branch[row] = min(branches, key=found.index) if branches else ""
        part[row] = " ".join(sorted(part_words.intersection(found)))
        number[row] = " ".join(sorted({w for w in found if _NUMBER.match(w)}))
    return branch, part, number


# a shop named with the mall or hotel it stands in: "Honey (Bayview Village)", "Amarita Spa @ Raffles
# Hotel", "NTUC FairPrice - City Square Mall", "Former Ford Factory | Surviving the Occupation"
_HOST_MARK = r"@|\s[-–—:|]\s|\||\("


def _tenants_and_hosts(raw_names: Texts, s: MatchSettings) -> dict[int, tuple[str, str]]:
    """Of each record whose name reads "<tenant> <mark> <host>" (marks: @, a spaced dash or colon, |,
    an opening bracket), its tenant and host names, normalised. Arrow finds the few such names."""
    # not combined into one array: that copies every name, and at 1M listings Arrow's pool kept 50-250 MB more at the peak
    column = arrow_texts(raw_names)
    marked = pc.fill_null(pc.match_substring_regex(column, _HOST_MARK), False)
    rows = np.flatnonzero(marked.to_numpy())
    split = [re.split(_HOST_MARK, name, maxsplit=1) for name in column.take(pa.array(rows)).to_pylist()]
    tenants = normalise_names([t for t, _ in split], s.legal_suffixes, s.name_abbreviations)
    hosts = normalise_names([h for _, h in split], s.legal_suffixes, s.name_abbreviations)
    return {row: (tenant, host) for row, tenant, host in zip(rows.tolist(), tenants, hosts, strict=True) if tenant and host}


def _organisations(codes: np.ndarray, source: np.ndarray, names: Sequence[str], one_per_business: np.ndarray) -> np.ndarray:
    """Of each record, whether its code (a website's, 0 for none) is an organisation's: one source
    gives it to two records under other names ("Marlow Health Orthopedics", "Marlow Health Family
    Medicine"), so it ties no two records to one business. Sources that list a business several
    times are not asked; each record is compared with the first of its source and code."""
    held = np.flatnonzero((codes != 0) & one_per_business)
    keys = codes[held] * (int(source.max()) + 1 if len(source) else 1) + source[held]
    order = np.argsort(keys, kind="stable")
    held, keys = held[order], keys[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else np.zeros(0, dtype=np.int64)
    first = held[np.repeat(starts, np.diff(np.r_[starts, len(held)]))]
    others = np.flatnonzero(held != first)
    alike = process.cpdist(
        [names[i] for i in held[others].tolist()],
        [names[i] for i in first[others].tolist()],
        scorer=fuzz.token_set_ratio,
        workers=-1,
    )
    organisation: np.ndarray = np.isin(codes, codes[held[others][alike < 90]]) & (codes != 0)
    return organisation


def record_features(records: ListingColumns, s: MatchSettings) -> _Features:
    names = _per_distinct(texts(records.name), lambda v: normalise_names(v, s.legal_suffixes, s.name_abbreviations))
    addresses = _per_distinct(texts(records.address), lambda v: normalise_addresses(v, s.abbreviations))
    parts = _AddressParts.of(addresses)
    lat, lon = records.latitude, records.longitude
    sources = pc.fill_null(arrow_texts(records.source).combine_chunks(), "")
    postcodes = pc.utf8_slice_codeunits(pc.fill_null(arrow_texts(records.postcode).combine_chunks(), ""), 0, 5)
    cities = pc.utf8_lower(pc.fill_null(arrow_texts(records.city).combine_chunks(), ""))
    places = pc.if_else(pc.equal(postcodes, ""), cities, postcodes)
    origin = float(np.nanmean(lat)) if np.isfinite(lat).any() else 0.0
    encoded = pc.dictionary_encode(pa.array(names, pa.string()))  # codes in order of first occurrence
    distinct: list[str] = encoded.dictionary.to_pylist()
    name_code = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    records_named = np.bincount(name_code, minlength=len(distinct))
    marks = [_codes(m) for m in _name_marks(distinct, s.branch_words, s.part_words)]
    core_words, core = _CoreWords.of(distinct, s.kind_words)
    letters = pc.subtract(pc.utf8_length(encoded.dictionary), pc.count_substring(encoded.dictionary, " ")).to_numpy()
    domain = _distinct_codes(records.website, lambda urls: registrable_domains(urls, s.non_identity_domains))
    source = _arrow_codes(sources)
    one_per_business = pc.invert(pc.is_in(sources, pa.array(sorted(s.many_per_business), pa.string()))).to_numpy(
        zero_copy_only=False
    )
    return _Features(
        names=names,
        core=core[name_code],
        name_code=name_code,
        name_record=np.unique(name_code, return_index=True)[1],
        name_letters=letters[name_code],
        core_words=core_words,
        first_word=_arrow_codes(pc.list_element(pc.split_pattern(encoded.dictionary, " "), 0))[name_code],
        addresses=addresses,
        x=lon * _METRES_PER_DEGREE * math.cos(math.radians(origin)),
        y=lat * _METRES_PER_DEGREE,
        phone=_distinct_codes(records.phone, normalise_phones),
        domain=domain,
        organisation_domain=_organisations(domain, source, names, one_per_business),
        address_key=parts.key,
        house=parts.house,
        street=parts.street,
        unit=parts.unit,
        place=_arrow_codes(places),
        city=_arrow_codes(cities),
        branch=marks[0][name_code],
        part=marks[1][name_code],
        hosts=_tenants_and_hosts(records.name, s),
        number=marks[2][name_code],
        chain=(records_named[name_code] >= s.chain_min_count) & (name_code != pc.index(encoded.dictionary, "").as_py()),
        source=source,
        one_per_business=one_per_business,
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


def _combined(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """One int64 code per pair of codes; 0 where either is 0."""
    code: np.ndarray = np.where((first != 0) & (second != 0), first * (int(second.max(initial=0)) + 1) + second, 0)
    return code


def _distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct integers (np.unique is many times slower on millions of int64)."""
    ranked = np.sort(values)
    kept: np.ndarray = ranked[np.r_[True, ranked[1:] != ranked[:-1]]] if len(ranked) else ranked
    return kept


def pairs_within(x: np.ndarray, y: np.ndarray, radius: float) -> np.ndarray:
    """Pairs (i, j), i < j, of points no further apart than `radius`, as an (n, 2) array. Points are
    put in square cells of that side; each cell meets itself and four of its eight neighbours (the
    other four meet it from their side), and the candidates are kept by their distance. (scipy's
    k-d tree does the same about as fast, but importing it takes 0.2 s of every run.)"""
    if len(x) < 2:
        return np.empty((0, 2), dtype=np.int64)
    side = radius if radius > 0 else 1.0  # a radius of 0 keeps the points at one position
    row = np.floor((y - y.min()) / side).astype(np.int64)
    height = int(row.max()) + 2  # a free row above the top one: no cell's neighbour code is another cell's
    cell = np.floor((x - x.min()) / side).astype(np.int64) * height + row
    del row
    order = np.argsort(cell, kind="stable")
    cell = cell[order]
    starts = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
    codes, sizes = cell[starts], np.diff(np.r_[starts, len(cell)])
    del cell
    # a dense cell meets its neighbours 256 of its points at a time, and a quarter of a million
    # candidates are made at once: all at once would be hundreds of MB at metro scale (where
    # most cells hold one point, so the arrays per cell are kept small too)
    slices = -(-sizes // 256)
    cell_of = np.repeat(np.arange(len(codes), dtype=np.int32), slices)
    offset = ((np.arange(len(cell_of)) - np.repeat(np.cumsum(slices) - slices, slices)) * 256).astype(np.int32)
    width = np.minimum(sizes[cell_of] - offset, 256).astype(np.int32)
    del slices
    chunks = []
    for step in (0, 1, height - 1, height, height + 1):  # itself, above, and the next column's three
        at = np.minimum(np.searchsorted(codes, codes + step), len(codes) - 1)
        met = np.flatnonzero((codes[at] == codes + step)[cell_of])
        if not len(met):
            continue
        candidates = np.cumsum(width[met] * sizes[at[cell_of[met]]])
        for batch in np.split(met, np.searchsorted(candidates, np.arange(1, candidates[-1] // 250_000 + 1) * 250_000)):
            first, second = cell_of[batch], at[cell_of[batch]]
            wide = sizes[second]
            count = width[batch] * wide
            group = np.repeat(np.arange(len(batch)), count)
            k = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
            here, there = offset[batch][group] + k // wide[group], k % wide[group]
            i, j = order[starts[first][group] + here], order[starts[second][group] + there]
            keep = np.hypot(x[i] - x[j], y[i] - y[j]) <= radius
            if step == 0:
                keep &= here < there
            chunks.append(np.column_stack((np.minimum(i, j), np.maximum(i, j)))[keep])
    return np.concatenate(chunks)


def _window_pairs(keys: Sequence[str], subset: np.ndarray, window: int) -> np.ndarray:
    """Sorted neighbourhood: each record of `subset` with the next `window - 1` in key order."""
    if len(subset) < 2:
        return np.empty((0, 2), dtype=np.int64)
    order = np.array(sorted(subset.tolist(), key=keys.__getitem__), dtype=np.int64)  # faster than Arrow's or numpy's sort
    chunks = [np.column_stack((order[:-k], order[k:])) for k in range(1, min(window, len(order)))]
    return np.concatenate(chunks)


def candidate_pairs(listings: Sequence[Listing], settings: MatchSettings) -> np.ndarray:
    """Candidate pairs (i < j) as an (n, 2) array: the union of the blocking keys."""
    return blocked_pairs(record_features(ListingColumns.of(listings), settings), settings)


def blocked_pairs(f: _Features, settings: MatchSettings) -> np.ndarray:
    count = len(f.names)

    def coded(pairs: np.ndarray) -> np.ndarray:
        """Each pair as one integer (lower record * count + higher), a record with itself dropped:
        the keys find many pairs twice, and integers are a third of the memory of rows to sort."""
        low, high = np.minimum(pairs[:, 0], pairs[:, 1]).astype(np.int64), np.maximum(pairs[:, 0], pairs[:, 1])
        kept: np.ndarray = (low * count + high)[low != high]
        return kept

    located = np.flatnonzero(np.isfinite(f.x))
    chunks = []
    if len(located) > 1:
        chunks.append(coded(located[pairs_within(f.x[located], f.y[located], settings.far_m)]))
    cap = settings.max_group
    keys = [f.phone, f.domain, f.address_key]
    # "100 Main Street" is a building in each of a metro's towns: in a large area the address alone
    # is shared by more than max_group records and proves nothing, the address within its town does
    keys += [_combined(f.address_key, town) for town in (f.place, f.city)]
    chunks += [coded(_group_pairs(key, cap)) for key in keys]
    unlocated = ~np.isfinite(f.x)
    if unlocated.any():
        # records without a position meet the others by name order (pairs with one of them only)
        window = _window_pairs(f.names, np.arange(count), settings.name_window)
        chunks.append(coded(window[unlocated[window[:, 0]] | unlocated[window[:, 1]]]))
    codes = _distinct(np.concatenate(chunks))
    return np.column_stack((codes // count, codes % count))


# --- comparison ----------------------------------------------------------------------------------
@dataclass
class Comparisons:
    """What is known of each candidate pair (i < j), as arrays: computed once, then judged by
    `accept` (the link rules) and `strength` (which of several links is the better one)."""

    pairs: np.ndarray
    name: np.ndarray  # rapidfuzz token_set_ratio of normalised names, 0-100: 100 when one name is inside the other
    whole_name: np.ndarray  # token_sort_ratio: the whole names agree ("Potomac" / "Potomac Bakery" 70); = name below 50
    # ratio of the core words only one name has ("planet" / "orangetheory"); 100 when one has none, 0 when
    # one name is all kind words
    core_name: np.ndarray
    extra_words: np.ndarray  # one name inside the other: the rarity-weighted share of the words only one has; else 1
    distance: np.ndarray  # metres; NaN when either lacks an exact point
    address: np.ndarray  # token_set_ratio of addresses for pairs without a distance where both have one, else 0
    same_phone: np.ndarray
    same_domain: np.ndarray
    same_address: np.ndarray  # same house number and street
    chain: np.ndarray  # either name is a chain's
    # another part word ("pool", "parking"), or one a tenant of the other ("Honey (Bayview Village)" /
    # "Bayview Village"): a part shares the place's phone
    other_part: np.ndarray
    any_other_house: np.ndarray  # another house number, on the same street or not
    conflict: np.ndarray  # another house number, suite or branch word and no shared phone, or another part word
    firm_conflict: np.ndarray  # the same but for house numbers (holds even at one spot)
    no_addresses: np.ndarray  # neither has an address
    same_place: np.ndarray  # same postcode (else city)
    other_place: np.ndarray  # both have one, and they differ
    same_first_word: np.ndarray  # the names begin with the same word
    same_core: np.ndarray  # the names have the same core words, and the core is not empty


def compare(f: _Features, pairs: np.ndarray) -> Comparisons:
    """Compare the candidate pairs in bulk (rapidfuzz `cpdist` on all workers, numpy for the rest)."""
    a, b = pairs[:, 0], pairs[:, 1]
    name, whole_name, core_name, extra_words = _compare_names(f, a, b)
    distance = np.hypot(f.x[a] - f.x[b], f.y[a] - f.y[b])
    same_phone = (f.phone[a] == f.phone[b]) & (f.phone[a] != 0)
    same_address = (f.address_key[a] == f.address_key[b]) & (f.address_key[a] != 0)
    any_other_house = (f.house[a] >= 0) & (f.house[b] >= 0) & (f.house[a] != f.house[b])
    # two house numbers on two streets may be one corner building; a chain's branches differ either way
    other_house = any_other_house & ((f.street[a] == f.street[b]) | f.chain[a] | f.chain[b])
    other_branch = (f.branch[a] != 0) & (f.branch[b] != 0) & (f.branch[a] != f.branch[b])
    other_branch |= (f.number[a] != 0) & (f.number[b] != 0) & (f.number[a] != f.number[b])  # "Foster Plaza 7" / "... 10"
    other_part = f.part[a] != f.part[b]  # "Bellefield Hall" / "Bellefield Hall Swimming Pool"
    other_part[_tenant_of_other(f, a, b)] = True
    other_unit = (f.unit[a] != 0) & (f.unit[b] != 0) & (f.unit[a] != f.unit[b]) & ~other_house  # one building, two suites
    address = np.zeros(len(pairs), dtype=np.float32)
    unplaced = np.flatnonzero(~np.isfinite(distance))
    has_address = np.array([bool(x) for x in f.addresses], dtype=bool)
    both = unplaced[has_address[a[unplaced]] & has_address[b[unplaced]]]
    if len(both):
        addresses = np.array(f.addresses, dtype=object)
        address[both] = process.cpdist(
            addresses[a[both]].tolist(), addresses[b[both]].tolist(), scorer=fuzz.token_set_ratio, workers=-1
        )
    return Comparisons(
        pairs=pairs,
        name=name,
        whole_name=whole_name,
        core_name=core_name,
        extra_words=extra_words,
        distance=distance,
        address=address,
        same_phone=same_phone,
        # an organisation's website ties two records only at one address
        same_domain=(f.domain[a] == f.domain[b]) & (f.domain[a] != 0) & (~f.organisation_domain[a] | same_address),
        same_address=same_address,
        chain=f.chain[a] | f.chain[b],
        other_part=other_part,
        any_other_house=any_other_house,
        conflict=((other_house | other_branch | other_unit) & ~same_phone) | other_part,
        firm_conflict=((other_branch | other_unit) & ~same_phone) | other_part,
        no_addresses=~has_address[a] & ~has_address[b],
        same_place=(f.place[a] == f.place[b]) & (f.place[a] != 0),
        other_place=(f.place[a] != f.place[b]) & (f.place[a] != 0) & (f.place[b] != 0),
        same_first_word=(f.first_word[a] == f.first_word[b]) & (f.first_word[a] != 0),
        same_core=(f.core[a] == f.core[b]) & (f.core[a] != 0),
    )


def _tenant_of_other(f: _Features, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Of the pairs (positions), those where one record is a tenant of the other: its name's host part
    is the other's name and its tenant part does not name the other ("Honey (Bayview Village)" /
    "Bayview Village", "Gym @ Singapore Swimming Club" / "Singapore Swimming Club"; but not "Starbucks @
    Raffles City" / "Starbucks", "Swissotel (The Stamford)" / "Swisstel The Stamford", "USW | United
    Steelworkers" / "United Steelworkers")."""
    if not f.hosts:
        return np.zeros(0, dtype=np.int64)
    hosted = np.zeros(len(f.names), dtype=bool)
    hosted[list(f.hosts)] = True
    found = []
    for k in np.flatnonzero(hosted[a] | hosted[b]).tolist():
        for tenant_record, other in ((int(a[k]), int(b[k])), (int(b[k]), int(a[k]))):
            if tenant_record in f.hosts:
                tenant, host = f.hosts[tenant_record]
                name = f.names[other]
                # a misspelt tenant part ("Swissotel" / "Swisstel") is still the other's name
                named = _alike(tenant, name) or fuzz.partial_ratio(tenant, name) >= 85 or _initials(tenant, host)
                if _alike(host, name) and not named:
                    found.append(k)
                    break
    return np.array(found, dtype=np.int64)


def _alike(first: str, second: str) -> bool:
    """One name inside the other, or the two alike letter by letter ("South Side Works" / "SouthSide Works")."""
    return fuzz.token_set_ratio(first, second) >= 90 or fuzz.ratio(first.replace(" ", ""), second.replace(" ", "")) >= 90


def _initials(short: str, long: str) -> bool:
    """`short` is one word of 2 to 5 letters that begins as `long` does and whose letters `long` holds
    in order: an abbreviation ("usw" of "united steelworkers", "ymca" of "young mens christian association")."""
    if " " in short or not 2 <= len(short) <= 5 or not long.startswith(short[0]):
        return False
    rest = iter(long)
    return all(letter in rest for letter in short)


def _compare_names(f: _Features, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The name comparisons of `Comparisons` (name, whole_name, core_name, extra_words) for pairs of
    records, each made once per pair of distinct names (in a metro about half the pairs) and handed
    back to every pair with those names."""
    width = int(f.name_code.max()) + 1 if len(f.name_code) else 1
    code_a, code_b = f.name_code[a], f.name_code[b]
    keys, back = np.unique(np.minimum(code_a, code_b) * width + np.maximum(code_a, code_b), return_inverse=True)
    a, b = f.name_record[keys // width], f.name_record[keys % width]  # a record of each name
    names = np.array(f.names, dtype=object)  # taking from an array is many times faster than a list comprehension
    name = process.cpdist(names[a].tolist(), names[b].tolist(), scorer=fuzz.token_set_ratio, workers=-1)
    # words run together or split apart, or a letter off in each word ("Mint Leaf" / "Mintleaf",
    # "Extreme Games Interactive" / "Xtreme Games Intractive"): the names compared letter by letter,
    # where that could reach the near rule (lengths within a quarter of each other)
    letters = f.name_letters
    unsure = np.flatnonzero(
        (name >= 40) & (name < 85) & (4 * np.minimum(letters[a], letters[b]) >= 3 * np.maximum(letters[a], letters[b]))
    )
    by_letters = np.zeros(0, dtype=np.float32)
    if len(unsure):
        first = [n.replace(" ", "") for n in names[a[unsure]].tolist()]
        second = [n.replace(" ", "") for n in names[b[unsure]].tolist()]
        by_letters = process.cpdist(first, second, scorer=fuzz.ratio, workers=-1)
        name[unsure] = np.maximum(name[unsure], by_letters)
    # token_sort_ratio <= token_set_ratio: computed only where the rules could use it
    whole_name = name.copy()
    similar = np.flatnonzero(name >= 50)
    whole_name[similar] = process.cpdist(
        names[a[similar]].tolist(), names[b[similar]].tolist(), scorer=fuzz.token_sort_ratio, workers=-1
    )
    # names alike letter by letter are alike as wholes too ("McDonald's" / "Mc Donald's")
    whole_name[unsure] = np.maximum(whole_name[unsure], by_letters)
    core_name = np.full(len(a), 100.0, dtype=np.float32)
    # one name inside the other (token set 100) has its core inside the other's too: nothing to compare
    cored = similar[(name[similar] < 99.5) & (f.core[a[similar]] != f.core[b[similar]])]
    if len(cored):
        core_name[cored] = _core_agreement(f.core_words, f.name_code[a[cored]], f.name_code[b[cored]])
    # a name of kind words only ("Pizza Pizza", "Running Company") names no one place
    core_name[similar[(f.core[a[similar]] == 0) != (f.core[b[similar]] == 0)]] = 0.0
    extra_words = np.ones(len(a), dtype=np.float32)
    inside = np.flatnonzero((name >= 99.5) & (whole_name < 99.5))
    if len(inside):
        extra_words[inside] = _extra_word_share(names, a[inside], b[inside])
    return name[back], whole_name[back], core_name[back], extra_words[back]


def _core_agreement(words: _CoreWords, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """How alike the core words that only one name of each pair has are (rapidfuzz ratio, 0-100);
    100 when either has none (one core inside the other, or a name all kind words): "orangetheory
    marlow springs" / "planet marlow springs" compare "orangetheory" with "planet"."""
    mine, theirs = words.only_in_first(first, second), words.only_in_first(second, first)
    agreement: np.ndarray = process.cpdist(mine, theirs, scorer=fuzz.ratio, workers=-1).astype(np.float32)
    agreement[(np.array(mine, dtype=object) == "") | (np.array(theirs, dtype=object) == "")] = 100.0
    return agreement


def _extra_word_share(names: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """For each pair of names: the share of the words only one name has in the weight of all their
    words, a word weighing log(records / times it occurs in the records' names): "church" is light
    where many names hold it, "Liebermann" heavy."""
    counts: Counter[str] = Counter()
    for start in range(0, len(names), 100_000):  # a slice at a time: all the words at once would be millions of strings
        counts.update(" ".join(names[start : start + 100_000].tolist()).split())
    total = len(names)
    shares = np.ones(len(a), dtype=np.float32)
    for k, (i, j) in enumerate(zip(a.tolist(), b.tolist(), strict=True)):
        mine, theirs = set(names[i].split()), set(names[j].split())
        every = sum(math.log(total / counts[w]) for w in mine | theirs)
        if every > 0:
            shares[k] = sum(math.log(total / counts[w]) for w in mine ^ theirs) / every
    return shares


def accept(c: Comparisons, s: MatchSettings) -> np.ndarray:
    """The link rules of `config/matching.toml` [link], as a mask over the compared pairs."""
    located = np.isfinite(c.distance)
    name, whole, distance, chain = c.name, c.whole_name, c.distance, c.chain
    # names alike but for their cores ("Planet Fitness" / "Orangetheory Fitness") link by name only
    # with a phone or website to back them
    core_conflict = c.core_name < s.name_core
    conflict = c.conflict | core_conflict
    with np.errstate(invalid="ignore"):
        near = located & (distance <= s.near_m) & (name >= s.name_when_near) & ~conflict & ~chain
        # further away, or a chain's branch, one name inside another is not enough: a campus and
        # its buildings, a mall and its shops, a chain's name and "<chain> Pharmacy"; unless the
        # words it adds are common ones ("Beulah Baptist" / "Beulah Baptist Church")
        far_name = (whole >= s.name_when_far) | (c.extra_words <= s.far_extra_words)
        far = located & (distance <= s.far_m) & far_name & ~conflict & ~chain
        chain_near = located & chain & (distance <= s.chain_m) & (whole >= s.name_when_near) & ~conflict
        # a corner building has two house numbers, and sources mistype them: at one spot, the same
        # whole name outweighs another house number (but a chain has branches side by side)
        one_spot = located & (distance <= s.one_spot_m) & (whole >= s.name_when_far) & ~c.firm_conflict & ~chain
        by_phone = located & c.same_phone & (distance <= s.phone_within_m) & (name >= s.name_with_phone) & ~c.other_part
        by_domain = (
            located
            & c.same_domain
            & (distance <= s.domain_within_m)
            & (name >= s.name_with_domain)
            & ~c.conflict
            & ~c.any_other_house
        )
        # towns are written many ways ("new york" / "new york city", "los angeles" / "hollywood"):
        # another town only asks for a nearly equal name
        same_town = ~c.other_place | (name >= s.name_without_coordinates)
        # at one street address, names that begin alike differ in their cores by what they add
        # ("Uncle Sam's Sandwich Bar" / "Uncle Sam's Subs", "Sacred Heart Parish" / "Sacred Heart
        # Church"); a chain's branches never share one, so there its name alike as a whole, or with
        # the same core words ("Crazy Mocha" / "Crazy Mocha Coffee"), is enough
        by_address = (
            c.same_address
            & (name >= s.name_with_address)
            & ~(c.conflict | (core_conflict & ~c.same_first_word))
            & (~chain | (whole >= s.name_when_near) | c.same_core)
            & ~(distance > s.far_m)
            & same_town
        )
    close_name = ~located & (name >= s.name_without_coordinates)
    unplaced = (
        (~located & c.same_phone & (name >= s.name_with_phone) & ~c.other_part)
        | (close_name & ~conflict & ~c.other_place & (c.address >= s.address_without_coordinates))
        | (close_name & ~chain & c.no_addresses & c.same_place)
    )
    mask: np.ndarray = near | far | chain_near | one_spot | by_phone | by_domain | by_address | unplaced
    return mask


def strength(c: Comparisons, s: MatchSettings) -> np.ndarray:
    """How sure a link is, to choose between links: name similarity (the mean of token set and whole
    name, so "Pamela's" prefers "Pamela's" to "Pamela's Diner"), plus 10 for a shared phone and 10 for
    a shared domain, less up to 20 for distance (10 when it is unknown)."""
    with np.errstate(invalid="ignore"):
        far = np.where(np.isfinite(c.distance), np.clip(c.distance / s.far_m, 0.0, 1.0), 0.5)
    score: np.ndarray = (c.name + c.whole_name) / 2 + 10.0 * c.same_phone + 10.0 * c.same_domain - 20.0 * far
    return score


def linked_pairs(listings: Sequence[Listing], settings: MatchSettings) -> np.ndarray:
    """The candidate pairs the link rules accept (before the one-to-one rule and splitting)."""
    f = record_features(ListingColumns.of(listings), settings)
    c = compare(f, blocked_pairs(f, settings))
    linked: np.ndarray = c.pairs[accept(c, settings)]
    return linked


# --- clustering ----------------------------------------------------------------------------------
def one_to_one(f: _Features, pairs: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Mask keeping links between two sources that each hold one record per business only when
    each end is the other's best link into that source (mutual best): two records of one source
    never join through a third of another. Links within a source, and with sources that list a
    business several times (`many_per_business`), all stay."""
    a, b = pairs[:, 0], pairs[:, 1]
    ruled = f.one_per_business[a] & f.one_per_business[b] & (f.source[a] != f.source[b])
    keep = np.ones(len(pairs), dtype=bool)
    if not ruled.any():
        return keep
    idx = np.flatnonzero(ruled)
    sources = int(f.source.max()) + 1
    best = np.ones(len(idx), dtype=bool)
    for this, other in ((a[idx], b[idx]), (b[idx], a[idx])):
        group = this * sources + f.source[other]
        order = np.lexsort((-score[idx], group))
        first = np.r_[True, group[order][1:] != group[order][:-1]]
        is_best = np.zeros(len(idx), dtype=bool)
        is_best[order[first]] = True
        best &= is_best
    keep[idx] = best
    return keep


def _components(count: int, edges: np.ndarray) -> np.ndarray:
    """The connected component of each record, named by its lowest record: each edge hooks the
    higher of its two roots under the lower, then pointers jump to their roots, until every edge
    joins two records of one root (a few rounds for clusters of a few records)."""
    labels = np.arange(count, dtype=np.int64)
    a, b = edges[:, 0], edges[:, 1]
    while True:
        root_a, root_b = labels[a], labels[b]
        apart = root_a != root_b
        if not apart.any():
            return labels
        np.minimum.at(labels, np.maximum(root_a, root_b)[apart], np.minimum(root_a, root_b)[apart])
        while True:  # a root's label is lower than the root, so this ends
            jumped = labels[labels]
            if (jumped == labels).all():
                break
            labels = jumped


def _groups(labels: np.ndarray) -> list[list[int]]:
    """Records by label, each group sorted, groups in order of first member."""
    if not len(labels):
        return []
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.r_[True, labels[order][1:] != labels[order][:-1]])
    groups = [order[start:end].tolist() for start, end in zip(bounds, np.r_[bounds[1:], len(labels)], strict=True)]
    return sorted(groups, key=lambda g: g[0])


def clusters(count: int, links: Iterable[tuple[int, int]] | np.ndarray) -> list[list[int]]:
    """Connected components of the link graph, each sorted, in order of first member."""
    edges = np.asarray(list(links) if not isinstance(links, np.ndarray) else links, dtype=np.int64).reshape(-1, 2)
    return _groups(_components(count, edges))


def _cannot_link(f: _Features, i: int, j: int, max_width_m: float) -> bool:
    """Two records that cannot be one business: too far apart, other phones and other house numbers,
    or other numbers or branch words in their names ("Foster Plaza 3" / "Foster Plaza 10") without a
    phone in common."""
    if math.hypot(f.x[i] - f.x[j], f.y[i] - f.y[j]) > max_width_m:  # False when either lacks a point (NaN)
        return True
    other_phone = f.phone[i] and f.phone[j] and f.phone[i] != f.phone[j]
    if other_phone and f.house[i] >= 0 and f.house[j] >= 0 and f.house[i] != f.house[j]:
        return True
    same_phone = f.phone[i] and f.phone[i] == f.phone[j]
    return not same_phone and any(marks[i] and marks[j] and marks[i] != marks[j] for marks in (f.number, f.branch))


def _suspect_clusters(f: _Features, labels: np.ndarray, max_width_m: float) -> np.ndarray:
    """Labels of clusters that may hold two businesses: wider than `max_width_m` (bounding box
    diagonal), with several phones and several house numbers, or several numbers or branch words
    in their names. Found over all clusters at once."""
    count = int(labels.max()) + 1 if len(labels) else 0
    suspect = np.zeros(count, dtype=bool)
    located = np.flatnonzero(np.isfinite(f.x))
    if len(located):
        at = labels[located]
        low_x, high_x = np.full(count, np.inf), np.full(count, -np.inf)
        low_y, high_y = np.full(count, np.inf), np.full(count, -np.inf)
        np.minimum.at(low_x, at, f.x[located])
        np.maximum.at(high_x, at, f.x[located])
        np.minimum.at(low_y, at, f.y[located])
        np.maximum.at(high_y, at, f.y[located])
        with np.errstate(invalid="ignore"):
            suspect |= np.hypot(high_x - low_x, high_y - low_y) > max_width_m

    def several(codes: np.ndarray, present: np.ndarray) -> np.ndarray:
        distinct = _distinct(labels[present] * (int(codes.max()) + 1) + codes[present])
        return np.bincount(distinct // (int(codes.max()) + 1), minlength=count) > 1

    suspect |= several(f.phone, f.phone != 0) & several(f.house + 1, f.house >= 0)
    # records joined through a third ("Foster Plaza 3" - "Foster Plaza" - "Foster Plaza 10")
    suspect |= several(f.number, f.number != 0) | several(f.branch, f.branch != 0)
    return np.flatnonzero(suspect)


def split_clusters(f: _Features, labels: np.ndarray, links: np.ndarray, score: np.ndarray, max_width_m: float) -> np.ndarray:
    """Labels with suspect clusters rebuilt: their links taken strongest first, each joining two
    parts only when no record of one part cannot link with a record of the other."""
    suspects = _suspect_clusters(f, labels, max_width_m)
    if not len(suspects):
        return labels
    labels = labels.copy()
    inside = np.isin(labels[links[:, 0]], suspects)
    links, score = links[inside], score[inside]
    order = np.lexsort((-score, labels[links[:, 0]]))
    next_label = int(labels.max()) + 1
    by_cluster: dict[int, list[tuple[int, int]]] = {}
    for i, j in links[order].tolist():
        by_cluster.setdefault(int(labels[i]), []).append((i, j))
    for edges in by_cluster.values():
        part: dict[int, list[int]] = {}
        for i, j in edges:
            pi, pj = part.setdefault(i, [i]), part.setdefault(j, [j])
            if pi is pj or any(_cannot_link(f, p, q, max_width_m) for p in pi for q in pj):
                continue
            pi.extend(pj)
            for q in pj:
                part[q] = pi
        for members in {id(p): p for p in part.values()}.values():
            labels[members] = next_label
            next_label += 1
    return labels


def group_listings(listings: Sequence[Listing], settings: MatchSettings | None = None) -> list[list[int]]:
    """Clusters of listings that are one business (indices into `listings`)."""
    return group_records(ListingColumns.of(listings), settings)


def group_records(records: ListingColumns, settings: MatchSettings | None = None) -> list[list[int]]:
    """Clusters of records that are one business (lists of indices)."""
    return _groups(label_records(records, settings))


def label_records(records: ListingColumns, settings: MatchSettings | None = None) -> np.ndarray:
    """The cluster label of each record: blocking, comparison, then clustering."""
    if not len(records):  # a file of headers only
        return np.zeros(0, dtype=np.int64)
    s = settings or MatchSettings.from_table()
    f = record_features(records, s)
    return cluster(f, compare(f, blocked_pairs(f, s)), s)


def cluster(f: _Features, c: Comparisons, s: MatchSettings) -> np.ndarray:
    """The cluster label of each record, from the compared pairs: the links the rules accept,
    one-to-one between sources, connected components, suspect clusters split."""
    linked = accept(c, s)
    links, score = c.pairs[linked], strength(c, s)[linked]
    kept = one_to_one(f, links, score)
    links, score = links[kept], score[kept]
    return split_clusters(f, _components(len(f.names), links), links, score, s.max_width_m)


def load_settings(override: Path | None = None) -> MatchSettings:
    """`config/matching.toml`, with the tables of `override` (e.g. fitted [link] thresholds) laid over it."""
    table = copy.deepcopy(config_table("matching"))
    if override is not None:
        for name, values in read_toml(override).items():
            if not isinstance(values, dict) or name not in table:
                raise ConfigError(f"{override}: [{name}]: not a table of matching.toml (expected one of {', '.join(table)})")
            unknown = sorted(set(values) - set(table[name]))
            if unknown:
                known = ", ".join(table[name])
                raise ConfigError(f"{override}: [{name}]: unknown key {unknown[0]!r} (expected one of {known})")
            for key, value in values.items():
                default = table[name][key]
                if isinstance(default, int | float) and not isinstance(default, bool):
                    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                        raise ConfigError(f"{override}: [{name}] {key}: {value!r} is not a number of 0 or more")
                elif type(value) is not type(default):
                    raise ConfigError(f"{override}: [{name}] {key}: {value!r} is not a {type(default).__name__} like the default")
            table[name].update(values)
    try:
        return MatchSettings.from_table(table)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{override}: {e} (expected numbers for thresholds)") from e


def prospect_id(member_keys: Iterable[str]) -> str:
    """Stable for the same earliest member key (a bridge table in the store keeps it across merges later)."""
    return "p-" + hashlib.sha1(min(member_keys).encode()).hexdigest()[:10]


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
