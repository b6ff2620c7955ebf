"""The NPI registry source against a local stand-in of the NPPES API v2.1."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, FakeClock

from prospecting.classify import classify, load_rules
from prospecting.demo.server import NPI_NO_CRITERIA, NPI_TYPE_ALONE, FixtureServer, Reply, npi_handler
from prospecting.errors import BadResponse
from prospecting.http import HttpClient, HttpSettings
from prospecting.models import Point
from prospecting.sources.npi import NpiRegistry, parse_page, roll_up, zip_codes_near

Start = Callable[..., FixtureServer]
RECORDS: list[dict[str, Any]] = json.loads((FIXTURES / "npi_records.json").read_text())
CENTRE = Point(32.779, -79.937)
TAXONOMIES = ("Family Medicine", "Internal Medicine", "Naturopath")


def registry(tmp_path: Path, clock: FakeClock, url: str) -> NpiRegistry:
    settings = HttpSettings(user_agent="t (t@clinic.example)", cache_path=tmp_path / "c.sqlite", default_min_interval=0)
    return NpiRegistry(HttpClient(settings, clock=clock, sleep=clock.sleep), url, TAXONOMIES, zip_buffer_km=0)


def test_rows_roll_up_into_practices() -> None:
    dropped: dict[str, int] = {}
    listings = {x.name: x for x in roll_up(RECORDS, "2026-11-27T00:00:00+00:00", dropped)}
    assert set(listings) == {"Lowcountry Direct Primary Care PLLC", "Sarah Whitfield, N.D."}
    assert dropped == {"deactivated": 1, "no_location_address": 1}
    dpc = listings["Lowcountry Direct Primary Care PLLC"]
    assert dpc.people == ("Jane Doe, M.D.", "Marcus O'Neal, D.O.")  # three rows, one place: spellings differ
    assert dpc.address == "12 Calhoun St, Suite 200" and dpc.postcode == "29401" and dpc.phone == "843-555-0150"
    assert {"Family Medicine", "207Q00000X", "Family Medicine, Sports Medicine"} <= set(dpc.categories)
    assert dpc.location_precision == "approximate" and dpc.exact_point is None
    assert dpc.point == Point(32.7795, -79.9371)  # the centre of ZIP 29401
    assert dpc.licence.startswith("public domain") and dpc.source_id.startswith("location/")
    rules = load_rules()
    assert classify(dpc, rules).category == "direct_primary_care"  # by its registered name
    assert classify(listings["Sarah Whitfield, N.D."], rules).subcategory == "naturopathic"


def test_family_medicine_alone_is_a_candidate_not_dpc() -> None:
    solo = copy.deepcopy(RECORDS[1])
    solo["addresses"][0]["address_1"] = "5 ELSEWHERE RD"
    [listing] = roll_up([solo], "", {})
    assert listing.name == "Jane Doe, M.D."
    c = classify(listing, load_rules())
    assert (c.category, c.subcategory) == ("other", "primary_care")


def test_zip_codes_near_charleston() -> None:
    codes = [z["zip_code"] for z in zip_codes_near(CENTRE, 3)]
    assert "29401" in codes and "29402" not in codes  # 29402 is PO boxes only


def test_one_query_per_zip_and_taxonomy_then_all_from_cache(tmp_path: Path, clock: FakeClock) -> None:
    with FixtureServer(npi_handler(RECORDS)) as server:
        result = registry(tmp_path, clock, server.url + "/api/").listings_near(CENTRE, 3000)
        first_run = len(server.requests)
        zips = zip_codes_near(CENTRE, 3)
        assert first_run == len(zips) * len(TAXONOMIES)  # every answer fits in one page
        asked = server.requests[0].query
        assert asked["version"] == ["2.1"] and asked["address_purpose"] == ["LOCATION"] and asked["limit"] == ["200"]
        assert asked["postal_code"][0].endswith("*")
        assert {x.name for x in result.listings} == {"Lowcountry Direct Primary Care PLLC", "Sarah Whitfield, N.D."}
        again = registry(tmp_path, clock, server.url + "/api/").listings_near(CENTRE, 3000)
        assert len(server.requests) == first_run  # the second identical run asked nothing
        assert {x.key for x in again.listings} == {x.key for x in result.listings}


def _many(count: int) -> list[dict[str, Any]]:
    rows = []
    for n in range(count):
        row = copy.deepcopy(RECORDS[3])
        row["number"] = 1000000000 + n
        row["addresses"][0]["address_1"] = f"{n + 1} MEETING ST"
        rows.append(row)
    return rows


@pytest.mark.parametrize(("count", "pages", "capped"), [(450, 3, False), (1300, 6, True)])
def test_paging_up_to_the_registry_limit(tmp_path: Path, clock: FakeClock, count: int, pages: int, capped: bool) -> None:
    with FixtureServer(npi_handler(_many(count))) as server:
        source = NpiRegistry(registry(tmp_path, clock, server.url)._client, server.url, ("Naturopath",), zip_buffer_km=0)
        result = source.listings_near(Point(32.7795, -79.9371), 500)  # ZIP 29401 only
    skips = [r.query["skip"][0] for r in server.requests if r.query["postal_code"] == ["29401*"]]
    assert skips == [str(200 * n) for n in range(pages)]
    assert len(result.listings) == min(count, 1200)
    assert ("queries_at_row_limit" in result.dropped) is capped


@pytest.mark.parametrize("payload", [NPI_NO_CRITERIA, NPI_TYPE_ALONE])
def test_error_payloads(payload: dict[str, Any], tmp_path: Path, clock: FakeClock, scripted: Start) -> None:
    with pytest.raises(BadResponse) as caught:
        parse_page(payload)
    assert payload["Errors"][0]["number"] in str(caught.value)
    server = scripted({"/api/": [Reply(body=json.dumps(payload)), Reply(body='{"result_count": 0, "results": []}')]})
    source = NpiRegistry(registry(tmp_path, clock, server.url)._client, server.url + "/api/", ("Naturopath",), 0)
    with pytest.raises(BadResponse):
        source.listings_near(Point(32.7795, -79.9371), 500)
    assert source.listings_near(Point(32.7795, -79.9371), 500).listings == ()  # the error was not cached


def test_stand_in_refuses_like_the_registry() -> None:
    handle = npi_handler(RECORDS)
    from prospecting.demo.server import Seen

    def ask(**query: str) -> Any:
        seen = Seen("GET", "/api/", {k: [v] for k, v in query.items()}, {}, {}, 0.0)
        return json.loads(handle(seen).body)

    assert ask(version="2.1") == NPI_NO_CRITERIA
    assert ask(version="2.1", enumeration_type="NPI-1") == NPI_TYPE_ALONE
    assert ask(version="2.1", postal_code="29401*", taxonomy_description="naturopath")["result_count"] == 1
