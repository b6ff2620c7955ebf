"""Listings the user brings: CSV or GeoJSON exports (map scrapers, directories, their own lists).

The files are named in the profile (`[file] paths`); their columns are read with the aliases of
`listings_io`. Rows placed outside the radius are dropped later like any source's; rows without
coordinates are kept, to be matched by name, phone and address.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from prospecting.errors import BadResponse, InputError
from prospecting.http import HttpClient
from prospecting.listings_io import read_table, table_listings
from prospecting.models import Listing, Point, SourceResult
from prospecting.sources.base import Source

if TYPE_CHECKING:
    from prospecting.config import ClinicProfile


log = logging.getLogger(__name__)


class FileImport(Source):
    name: ClassVar[str] = "file"
    licence: ClassVar[str] = "user-supplied"
    attribution: ClassVar[str] = "imported files"
    summary: ClassVar[str] = "your CSV or GeoJSON files: map-scraper exports, directory lists, your own"
    needs: ClassVar[str] = "[file] paths in the profile, or --sources file:PATH"

    def __init__(self, paths: tuple[Path, ...], licence: str) -> None:
        self._paths = paths
        self._licence = licence

    @classmethod
    def from_profile(cls, profile: ClinicProfile, client: HttpClient) -> FileImport:
        return cls(profile.import_files, profile.import_licence)

    def listings_near(self, centre: Point, radius_m: float) -> SourceResult:
        if not self._paths:
            raise BadResponse("no files to import (expected [file] paths in the profile)")
        listings: list[Listing] = []
        dropped: dict[str, int] = {}
        for path in self._paths:
            try:
                table = read_table(path)
            except InputError as e:
                raise BadResponse(str(e)) from e
            fetched_at = datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="seconds")
            for warning in table.warnings:
                log.warning("%s", warning)
            for line, listing in zip(table.lines, table_listings(table), strict=True):
                if not listing.name:
                    log.warning("%s: line %d: no name, skipped", path, line)
                    dropped["unnamed"] = dropped.get("unnamed", 0) + 1
                    continue
                listings.append(replace(listing, fetched_at=fetched_at, licence=self._licence))
            for reason, count in table.skipped.items():
                dropped[reason] = dropped.get(reason, 0) + count
        return SourceResult(self.name, tuple(listings), dropped, f"imported files ({self._licence})")
