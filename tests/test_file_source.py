"""The file source: user-supplied CSV/GeoJSON listings behind the same interface."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES

from prospecting.errors import BadResponse
from prospecting.models import Point
from prospecting.sources.file import FileImport


def test_reads_scraper_export_with_licence() -> None:
    result = FileImport((FIXTURES / "scraper_export.csv",), "scraped").listings_near(Point(32.78, -79.93), 8000)
    assert len(result.listings) == 6
    first = result.listings[0]
    assert (first.source, first.source_id, first.name) == ("scraper_export", "1", "King Street Yoga House")
    assert first.website == "https://www.kingstreetyoga.example/" and first.categories == ("Yoga studio",)
    assert first.licence == "scraped" and first.fetched_at


def test_unnamed_rows_and_bad_coordinates_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("name,lat,lng\nA,32.7,-79.9\n,32.7,-79.9\nB,abc,-79.9\nC,95,-79.9\n")
    result = FileImport((path,), "mine").listings_near(Point(32.78, -79.93), 8000)
    assert [x.name for x in result.listings] == ["A", "B", "C"]
    assert result.listings[1].point is None and result.listings[2].point is None
    assert result.dropped == {"unnamed": 1, "unreadable coordinates (kept without)": 2}


def test_missing_file_is_a_source_failure(tmp_path: Path) -> None:
    with pytest.raises(BadResponse) as caught:
        FileImport((tmp_path / "gone.csv",), "x").listings_near(Point(0, 0), 1000)
    assert "gone.csv: file not found" in str(caught.value)
