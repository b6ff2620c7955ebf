"""Listing sources, one module each, behind `Source`; `SOURCES` maps profile names to classes."""

from __future__ import annotations

from prospecting.sources.base import Source
from prospecting.sources.file import FileImport
from prospecting.sources.npi import NpiRegistry
from prospecting.sources.osm import Overpass
from prospecting.sources.overture import OverturePlaces

SOURCES: dict[str, type[Source]] = {s.name: s for s in (Overpass, NpiRegistry, OverturePlaces, FileImport)}

__all__ = ["SOURCES", "FileImport", "NpiRegistry", "Overpass", "OverturePlaces", "Source"]
