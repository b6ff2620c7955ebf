"""Read listings from CSV or GeoJSON files (the listing columns of DESIGN.md and common aliases).

Exports of popular map scrapers load unchanged: gosom/google-maps-scraper (`title`,
`category`, `latitude`, `longitude`), Outscraper (`name`, `site`, `type`, `subtypes`,
`full_address`), Apify (`title`, `categoryName`, `lat`/`lng` via `location`)... Columns are
matched case-insensitively; an unknown column is kept for `classify` to repeat.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prospecting.errors import InputError
from prospecting.models import Listing

# listing field -> accepted column names, in order of preference
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "source_id", "place_id", "placeid", "cid", "data_id", "google_id", "osm_id", "npi", "number"),
    "source": ("source",),
    "name": ("name", "title", "business_name", "organization_name", "company", "company_name"),
    "latitude": ("latitude", "lat", "y", "location/lat", "location.lat"),
    "longitude": ("longitude", "lng", "lon", "long", "x", "location/lng", "location.lng"),
    "address": ("address", "full_address", "street_address", "street", "address_1", "addr"),
    "city": ("city", "locality", "town"),
    "state": ("state", "region", "province", "us_state"),
    "postcode": ("postcode", "postal_code", "zip", "zipcode", "zip_code"),
    "phone": ("phone", "phone_number", "telephone", "tel", "international_phone_number", "phone_1"),
    "website": ("website", "site", "url", "web", "domain"),
    "email": ("email", "emails", "email_1"),
    "instagram": ("instagram",),
    "facebook": ("facebook",),
    # every one of these present is read, and their labels are joined
    "categories": ("categories", "category", "type", "types", "subtypes", "categoryname", "category_name", "main_category"),
}
MAX_FILE_BYTES = 200 * 1024 * 1024
_NUMBERED_CATEGORY = re.compile(r"^categories[/.]\d+$")  # Apify flattens its list: categories/0, categories/1


@dataclass
class Table:
    """An input file as rows of text (cells in the order of `columns`), with the column each
    listing field comes from. Lists, not dicts: a million rows cost half the memory."""

    path: Path
    columns: list[str]
    rows: list[list[str]]
    lines: list[int] = field(default_factory=list)  # where each row starts in the file (features: their number)
    mapping: dict[str, list[str]] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def read_table(path: Path) -> Table:
    """Read a CSV or GeoJSON file; InputError (one line naming the file) when it cannot be read."""
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if path.is_dir():
        raise InputError(f"{path}: is a folder (expected a CSV or GeoJSON file)")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InputError(f"{path}: larger than {MAX_FILE_BYTES // 2**20} MB (expected a smaller export; split it)")
    text, warning = _decode(path, path.read_bytes())
    if not text.strip():
        raise InputError(f"{path}: empty (expected a header row and listings)")
    if path.suffix.lower() in (".geojson", ".json"):
        columns, rows = _geojson_rows(path, text)
        lines = list(range(1, len(rows) + 1))
    else:
        columns, rows, lines = _csv_rows(path, text)
    table = Table(path, columns, rows, lines)
    if warning:
        table.warnings.append(warning)
    lower = {c.strip().lower(): c for c in columns}
    for name, aliases in ALIASES.items():
        found = [lower[a] for a in aliases if a in lower]
        if name == "categories":
            found += [c for c in columns if _NUMBERED_CATEGORY.match(c.strip().lower())]
        if found:
            table.mapping[name] = found if name == "categories" else found[:1]
    if "name" not in table.mapping:
        raise InputError(f"{path}: no name column (expected one of {', '.join(ALIASES['name'])})")
    return table


def _decode(path: Path, raw: bytes) -> tuple[str, str | None]:
    """Text of a file: UTF-8 (with or without BOM), UTF-16 with a BOM, else Latin-1 with a warning."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), None
    if b"\x00" in raw[:4096]:
        raise InputError(f"{path}: binary data, not text (expected a CSV or GeoJSON file)")
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as e:
        return raw.decode("latin-1"), f"{path}: not UTF-8 (byte {e.start}); read as Latin-1, check accented names"


def _lines(text: str) -> Iterator[str]:
    """Lines with their endings, split at "\n" only (csv finds "\r" itself). Unlike StringIO,
    which holds a copy of the text at four bytes a character, this copies one line at a time."""
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start)
        end = size if end < 0 else end + 1
        yield text[start:end]
        start = end


def _csv_rows(path: Path, text: str) -> tuple[list[str], list[list[str]], list[int]]:
    rows: list[list[str]] = []
    lines: list[int] = []
    reader = csv.reader(_lines(text), strict=True)
    try:
        columns = next(reader, [])
        start = reader.line_num + 1
        width = len(columns)
        for values in reader:
            if not values:
                start = reader.line_num + 1
                continue  # a blank line, as DictReader skips them
            if len(values) != width:  # short rows are padded; extra cells beyond the header are dropped
                values = values[:width] + [""] * (width - len(values))
            rows.append(values)
            lines.append(start)
            start = reader.line_num + 1
    except csv.Error as e:
        raise InputError(f"{path}: line {reader.line_num}: malformed CSV: {e} (expected comma-separated values)") from e
    if not columns:
        raise InputError(f"{path}: no header row (expected column names such as name, address, latitude)")
    return columns, rows, lines


def _geojson_rows(path: Path, text: str) -> tuple[list[str], list[list[str]]]:
    try:
        data = json.loads(text)
    except ValueError as e:
        raise InputError(f"{path}: malformed JSON: {e} (expected a GeoJSON FeatureCollection)") from e
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        raise InputError(f"{path}: no `features` list (expected a GeoJSON FeatureCollection)")
    columns: dict[str, None] = {}
    rows: list[dict[str, str]] = []
    for feature in features:
        props = feature.get("properties") if isinstance(feature, dict) else None
        row = {k: _text(v) for k, v in (props or {}).items()}
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        coords = geometry.get("coordinates") if isinstance(geometry, dict) and geometry.get("type") == "Point" else None
        if isinstance(coords, list) and len(coords) >= 2:
            row.setdefault("longitude", _text(coords[0]))
            row.setdefault("latitude", _text(coords[1]))
        columns.update(dict.fromkeys(row))
        rows.append(row)
    names = list(columns)
    return names, [[row.get(c, "") for c in names] for row in rows]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def split_labels(text: str) -> list[str]:
    """`"Gym; Yoga studio"`, `"gym,yoga"` or `'["Gym", "Yoga"]'` -> labels."""
    text = text.strip()
    if text.startswith("["):
        try:
            values = json.loads(text)
            if isinstance(values, list):
                return [str(v).strip() for v in values if str(v).strip()]
        except ValueError:
            pass
    separator = ";" if ";" in text else ","
    return [part.strip() for part in text.split(separator) if part.strip()]


def _coordinate(text: str, limit: float) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and -limit <= value <= limit else None


_TEXT_FIELDS = ("source", "id", "name", "address", "city", "state", "postcode", "phone", "website", "email", "instagram",
                "facebook", "latitude", "longitude")  # fmt: skip


def table_listings(table: Table) -> list[Listing]:
    """One Listing per row. A row without a name, or with unreadable coordinates, is counted in `table.skipped`."""
    default_source = table.path.stem
    listings: list[Listing] = []
    # each field read from its one column (the first alias present), which is what nearly every file has
    index = {c: n for n, c in enumerate(table.columns)}
    cells = [index[table.mapping[f][0]] if f in table.mapping else None for f in _TEXT_FIELDS]
    category_cells = [index[c] for c in table.mapping.get("categories", [])]
    unreadable = "unreadable coordinates (kept without)"
    for n, row in enumerate(table.rows, start=1):
        source, id_, name, address, city, state, postcode, phone, website, email, instagram, facebook, lat_text, lon_text = (
            row[c].strip() if c is not None else "" for c in cells
        )
        lat, lon = _coordinate(lat_text, 90), _coordinate(lon_text, 180)
        if (lat_text or lon_text) and (lat is None or lon is None):
            table.skipped[unreadable] = table.skipped.get(unreadable, 0) + 1
            lat = lon = None
        labels = [label for c in category_cells if row[c] for label in split_labels(row[c])]
        listings.append(
            Listing(
                source=source or default_source,
                source_id=id_ or str(n),
                name=name,
                latitude=lat,
                longitude=lon,
                address=address,
                city=city,
                state=state,
                postcode=postcode,
                phone=phone,
                website=website,
                email=email,
                instagram=instagram,
                facebook=facebook,
                categories=tuple(dict.fromkeys(labels)),
            )
        )
    return listings
