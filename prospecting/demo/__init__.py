"""The bundled demo area (Charleston, SC; fictional businesses) and its local stand-in services.

`demo_services()` starts one local server per service (Overpass, Nominatim, the NPI registry, and
one for the businesses' websites, chosen by host name), each answering in that service's real
format from `data/`, and yields the profile settings that point the sources and the crawler at
them, so the demo runs the same client, adapters, crawler and flow as a real run, with no network.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from prospecting.demo.server import FixtureServer, nominatim_handler, npi_handler, overpass_handler, site_handler
from prospecting.resources import demo_data_dir

DEMO_SOURCES = ["osm", "npi", "overture"]


@contextmanager
def demo_services() -> Iterator[dict[str, Any]]:
    data = demo_data_dir()
    with ExitStack() as stack:
        overpass = stack.enter_context(FixtureServer(overpass_handler(data)))
        nominatim = stack.enter_context(FixtureServer(nominatim_handler(data)))
        records = json.loads((data / "npi.json").read_text(encoding="utf-8"))
        npi = stack.enter_context(FixtureServer(npi_handler(records)))
        sites = stack.enter_context(FixtureServer(site_handler(data / "sites")))
        local = sites.url.split("://", 1)[1]
        yield {
            "sources": DEMO_SOURCES,
            "overpass.endpoints": [f"{overpass.url}/api/interpreter"],
            "nominatim.url": nominatim.url,
            "npi.url": f"{npi.url}/api/",
            "overture.file": str(data / "overture_places.geojson"),
            "http.min_interval": 0,  # local stand-ins: no one to be polite to (Nominatim still 1 request/s)
            "crawl.min_interval": 0,
            "crawl.resolve": {host.name: local for host in (data / "sites").iterdir() if host.is_dir()},
        }
