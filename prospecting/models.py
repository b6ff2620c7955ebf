"""The plain records handed from stage to stage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

import numpy as np
import pyarrow as pa


@dataclass(frozen=True, slots=True)
class Point:
    latitude: float
    longitude: float

    def __str__(self) -> str:
        return f"{self.latitude:.5f},{self.longitude:.5f}"


def located(latitude: float | None, longitude: float | None) -> Point | None:
    return None if latitude is None or longitude is None else Point(latitude, longitude)


@dataclass(frozen=True, slots=True)
class Fact:
    """One thing a website says, with the page that says it: the unit of website evidence.

    `kind` is email, phone, social, jsonld, platform, signal, title or description; `value` is
    what classification rules match (an e-mail address, "instagram", "ExerciseGym", "hint",
    "dpc_membership"); `quote` is the text a reader can check; `page` the path it was on.
    """

    kind: str
    value: str
    page: str
    quote: str = ""

    @property
    def label(self) -> str:
        """`signal:dpc_membership`, `platform:hint`, `jsonld:exercisegym`: what rules name."""
        return f"{self.kind}:{self.value.lower()}"


@dataclass(frozen=True, slots=True)
class Listing:
    """One record of one source, as that source gave it (normalised to these fields)."""

    source: str
    source_id: str
    name: str
    latitude: float | None = None
    longitude: float | None = None
    address: str = ""
    city: str = ""
    state: str = ""
    postcode: str = ""
    phone: str = ""
    website: str = ""
    email: str = ""
    instagram: str = ""
    facebook: str = ""
    categories: tuple[str, ...] = ()
    brand: str = ""
    operator: str = ""
    fetched_at: str = ""
    licence: str = ""
    # "exact" (the source placed it) or "approximate" (e.g. a ZIP centroid): approximate points are
    # not used to decide that two records are one business, and yield to exact ones when merged.
    location_precision: str = "exact"
    people: tuple[str, ...] = ()
    facts: tuple[Fact, ...] = ()  # what its website says (the enrich stage)
    website_error: str = ""  # why its website could not be read, if it could not

    @property
    def key(self) -> str:
        """`source:source_id`, unique across sources."""
        return f"{self.source}:{self.source_id}"

    @property
    def point(self) -> Point | None:
        return located(self.latitude, self.longitude)

    @property
    def exact_point(self) -> Point | None:
        return self.point if self.location_precision == "exact" else None


Texts: TypeAlias = Sequence[str] | pa.ChunkedArray  # Python strings, or Arrow's: a million rows in a fraction of the memory


def texts(column: Texts) -> Sequence[str]:
    """A column as Python strings (made as needed from Arrow, then let go)."""
    if isinstance(column, pa.ChunkedArray):
        values: list[str] = column.to_pylist()
        return values
    return column


def arrow_texts(column: Texts) -> pa.ChunkedArray:
    """A column as Arrow text."""
    return column if isinstance(column, pa.ChunkedArray) else pa.chunked_array([pa.array(column, pa.string())], pa.string())


@dataclass
class ListingColumns:
    """Listings as columns: what matching reads, from a million rows without a million objects."""

    source: Texts
    source_id: Texts
    name: Texts
    address: Texts
    city: Texts
    postcode: Texts
    phone: Texts
    website: Texts
    latitude: np.ndarray  # NaN where the record has no exact point (none, or an approximate one)
    longitude: np.ndarray

    def __len__(self) -> int:
        return len(self.latitude)

    @classmethod
    def of(cls, listings: Sequence[Listing]) -> ListingColumns:
        exact = [x.exact_point for x in listings]
        return cls(
            source=[x.source for x in listings],
            source_id=[x.source_id for x in listings],
            name=[x.name for x in listings],
            address=[x.address for x in listings],
            city=[x.city for x in listings],
            postcode=[x.postcode for x in listings],
            phone=[x.phone for x in listings],
            website=[x.website for x in listings],
            latitude=np.array([p.latitude if p else np.nan for p in exact], dtype=float),
            longitude=np.array([p.longitude if p else np.nan for p in exact], dtype=float),
        )

    @classmethod
    def concat(cls, parts: Sequence[ListingColumns]) -> ListingColumns:
        def joined(attribute: str) -> Texts:
            columns = [getattr(part, attribute) for part in parts]
            if columns and all(isinstance(c, pa.ChunkedArray) for c in columns):
                return pa.chunked_array([chunk for c in columns for chunk in c.chunks], pa.string())
            return [value for c in columns for value in texts(c)]

        return cls(
            **{a: joined(a) for a in ("source", "source_id", "name", "address", "city", "postcode", "phone", "website")},
            latitude=np.concatenate([p.latitude for p in parts]) if parts else np.empty(0),
            longitude=np.concatenate([p.longitude for p in parts]) if parts else np.empty(0),
        )


@dataclass(frozen=True, slots=True)
class Classification:
    category: str
    subcategory: str
    confidence: float
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ClassifiedListing:
    listing: Listing
    classification: Classification


@dataclass(frozen=True, slots=True)
class Prospect:
    """One real business: the merged members and the canonical fields chosen from them."""

    prospect_id: str
    name: str
    latitude: float | None
    longitude: float | None
    address: str
    city: str
    state: str
    postcode: str
    phone: str
    website: str
    email: str
    instagram: str
    facebook: str
    classification: Classification
    brand: str = ""
    members: tuple[str, ...] = ()
    licences: tuple[str, ...] = ()
    location_precision: str = "exact"
    people: tuple[str, ...] = ()
    facts: tuple[Fact, ...] = ()
    website_error: str = ""
    first_seen: str = ""  # from the store: the first run that saw any of its records
    status: str = ""  # new | active

    @property
    def point(self) -> Point | None:
        return located(self.latitude, self.longitude)


@dataclass(frozen=True, slots=True)
class RankedProspect:
    prospect: Prospect
    rank: int
    fit_score: float
    components: dict[str, float]
    why: str
    distance_km: float | None
    penalties: dict[str, float] = field(default_factory=dict)  # points off, by reason


@dataclass(frozen=True, slots=True)
class SourceResult:
    """What one source gave for one area: listings kept, and what it dropped, by reason."""

    source: str
    listings: tuple[Listing, ...]
    dropped: dict[str, int] = field(default_factory=dict)
    attribution: str = ""


@dataclass
class Outreach:
    """Where the relationship with a prospect stands (the outreach table of the store)."""

    stage: str = "new"
    owner: str = ""
    notes: str = ""
    last_contact: str = ""
    next_follow_up: str = ""
    referrals_received: int = 0
    updated_at: str = ""
