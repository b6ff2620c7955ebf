"""The clinic profile: one typed, immutable settings object read from a TOML file.

Every field, its default and its check live here (the README's configuration reference
mirrors this table). A problem is reported as one line::

    FILE: field: problem (expected ...)

Fields of a clinic profile (top level unless dotted):

    name                 clinic name, used for the output folder (required)
    address              street address to geocode; or give latitude and longitude
    latitude, longitude  decimal degrees (WGS84)
    country              ISO 3166-1 alpha-2 code that geocoding must land in ("us")
    radius               search radius with units, "5mi", "8km" or "800m"; above 0, at most 100 km
    niche                a niche profile of config/niches.toml ("general_ortho")
    sources              listing sources to query (["osm"]); "file:PATH" adds an import file
    timezone             IANA zone of the clinic ("America/New_York")
    contact_email        put in the User-Agent so services can reach the operator (required)
    output_dir           where exports go ("output")
    overpass.endpoints   Overpass interpreter URLs, tried in order
    overpass.timeout     server-side query timeout in seconds (90)
    nominatim.url        Nominatim base URL ("https://nominatim.openstreetmap.org")
    cache.dir            HTTP cache folder ("<output_dir>/.cache")
    cache.listing_days   how long listing answers stay fresh (7)
    npi.url              NPPES NPI Registry API ("https://npiregistry.cms.hhs.gov/api")
    npi.taxonomies       taxonomy descriptions queried per ZIP code (family medicine, internal
                         medicine, general practice, family nurse practitioner, naturopath)
    npi.zip_buffer_km    ZIP codes whose centre lies within radius + this are queried (3)
    overture.file        an Overture places file (GeoJSON or GeoParquet) instead of a download
    overture.release     Overture release to download ("" for the latest)
    overture.min_confidence  places below this confidence are dropped as probably closed (0.3)
    dpc_frontier.url     the DPC Frontier mapper ("https://mapper.dpcfrontier.com"); opt-in source
    crawl.enabled        read each listing's website for evidence and contacts (true)
    crawl.max_pages      pages read per site beyond the home page (3)
    crawl.min_interval   seconds between two requests to one website (2)
    crawl.concurrency    websites read at once (8)
    crawl.allow_hosts    hosts exempt from the public-address rule (for tests: ["127.0.0.1"])
    crawl.resolve        host = "host:port" to connect to instead (local copies of sites)
    http.min_interval    seconds between two requests to one host (1; Nominatim never below 1)
    file.paths           CSV or GeoJSON listing files for the `file` source (relative to the profile)
    file.licence         the licence of those files, kept with each listing ("user-supplied")
"""

from __future__ import annotations

import re
import tomllib
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prospecting.errors import ConfigError
from prospecting.resources import config_table, read_toml

DEFAULT_OVERPASS_ENDPOINTS = (
    "https://overpass-api.de/api/interpreter",
    "https://overpass.kumi.systems/api/interpreter",
    "https://maps.mail.ru/osm/tools/overpass/api/interpreter",
)
DEFAULT_NOMINATIM_URL = "https://nominatim.openstreetmap.org"
DEFAULT_NPI_URL = "https://npiregistry.cms.hhs.gov/api"
DEFAULT_NPI_TAXONOMIES = ("Family Medicine", "Internal Medicine", "General Practice", "Nurse Practitioner, Family", "Naturopath")
MAX_RADIUS_KM = 100.0
_UNIT_KM = {"mi": 1.609344, "km": 1.0, "m": 0.001}
_RADIUS_RE = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*(mi|km|m)\s*$", re.IGNORECASE)
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL_RE = re.compile(r"^https?://[^\s/]+", re.IGNORECASE)


@dataclass(frozen=True)
class ClinicProfile:
    """A validated clinic profile. Build it with `load_profile`."""

    source_file: str
    name: str
    address: str | None
    latitude: float | None
    longitude: float | None
    country: str
    radius_km: float
    niche: str
    sources: tuple[str, ...]
    timezone: str
    contact_email: str
    output_dir: Path
    overpass_endpoints: tuple[str, ...]
    overpass_timeout: int
    nominatim_url: str
    cache_dir: Path
    listing_cache_days: float
    import_files: tuple[Path, ...] = ()
    import_licence: str = "user-supplied"
    npi_url: str = DEFAULT_NPI_URL
    npi_taxonomies: tuple[str, ...] = DEFAULT_NPI_TAXONOMIES
    npi_zip_buffer_km: float = 3.0
    min_interval: float = 1.0
    overture_file: Path | None = None
    overture_min_confidence: float = 0.3
    overture_release: str | None = None
    dpc_frontier_url: str = "https://mapper.dpcfrontier.com"
    crawl_enabled: bool = True
    crawl_max_pages: int = 3
    crawl_min_interval: float = 2.0
    crawl_concurrency: int = 8
    crawl_allow_hosts: tuple[str, ...] = ()
    crawl_resolve: Mapping[str, str] = field(default_factory=dict)
    weights: Mapping[str, float] = field(default_factory=dict)  # the clinic's own fit_score weights

    @property
    def slug(self) -> str:
        return slugify(self.name)

    @property
    def radius_m(self) -> float:
        return self.radius_km * 1000.0

    @property
    def user_agent(self) -> str:
        from prospecting import __version__

        return f"prospecting/{__version__} (+https://github.com/prospecting-pt/prospecting; {self.contact_email})"


def slugify(text: str) -> str:
    """`"Harbor Movement PT, LLC"` -> `"harbor-movement-pt-llc"`."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "clinic"


def parse_radius_km(text: str) -> float:
    """`"5mi"` -> 8.04672; raises ValueError with what is expected."""
    m = _RADIUS_RE.match(str(text))
    if not m:
        raise ValueError(f"{text!r} is not a distance (expected a number with mi, km or m, such as 5mi or 8km)")
    km = float(m.group(1)) * _UNIT_KM[m.group(2).lower()]
    if km <= 0:
        raise ValueError(f"{text!r} is not above 0 (expected a radius above 0, at most {MAX_RADIUS_KM:g} km)")
    if km > MAX_RADIUS_KM:
        raise ValueError(f"{text!r} is over {MAX_RADIUS_KM:g} km (expected at most {MAX_RADIUS_KM:g} km)")
    return km


def known_niches() -> list[str]:
    return sorted(config_table("niches").get("niches", {}))


def known_sources() -> list[str]:
    from prospecting.sources import SOURCES

    return sorted(SOURCES)


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{value!r} is not text (expected a non-empty string)")
    return value.strip()


def _number(lo: float, hi: float) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{value!r} is not a number (expected a number from {lo:g} to {hi:g})")
        if not lo <= float(value) <= hi:
            raise ValueError(f"{value!r} is out of range (expected a number from {lo:g} to {hi:g})")
        return float(value)

    return check


def _radius(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f"{value!r} has no unit (expected a number with mi, km or m, such as 5mi or 8km)")
    return parse_radius_km(str(value))


def _niche(value: Any) -> str:
    niches = known_niches()
    if value not in niches:
        raise ValueError(f"unknown niche {value!r} (expected one of {', '.join(niches)})")
    return str(value)


def _sources(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not value:
        raise ValueError(f'{value!r} is not a list of sources (expected e.g. ["osm"])')
    known = known_sources()
    for entry in value:
        name, _, path = str(entry).partition(":")
        if name not in known:
            raise ValueError(f"unknown source {name!r} (expected some of {', '.join(known)})")
        if path and name != "file":
            raise ValueError(f"{entry!r}: only the file source takes a path (expected file:PATH)")
    return tuple(dict.fromkeys(value))


def _timezone(value: Any) -> str:
    try:
        zoneinfo.ZoneInfo(_text(value))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as e:
        raise ValueError(f"unknown time zone {value!r} (expected an IANA name such as America/New_York)") from e
    return str(value)


def _email(value: Any) -> str:
    text = _text(value)
    if not _EMAIL_RE.match(text):
        raise ValueError(f"{value!r} is not an e-mail address (expected name@domain, put in the User-Agent)")
    return text


def _country(value: Any) -> str:
    text = _text(value).lower()
    if not re.fullmatch(r"[a-z]{2}", text):
        raise ValueError(f"{value!r} is not a country code (expected two letters, such as us)")
    return text


def _url(value: Any) -> str:
    text = _text(value)
    if not _URL_RE.match(text):
        raise ValueError(f"{value!r} is not an http(s) URL (expected e.g. https://overpass-api.de/api/interpreter)")
    return text.rstrip("/")


def _urls(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"{value!r} is not a list of URLs (expected at least one http(s) URL)")
    return tuple(_url(v) for v in value)


def _int(lo: int, hi: int) -> Callable[[Any], int]:
    number = _number(lo, hi)

    def check(value: Any) -> int:
        if not isinstance(value, int):
            raise ValueError(f"{value!r} is not a whole number (expected {lo} to {hi})")
        return int(number(value))

    return check


def _names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f'{value!r} is not a list of names (expected e.g. ["Family Medicine", "Naturopath"])')
    return tuple(v.strip() for v in value)


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{value!r} is not true or false (expected true or false)")
    return value


def _names_or_empty(value: Any) -> tuple[str, ...]:
    return _names(value) if value != [] else ()


def _host_map(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ValueError(
            f'{value!r} is not a table of host = "host:port" (expected e.g. {{ "www.x.example" = "127.0.0.1:8080" }})'
        )
    return dict(value)


def _paths(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f'{value!r} is not a list of file paths (expected e.g. ["imports/google.csv"])')
    return tuple(value)


_COMPONENTS = ("niche", "proximity", "evidence", "cash_pay", "reachability", "independence")


def _weights(value: Any) -> dict[str, float]:
    if not isinstance(value, dict):
        raise ValueError(f"{value!r} is not a table (expected e.g. {{ niche = 0.5, proximity = 0.3 }})")
    unknown = sorted(set(value) - set(_COMPONENTS))
    if unknown:
        raise ValueError(f"{unknown[0]!r} is not a score component (expected some of {', '.join(_COMPONENTS)})")
    for key, weight in value.items():
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 <= weight <= 10:
            raise ValueError(f"{key}: {weight!r} is not a number in 0-10 (expected a weight from 0 to 10)")
    # the components it leaves out keep config/niches.toml's weights: together they must weigh something
    defaults = config_table("niches").get("weights", {})
    if sum(float(value.get(k, defaults.get(k, 0.0))) for k in _COMPONENTS) <= 0:
        raise ValueError(f"{value!r} makes every weight 0 (expected at least one weight above 0)")
    return {k: float(v) for k, v in value.items()}


# field -> (check, default); a default of ... means required.
_FIELDS: dict[str, tuple[Callable[[Any], Any], Any]] = {
    "name": (_text, ...),
    "address": (_text, None),
    "latitude": (_number(-90, 90), None),
    "longitude": (_number(-180, 180), None),
    "country": (_country, "us"),
    "radius": (_radius, "5mi"),
    "niche": (_niche, "general_ortho"),
    "sources": (_sources, ["osm"]),
    "timezone": (_timezone, "America/New_York"),
    "contact_email": (_email, ...),
    "output_dir": (_text, "output"),
    "overpass.endpoints": (_urls, list(DEFAULT_OVERPASS_ENDPOINTS)),
    "overpass.timeout": (_int(10, 900), 90),
    "nominatim.url": (_url, DEFAULT_NOMINATIM_URL),
    "cache.dir": (_text, None),
    "cache.listing_days": (_number(0, 365), 7),
    "npi.url": (_url, DEFAULT_NPI_URL),
    "npi.taxonomies": (_names, list(DEFAULT_NPI_TAXONOMIES)),
    "npi.zip_buffer_km": (_number(0, 20), 3),
    "overture.file": (_text, None),
    "overture.min_confidence": (_number(0, 1), 0.3),
    "overture.release": (_text, None),
    "dpc_frontier.url": (_url, "https://mapper.dpcfrontier.com"),
    "crawl.enabled": (_flag, True),
    "crawl.max_pages": (_int(0, 20), 3),
    "crawl.min_interval": (_number(0, 60), 2),
    "crawl.concurrency": (_int(1, 64), 8),
    "crawl.allow_hosts": (_names_or_empty, []),
    "crawl.resolve": (_host_map, {}),
    "http.min_interval": (_number(0, 60), 1),
    "file.paths": (_paths, []),
    "file.licence": (_text, "user-supplied"),
    "weights": (_weights, {}),
}


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """`{"overpass": {"timeout": 60}}` -> `{"overpass.timeout": 60}` for the known tables."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and any(f.startswith(f"{dotted}.") for f in _FIELDS):
            flat.update(_flatten(value, f"{dotted}."))
        else:
            flat[dotted] = value
    return flat


_UTF8_BOM = b"\xef\xbb\xbf"


def _read_profile(path: Path) -> dict[str, Any]:
    """The profile's TOML. A UTF-8 byte-order mark, which Windows Notepad may write, is skipped."""
    try:
        with path.open("rb") as f:
            bom = f.read(3) == _UTF8_BOM
    except OSError:
        bom = False  # read_toml names the problem: not found, a folder...
    if not bom:
        return read_toml(path)
    try:
        return tomllib.loads(path.read_bytes()[3:].decode("utf-8"))
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text (expected a UTF-8 TOML file)") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: malformed TOML: {e} (expected valid TOML)") from e


def load_profile(path: str | Path, overrides: Mapping[str, Any] | None = None) -> ClinicProfile:
    """Read and check a clinic profile; `overrides` (dotted field names) come from the command line."""
    path = Path(path)
    raw = _flatten(_read_profile(path))
    values: dict[str, Any] = {}
    for origin, data in ((str(path), raw), ("command line", dict(overrides or {}))):
        for key, value in data.items():
            if key not in _FIELDS:
                raise ConfigError(f"{origin}: {key}: unknown key (expected one of {', '.join(_FIELDS)})")
            if value is None:
                continue
            try:
                values[key] = _FIELDS[key][0](value)
            except ValueError as e:
                raise ConfigError(f"{origin}: {key}: {e}") from e
    for key, (check, default) in _FIELDS.items():
        if key in values:
            continue
        if default is ...:
            raise ConfigError(f"{path}: {key}: missing (expected a value; see config/clinic.example.toml)")
        values[key] = check(default) if default is not None else None

    has_point = values["latitude"] is not None and values["longitude"] is not None
    if values["latitude"] is None and values["longitude"] is None and values["address"] is None:
        raise ConfigError(f"{path}: address: missing (expected an address, or latitude and longitude)")
    if not has_point and values["address"] is None:
        missing = "longitude" if values["latitude"] is not None else "latitude"
        raise ConfigError(f"{path}: {missing}: missing (expected latitude and longitude together)")

    output_dir = Path(values["output_dir"])
    # `file:PATH` in sources names an import file (relative to the working folder) and enables `file`.
    named_files = tuple(Path(s.partition(":")[2]) for s in values["sources"] if s.startswith("file:"))
    sources = tuple(dict.fromkeys(s.partition(":")[0] for s in values["sources"]))
    return ClinicProfile(
        source_file=str(path),
        name=values["name"],
        address=values["address"],
        latitude=values["latitude"] if has_point else None,
        longitude=values["longitude"] if has_point else None,
        country=values["country"],
        radius_km=values["radius"],
        niche=values["niche"],
        sources=sources,
        timezone=values["timezone"],
        contact_email=values["contact_email"],
        output_dir=output_dir,
        overpass_endpoints=values["overpass.endpoints"],
        overpass_timeout=values["overpass.timeout"],
        nominatim_url=values["nominatim.url"],
        cache_dir=Path(values["cache.dir"]) if values["cache.dir"] else output_dir / ".cache",
        listing_cache_days=values["cache.listing_days"],
        import_files=tuple(path.parent / p for p in values["file.paths"]) + named_files,
        import_licence=values["file.licence"],
        npi_url=values["npi.url"],
        npi_taxonomies=values["npi.taxonomies"],
        npi_zip_buffer_km=values["npi.zip_buffer_km"],
        min_interval=values["http.min_interval"],
        overture_file=path.parent / values["overture.file"] if values["overture.file"] else None,
        overture_min_confidence=values["overture.min_confidence"],
        overture_release=values["overture.release"],
        dpc_frontier_url=values["dpc_frontier.url"],
        crawl_enabled=values["crawl.enabled"],
        crawl_max_pages=values["crawl.max_pages"],
        crawl_min_interval=values["crawl.min_interval"],
        crawl_concurrency=values["crawl.concurrency"],
        crawl_allow_hosts=values["crawl.allow_hosts"],
        crawl_resolve=values["crawl.resolve"],
        weights=values["weights"],
    )
