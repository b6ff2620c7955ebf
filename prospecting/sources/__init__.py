"""Listing sources, one module each, behind `Source`; `SOURCES` maps profile names to classes."""

from __future__ import annotations

from prospecting.sources.base import Source
from prospecting.sources.dpc_frontier import DpcFrontier
from prospecting.sources.file import FileImport
from prospecting.sources.npi import NpiRegistry
from prospecting.sources.osm import Overpass
from prospecting.sources.overture import OverturePlaces

SOURCES: dict[str, type[Source]] = {s.name: s for s in (Overpass, NpiRegistry, OverturePlaces, DpcFrontier, FileImport)}

__all__ = ["SOURCES", "DpcFrontier", "FileImport", "NpiRegistry", "Overpass", "OverturePlaces", "Source"]
