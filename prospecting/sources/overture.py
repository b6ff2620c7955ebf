"""Overture Maps places: a file the user downloaded (GeoJSON or GeoParquet), or a download by
bounding box through the optional `overturemaps` package (`pip install .[overture]`).

Both schemas are read: the old one (`names`, `categories{primary, alternate}`) and the 2026 one
(`basic_category`, `taxonomy{primary, hierarchy, alternates}`, `operating_status`). Closed places
(by status, or confidence below the threshold) are dropped and counted. Each record keeps the
licences of its own upstream sources (CDLA-Permissive-2.0 mostly, Apache-2.0 for Foursquare's).
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from prospecting.errors import BadResponse, Unavailable
from prospecting.export import write_json
from prospecting.http import HttpClient
from prospecting.models import Listing, Point, SourceResult
from prospecting.sources.base import Source

if TYPE_CHECKING:
    from prospecting.config import ClinicProfile

CLOSED = frozenset({"permanently_closed", "closed", "temporarily_closed"})


def _nested(value: Any) -> Any:
    """GeoJSON writers keep nested properties as objects; some flatten them to JSON text."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _first(values: Any) -> str:
    values = _nested(values)
    if isinstance(values, list) and values:
        return str(values[0] or "")
    return ""


def _labels(row: dict[str, Any]) -> list[str]:
    labels: list[str] = []
    categories = _nested(row.get("categories"))
    if isinstance(categories, dict):
        labels += [categories.get("primary") or "", *(categories.get("alternate") or [])]
    labels.append(str(row.get("basic_category") or ""))
    taxonomy = _nested(row.get("taxonomy"))
    if isinstance(taxonomy, dict):
        labels += [taxonomy.get("primary") or "", *(taxonomy.get("hierarchy") or []), *(taxonomy.get("alternates") or [])]
    return [str(x) for x in dict.fromkeys(labels) if x]


def point_from_wkb(blob: bytes) -> tuple[float, float] | None:
    """(lon, lat) of a WKB Point, as GeoParquet stores geometries; None for anything else."""
    if len(blob) < 21:
        return None
    order = "<" if blob[0] == 1 else ">"
    (kind,) = struct.unpack(f"{order}I", blob[1:5])
    if kind % 1000 != 1:
        return None
    lon, lat = struct.unpack(f"{order}dd", blob[5:21])
    return lon, lat


def _position(row: dict[str, Any]) -> tuple[float, float] | None:
    geometry = row.get("geometry")
    if isinstance(geometry, bytes | bytearray):
        return point_from_wkb(bytes(geometry))
    if isinstance(geometry, dict) and geometry.get("type") == "Point":
        lon, lat = geometry.get("coordinates", [None, None])[:2]
        if isinstance(lon, int | float) and isinstance(lat, int | float):
            return float(lon), float(lat)
    return None


def place_to_listing(row: dict[str, Any], min_confidence: float, fetched_at: str) -> Listing | str:
    """A Listing from one Overture place (either schema), or the reason it is dropped."""
    status = str(row.get("operating_status") or "").lower()
    if status in CLOSED:
        return status
    confidence = row.get("confidence")
    if isinstance(confidence, int | float) and confidence < min_confidence:
        return "low_confidence"
    names = _nested(row.get("names"))
    name = str(names.get("primary") or "") if isinstance(names, dict) else ""
    if not name:
        return "unnamed"
    where = _position(row)
    if where is None or not all(math.isfinite(v) for v in where):
        return "no_coordinates"
    address = _nested(row.get("addresses"))
    first_address = address[0] if isinstance(address, list) and address and isinstance(address[0], dict) else {}
    socials = [str(s) for s in (_nested(row.get("socials")) or []) if s]
    brand = _nested(row.get("brand"))
    brand_names = _nested(brand.get("names")) if isinstance(brand, dict) else None
    upstream = [s for s in (_nested(row.get("sources")) or []) if isinstance(s, dict)]
    licences = sorted({str(s.get("license")) for s in upstream if s.get("license")})
    return Listing(
        source=OverturePlaces.name,
        source_id=str(row.get("id") or ""),
        name=name,
        latitude=where[1],
        longitude=where[0],
        address=str(first_address.get("freeform") or ""),
        city=str(first_address.get("locality") or ""),
        state=str(first_address.get("region") or ""),
        postcode=str(first_address.get("postcode") or ""),
        phone=_first(row.get("phones")),
        website=_first(row.get("websites")),
        email=_first(row.get("emails")),
        instagram=next((s for s in socials if "instagram.com" in s), ""),
        facebook=next((s for s in socials if "facebook.com" in s), ""),
        categories=tuple(_labels(row)),
        brand=str(brand_names.get("primary") or "") if isinstance(brand_names, dict) else "",
        fetched_at=fetched_at,
        licence=" + ".join(licences) or OverturePlaces.licence,
    )


def read_places(path: Path) -> Iterator[dict[str, Any]]:
    """Rows of an Overture places file: GeoJSON (features) or GeoParquet (needs pyarrow)."""
    if path.suffix.lower() == ".parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError as e:
            raise BadResponse(f"{path}: reading GeoParquet needs pyarrow (pip install .[overture])") from e
        for batch in pq.ParquetFile(path).iter_batches():
            yield from batch.to_pylist()
        return
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError as e:
        raise BadResponse(f"{path}: file not found") from e
    except ValueError as e:
        raise BadResponse(f"{path}: malformed JSON: {e} (expected GeoJSON from `overturemaps download -f geojson`)") from e
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        raise BadResponse(f"{path}: no `features` list (expected a GeoJSON FeatureCollection)")
    for feature in features:
        if isinstance(feature, dict):
            yield {**(feature.get("properties") or {}), "geometry": feature.get("geometry")}


def bbox_around(centre: Point, radius_m: float) -> tuple[float, float, float, float]:
    """(west, south, east, north) of the square around the circle."""
    dlat = radius_m / 111_320.0
    dlon = radius_m / (111_320.0 * max(0.01, math.cos(math.radians(centre.latitude))))
    return (centre.longitude - dlon, centre.latitude - dlat, centre.longitude + dlon, centre.latitude + dlat)


def download_places(bbox: tuple[float, float, float, float], release: str | None, path: Path) -> Path:
    """Download the places in `bbox` with the `overturemaps` package and keep them as GeoJSON at `path`."""
    try:
        import overturemaps
    except ImportError as e:
        raise BadResponse(
            "downloading Overture places needs the overture extra (pip install .[overture]) or [overture] file"
        ) from e
    try:
        reader = overturemaps.record_batch_reader("place", bbox=bbox, release=release)
    except Exception as e:  # the package raises whatever its storage client raises
        raise Unavailable(f"Overture download failed: {type(e).__name__}: {e}") from e
    if reader is None:
        raise Unavailable(f"Overture download failed for bbox {bbox} (release {release or 'latest'})")
    features = []
    for batch in reader:
        for row in batch.to_pylist():
            where = _position(row)
            geometry = {"type": "Point", "coordinates": list(where)} if where else None
            properties = {k: v for k, v in row.items() if k != "geometry" and not isinstance(v, bytes | bytearray)}
            features.append({"type": "Feature", "geometry": geometry, "properties": properties})
    write_json(path, {"type": "FeatureCollection", "features": features})
    return path


class OverturePlaces(Source):
    name: ClassVar[str] = "overture"
    licence: ClassVar[str] = "CDLA-Permissive-2.0"
    attribution: ClassVar[str] = "Overture Maps Foundation (CDLA-Permissive-2.0; Apache-2.0 for some records)"
    summary: ClassVar[str] = "Overture Maps places: open business listings from Meta, Microsoft, Foursquare and others"
    needs: ClassVar[str] = "[overture] file, or the overture extra to download (pip install .[overture])"

    def __init__(
        self,
        path: Path | None,
        min_confidence: float,
        release: str | None = None,
        cache_dir: Path = Path("output/.cache/overture"),
        cache_days: float = 7,
    ) -> None:
        self._path = path
        self._min_confidence = min_confidence
        self._release = release
        self._cache_dir = cache_dir
        self._cache_days = cache_days

    @classmethod
    def from_profile(cls, profile: ClinicProfile, client: HttpClient) -> OverturePlaces:
        return cls(
            profile.overture_file,
            profile.overture_min_confidence,
            profile.overture_release,
            profile.cache_dir / "overture",
            profile.listing_cache_days,
        )

    def _places_file(self, centre: Point, radius_m: float) -> Path:
        """The user's file, or a download kept in the cache folder for the listing cache's lifetime."""
        if self._path is not None:
            if not self._path.is_file():
                raise BadResponse(f"{self._path}: file not found (expected an Overture places GeoJSON or GeoParquet file)")
            return self._path
        bbox = bbox_around(centre, radius_m)
        key = hashlib.sha1(json.dumps([round(v, 5) for v in bbox]).encode()).hexdigest()[:12]
        cached = self._cache_dir / f"places-{self._release or 'latest'}-{key}.geojson"
        fresh = cached.is_file() and time.time() - cached.stat().st_mtime < self._cache_days * 86400
        return cached if fresh else download_places(bbox, self._release, cached)

    def listings_near(self, centre: Point, radius_m: float) -> SourceResult:
        path = self._places_file(centre, radius_m)
        rows = read_places(path)
        fetched_at = datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="seconds")
        listings: list[Listing] = []
        dropped: dict[str, int] = {}
        for row in rows:
            result = place_to_listing(row, self._min_confidence, fetched_at)
            if isinstance(result, str):
                dropped[result] = dropped.get(result, 0) + 1
            else:
                listings.append(result)
        return SourceResult(self.name, tuple(listings), dropped, self.attribution)
