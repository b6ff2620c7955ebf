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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from prospecting.errors import InputError
from prospecting.models import Listing, ListingColumns, texts

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
    """An input file as columns of text (Arrow strings, "" when empty), with the column each
    listing field comes from. Columns, not rows of dicts: a million rows fit in little memory."""

    path: Path
    columns: list[str]
    data: pa.Table
    lines: Sequence[int]  # where each row starts in the file (features: their number)
    mapping: dict[str, list[str]] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.data.num_rows)

    @property
    def rows(self) -> list[dict[str, str]]:
        return [dict(zip(self.columns, values, strict=True)) for values in zip(*self._cells(), strict=True)]

    def _cells(self) -> list[list[str]]:
        return [self.data.column(n).to_pylist() for n in range(self.data.num_columns)]

    def column(self, listing_field: str) -> pa.ChunkedArray:
        """The stripped text of the column a listing field comes from (the first alias present)."""
        found = self.mapping.get(listing_field)
        if not found:
            return pa.chunked_array([pa.array([""] * len(self), pa.string())])
        column: pa.ChunkedArray = pc.utf8_trim_whitespace(self.data.column(self.columns.index(found[0])))
        return column

    def text(self, listing_field: str) -> list[str]:
        values: list[str] = self.column(listing_field).to_pylist()
        return values


def read_table(path: Path) -> Table:
    """Read a CSV or GeoJSON file; InputError (one line naming the file) when it cannot be read."""
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if path.is_dir():
        raise InputError(f"{path}: is a folder (expected a CSV or GeoJSON file)")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InputError(f"{path}: larger than {MAX_FILE_BYTES // 2**20} MB (expected a smaller export; split it)")
    raw = path.read_bytes()
    text, warning = _decode(path, raw)
    if not text.strip():
        raise InputError(f"{path}: empty (expected a header row and listings)")
    skipped: dict[str, int] = {}
    if path.suffix.lower() in (".geojson", ".json"):
        columns, rows, numbers, without_properties = _geojson_rows(path, text)
        table = Table(path, columns, _arrow_table(columns, rows), numbers)
        if without_properties:
            skipped["no properties (skipped)"] = without_properties
    else:
        plain = warning is None and not raw.startswith((b"\xff\xfe", b"\xfe\xff"))
        if "\n" not in text and "\r" in text:  # old Mac line endings (Excel's "CSV (Macintosh)")
            text, plain = text.replace("\r", "\n"), False
        fast = _arrow_csv(raw if plain else text.encode())
        if fast is not None:
            table = Table(path, fast.column_names, fast, range(2, fast.num_rows + 2))
        else:
            columns, rows, lines = _csv_rows(path, text, skipped)
            table = Table(path, columns, _arrow_table(columns, rows), lines)
        repeated = next((c for n, c in enumerate(table.columns) if c.strip() and c in table.columns[:n]), None)
        if repeated is not None:
            raise InputError(f"{path}: column {repeated!r} appears twice (expected unique column names)")
    del raw, text
    table.skipped.update(skipped)
    if warning:
        table.warnings.append(warning)
    lower = {c.strip().lower(): c for c in table.columns}
    for name, aliases in ALIASES.items():
        found = [lower[a] for a in aliases if a in lower]
        if name == "categories":
            found += [c for c in table.columns if _NUMBERED_CATEGORY.match(c.strip().lower())]
        if found:
            table.mapping[name] = found if name == "categories" else found[:1]
    if "name" not in table.mapping and not (len(table) == 0 and not table.columns):  # an empty FeatureCollection: 0 rows
        separator = next((s for s in (";", "\t", "|") if len(table.columns) == 1 and s in table.columns[0]), None)
        if separator is not None:
            raise InputError(
                f"{path}: no name column: the header is separated by {separator!r}, not commas "
                "(expected comma-separated values: save as CSV with commas)"
            )
        raise InputError(f"{path}: no name column (expected one of {', '.join(ALIASES['name'])})")
    return table


def _decode(path: Path, raw: bytes) -> tuple[str, str | None]:
    """Text of a file: UTF-8 (with or without BOM), UTF-16 with a BOM, else Windows-1252 or Latin-1 with a warning."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), None
    if b"\x00" in raw[:4096]:
        raise InputError(f"{path}: binary data, not text (expected a CSV or GeoJSON file)")
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as e:
        warning = f"{path}: not UTF-8 (byte {e.start}); read as Latin-1 (Windows-1252), check accented names"
    try:
        # Excel's "CSV" on Windows: Latin-1 but for 0x80-0x9F, where its curly quotes and dashes are
        return raw.decode("cp1252"), warning
    except UnicodeDecodeError:
        return raw.decode("latin-1"), warning


def _arrow_csv(data: bytes) -> pa.Table | None:
    """Parse a plain CSV with Arrow (many times faster, a fraction of the memory), or None when
    the file has anything the exact parser below must handle and report: ragged rows, repeated
    or missing column names, blank lines, line breaks inside cells, bad quoting."""
    if data.count(b"\r") != data.count(b"\r\n"):
        return None  # a lone carriage return: Arrow would end a row there, the exact parser reports it
    end = data.find(b"\n")
    header = data[: end if end >= 0 else len(data)].decode("utf-8-sig", "replace")
    try:
        columns = next(csv.reader([header]), [])
    except csv.Error:
        return None
    if not columns or len(set(columns)) != len(columns) or b"\n\n" in data or b"\n\r\n" in data:
        return None
    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(column_names=columns, skip_rows=1),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(columns, pa.string()), strings_can_be_null=False, quoted_strings_can_be_null=False
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if any(pc.any(pc.match_substring(column, "\n")).as_py() for column in table.columns):
        return None  # a cell spans lines: line numbers are the exact parser's to count
    return table


def _arrow_table(columns: list[str], rows: list[list[str]]) -> pa.Table:
    cells = [pa.array([row[n] for row in rows], pa.string()) for n in range(len(columns))]
    return pa.Table.from_arrays(cells, names=columns)


def _lines(text: str) -> Iterator[str]:
    """Lines with their endings, split at "\n" only (csv finds "\r" itself). Unlike StringIO,
    which holds a copy of the text at four bytes a character, this copies one line at a time."""
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start)
        end = size if end < 0 else end + 1
        yield text[start:end]
        start = end


def _csv_rows(path: Path, text: str, skipped: dict[str, int] | None = None) -> tuple[list[str], list[list[str]], list[int]]:
    """Columns, rows and the line each row starts on; rows with more cells than the header are counted in `skipped`."""
    rows: list[list[str]] = []
    lines: list[int] = []
    long_rows = 0
    reader = csv.reader(_lines(text), strict=True)
    # Cells as large as the file, as the Arrow reader takes them (the csv module's default stops at 128 KB).
    limit = csv.field_size_limit(MAX_FILE_BYTES)
    try:
        columns = next(reader, [])
        start = reader.line_num + 1
        width = len(columns)
        for values in reader:
            if not values:
                start = reader.line_num + 1
                continue  # a blank line, as DictReader skips them
            # short rows are padded; extra cells beyond the header are dropped and counted
            long_rows += len(values) > width
            rows.append(values if len(values) == width else values[:width] + [""] * (width - len(values)))
            lines.append(start)
            start = reader.line_num + 1
    except csv.Error as e:
        raise InputError(f"{path}: line {reader.line_num}: malformed CSV: {e} (expected comma-separated values)") from e
    finally:
        csv.field_size_limit(limit)
    if not columns:
        raise InputError(f"{path}: no header row (expected column names such as name, address, latitude)")
    if long_rows and skipped is not None:
        skipped["more cells than the header (extra cells dropped)"] = long_rows
    return columns, rows, lines


def _geojson_rows(path: Path, text: str) -> tuple[list[str], list[list[str]], list[int], int]:
    """Columns, rows, each row's feature number, and how many features had no properties object (skipped)."""
    try:
        data = json.loads(text)
    except ValueError as e:
        raise InputError(f"{path}: malformed JSON: {e} (expected a GeoJSON FeatureCollection)") from e
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        raise InputError(f"{path}: no `features` list (expected a GeoJSON FeatureCollection)")
    columns: dict[str, None] = {}
    rows: list[dict[str, str]] = []
    numbers: list[int] = []
    for number, feature in enumerate(features, start=1):
        props = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(props, dict):
            continue  # null, a number, a string, a feature without properties: no listing in it
        row = {k: _text(v) for k, v in props.items()}
        geometry = feature.get("geometry")
        coords = geometry.get("coordinates") if isinstance(geometry, dict) and geometry.get("type") == "Point" else None
        if isinstance(coords, list) and len(coords) >= 2:
            row.setdefault("longitude", _text(coords[0]))
            row.setdefault("latitude", _text(coords[1]))
        columns.update(dict.fromkeys(row))
        rows.append(row)
        numbers.append(number)
    names = list(columns)
    return names, [[row.get(c, "") for c in names] for row in rows], numbers, len(features) - len(rows)


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


def _coordinates(table: Table, listing_field: str, limit: float) -> tuple[np.ndarray, np.ndarray]:
    """A coordinate column as floats (NaN where empty, unreadable or beyond +-limit) and where one was given.
    Arrow reads the column at once; a value it cannot read sends the column through Python's float()."""
    column = table.column(listing_field)
    given = pc.not_equal(column, "")
    try:
        values = np.array(pc.cast(pc.if_else(given, column, None), pa.float64()).to_numpy(), dtype=float)  # writable
    except pa.ArrowInvalid:
        values = np.array([_coordinate(v, limit) if v else None for v in column.to_pylist()], dtype=float)
    with np.errstate(invalid="ignore"):
        values[~(np.abs(values) <= limit)] = np.nan  # NaN and infinities fail the comparison too
    return values, given.to_numpy()


def table_columns(table: Table) -> ListingColumns:
    """The matching fields of every row as columns. Unreadable coordinates are counted in
    `table.skipped` and the row kept without a point."""
    (latitude, lat_given), (longitude, lon_given) = _coordinates(table, "latitude", 90), _coordinates(table, "longitude", 180)
    given = lat_given | lon_given
    unreadable = given & (np.isnan(latitude) | np.isnan(longitude))
    if unreadable.any():
        reason = "unreadable coordinates (kept without)"
        table.skipped[reason] = table.skipped.get(reason, 0) + int(unreadable.sum())
        latitude[unreadable] = longitude[unreadable] = np.nan
    source, ids = table.column("source"), table.column("id")
    if pc.any(pc.equal(source, "")).as_py():
        source = pc.if_else(pc.equal(source, ""), table.path.stem, source)
    if pc.any(pc.equal(ids, "")).as_py():
        ids = pc.if_else(pc.equal(ids, ""), pa.array([str(n) for n in range(1, len(table) + 1)]), ids)
    return ListingColumns(
        source=source,
        source_id=ids,
        name=table.column("name"),
        address=table.column("address"),
        city=table.column("city"),
        postcode=table.column("postcode"),
        phone=table.column("phone"),
        website=table.column("website"),
        latitude=latitude,
        longitude=longitude,
    )


def table_listings(table: Table) -> list[Listing]:
    """One Listing per row. Unreadable coordinates are counted in `table.skipped` and the row kept without."""
    c = table_columns(table)
    source, source_id, name, address, city, postcode, phone, website = (
        texts(getattr(c, a)) for a in ("source", "source_id", "name", "address", "city", "postcode", "phone", "website")
    )
    more = [table.text(f) for f in ("state", "email", "instagram", "facebook")]
    category_cells = [table.data.column(table.columns.index(col)).to_pylist() for col in table.mapping.get("categories", [])]
    labels = (
        tuple(dict.fromkeys(label for cells in category_cells if cells[n] for label in split_labels(cells[n])))
        for n in range(len(c))
    )
    return [
        Listing(
            source=source[n],
            source_id=source_id[n],
            name=name[n],
            latitude=None if math.isnan(lat) else lat,
            longitude=None if math.isnan(lon) else lon,
            address=address[n],
            city=city[n],
            state=state,
            postcode=postcode[n],
            phone=phone[n],
            website=website[n],
            email=email,
            instagram=instagram,
            facebook=facebook,
            categories=categories,
        )
        for n, (lat, lon, state, email, instagram, facebook, categories) in enumerate(
            zip(c.latitude.tolist(), c.longitude.tolist(), *more, labels, strict=True)
        )
    ]
