"""Overture places from a downloaded file, in both schemas, GeoJSON and GeoParquet."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from conftest import FIXTURES

from prospecting.classify import classify, load_rules
from prospecting.errors import BadResponse
from prospecting.models import Point
from prospecting.sources.overture import OverturePlaces, bbox_around, point_from_wkb

CENTRE = Point(32.779, -79.937)


def test_old_schema() -> None:
    result = OverturePlaces(FIXTURES / "overture_old_schema.geojson", 0.3).listings_near(CENTRE, 8000)
    assert result.dropped == {"low_confidence": 1, "no_coordinates": 1}
    yoga, plaza = result.listings
    assert (yoga.name, yoga.latitude, yoga.longitude) == ("King Street Yoga House", 32.7818, -79.9377)
    assert yoga.categories == ("yoga_studio", "gym", "meditation_center")
    assert yoga.phone == "+18435550146" and yoga.facebook.endswith("/kingstreetyogahouse") and yoga.address == "276 King St"
    assert yoga.licence == "CDLA-Permissive-2.0"  # no licence on the record: the dataset's
    assert plaza.licence == "Apache-2.0"
    rules = load_rules()
    assert classify(yoga, rules).subcategory == "yoga"
    assert classify(plaza, rules).category == "other"  # a shopping centre filed under gym


def test_2026_schema() -> None:
    result = OverturePlaces(FIXTURES / "overture_2026_schema.geojson", 0.3).listings_near(CENTRE, 8000)
    assert result.dropped == {"permanently_closed": 1}
    by_name = {x.name: x for x in result.listings}
    dpc = by_name["Lowcountry Direct Primary Care"]
    assert dpc.categories == ("family_practice", "health_care", "primary_care_or_general_clinic", "concierge_medicine")
    assert dpc.instagram.endswith("/lowcountrydpc") and dpc.email == "hello@lowcountrydpc.example"
    assert by_name["Serenity Reiki Studio"].licence == "Apache-2.0 + CDLA-Permissive-2.0"
    assert by_name["Harbor Pilates"].brand == "Harbor Pilates"
    assert by_name["Harbor Pilates"].categories[0] == "pilates_studio"  # taxonomy flattened to JSON text still reads
    rules = load_rules()
    assert classify(by_name["Serenity Reiki Studio"], rules).subcategory == "not_a_partner"
    assert classify(dpc, rules).category == "direct_primary_care"


def _wkb_point(lon: float, lat: float) -> bytes:
    return struct.pack("<BIdd", 1, 1, lon, lat)


def test_geoparquet(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    features = json.loads((FIXTURES / "overture_2026_schema.geojson").read_text())["features"]
    rows = [{**f["properties"], "geometry": _wkb_point(*f["geometry"]["coordinates"])} for f in features]
    for row in rows:
        row["taxonomy"] = json.dumps(row["taxonomy"]) if isinstance(row["taxonomy"], dict) else row["taxonomy"]
        for key in ("names", "brand", "addresses", "sources", "websites", "socials", "emails", "phones"):
            row[key] = json.dumps(row.get(key))
    path = tmp_path / "places.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    result = OverturePlaces(path, 0.3).listings_near(CENTRE, 8000)
    assert [x.name for x in result.listings] == ["Lowcountry Direct Primary Care", "Serenity Reiki Studio", "Harbor Pilates"]
    assert result.listings[0].latitude == pytest.approx(32.7857)


def test_wkb_and_bbox() -> None:
    assert point_from_wkb(_wkb_point(-79.9, 32.7)) == (-79.9, 32.7)
    assert point_from_wkb(struct.pack(">BIdd", 0, 1, -79.9, 32.7)) == (-79.9, 32.7)
    assert point_from_wkb(struct.pack("<BI", 1, 3)) is None
    west, south, east, north = bbox_around(CENTRE, 8000)
    assert south < CENTRE.latitude < north and west < CENTRE.longitude < east
    assert north - south == pytest.approx(0.1437, abs=0.001)


def test_bad_files(tmp_path: Path) -> None:
    broken = tmp_path / "b.geojson"
    broken.write_text("{not json")
    with pytest.raises(BadResponse, match="malformed JSON"):
        OverturePlaces(broken, 0.3).listings_near(CENTRE, 8000)
    with pytest.raises(BadResponse, match="file not found"):
        OverturePlaces(tmp_path / "none.geojson", 0.3).listings_near(CENTRE, 8000)


def test_download_by_bounding_box_through_overturemaps(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without a file, places come from `overturemaps.record_batch_reader` (the optional extra)."""
    import sys
    import types

    features = json.loads((FIXTURES / "overture_2026_schema.geojson").read_text())["features"]
    rows = [{**f["properties"], "geometry": _wkb_point(*f["geometry"]["coordinates"])} for f in features]
    asked: list[tuple[str, tuple[float, ...], str | None]] = []

    class Batch:
        def to_pylist(self) -> list[dict[str, object]]:
            return rows

    def record_batch_reader(kind: str, bbox: tuple[float, ...], release: str | None) -> list[Batch]:
        asked.append((kind, bbox, release))
        return [Batch()]

    monkeypatch.setitem(sys.modules, "overturemaps", types.SimpleNamespace(record_batch_reader=record_batch_reader))
    source = OverturePlaces(None, 0.3, release="2026-11-19.0", cache_dir=tmp_path)
    result = source.listings_near(CENTRE, 8000)
    assert asked == [("place", bbox_around(CENTRE, 8000), "2026-11-19.0")]
    assert len(result.listings) == 3 and result.dropped == {"permanently_closed": 1}
    assert result.listings[0].latitude == pytest.approx(32.7857)
    again = OverturePlaces(None, 0.3, release="2026-11-19.0", cache_dir=tmp_path).listings_near(CENTRE, 8000)
    assert len(asked) == 1 and [x.key for x in again.listings] == [x.key for x in result.listings]  # kept download


def test_download_without_the_extra_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "overturemaps", None)  # as if not installed
    with pytest.raises(BadResponse, match=r"pip install \.\[overture\]"):
        OverturePlaces(None, 0.3, cache_dir=tmp_path).listings_near(CENTRE, 8000)
