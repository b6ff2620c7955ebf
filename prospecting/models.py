"""The plain records handed from stage to stage."""

from __future__ import annotations

from dataclasses import dataclass, field


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


@dataclass(frozen=True, slots=True)
class SourceResult:
    """What one source gave for one area: listings kept, and what it dropped, by reason."""

    source: str
    listings: tuple[Listing, ...]
    dropped: dict[str, int] = field(default_factory=dict)
    attribution: str = ""
