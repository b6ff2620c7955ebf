"""Security: credentials never shown, unsafe addresses refused by name or number, importers fuzzed."""

from __future__ import annotations

import logging
import socket
from pathlib import Path
from typing import Any

import pytest
from conftest import FakeClock
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prospecting.demo.server import FixtureServer, Reply
from prospecting.errors import InputError, NotAllowed, SourceError
from prospecting.http import HttpClient, HttpSettings, check_public_host, redact
from prospecting.listings_io import read_table, table_listings

SECRET = "s3cr3t-KEY-value"


def test_credentials_are_redacted_from_errors_logs_and_the_cache(
    tmp_path: Path, clock: FakeClock, scripted: Any, caplog: pytest.LogCaptureFixture
) -> None:
    server: FixtureServer = scripted({"/api": [Reply(503, f"bad key {SECRET}? api_key={SECRET}")]})
    client = HttpClient(HttpSettings(user_agent="t", cache_path=tmp_path / "cache.sqlite", max_retries=1), clock, clock.sleep)
    with caplog.at_level(logging.DEBUG), pytest.raises(SourceError) as failure:
        client.get(f"{server.url}/api", params={"q": "gyms", "api_key": SECRET})
    client.close()
    assert "api_key=***" in str(failure.value) and SECRET not in str(failure.value)
    assert caplog.records and all(SECRET not in r.getMessage() for r in caplog.records)
    assert SECRET not in (tmp_path / "cache.sqlite").read_bytes().decode("latin-1")
    assert redact(f"https://x.example/q?token={SECRET}&q=1") == "https://x.example/q?token=***&q=1"


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("metadata.cloud.example.com", "169.254.169.254"),
        ("intranet.example.com", "10.20.30.40"),
        ("router.example.com", "192.168.1.1"),
        ("loopback.example.com", "127.0.0.1"),
        ("v6.example.com", "::1"),
        ("mapped.example.com", "::ffff:127.0.0.1"),
    ],
)
def test_a_name_that_resolves_to_an_unsafe_address_is_refused(host: str, address: str, monkeypatch: pytest.MonkeyPatch) -> None:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET

    def resolve(name: str, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:  # DNS is the outside world
        assert name == host
        return [(family, socket.SOCK_STREAM, 6, "", (address, 0))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(NotAllowed, match="not a public address"):
        check_public_host(host)


@pytest.mark.parametrize("number", ["2130706433", "0x7f000001", "127.1", "0177.0.0.1"])
def test_numeric_spellings_of_loopback_are_refused(number: str) -> None:
    with pytest.raises(NotAllowed):
        check_public_host(number)


CSV_TEXT = st.text(alphabet=st.sampled_from(list('ab,;"\n\r\t=+-@<>é\x00 0123456789.')), max_size=300)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.sampled_from(["name,latitude,longitude,phone\n", "title,lat,lng\n", "", "name\n"]), body=CSV_TEXT)
def test_the_importer_reads_or_says_why(tmp_path: Path, header: str, body: str) -> None:
    path = tmp_path / "fuzz.csv"
    path.write_bytes((header + body).encode("utf-8", "surrogatepass"))
    try:
        table = read_table(path)
    except InputError as e:
        assert str(e).startswith(str(path)) and "\n" not in str(e)
        return
    listings = table_listings(table)
    assert len(listings) == len(table)
    for x in listings:
        assert x.latitude is None or -90 <= x.latitude <= 90
        assert x.longitude is None or -180 <= x.longitude <= 180


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200))
def test_arbitrary_bytes_never_crash_the_importer(tmp_path: Path, raw: bytes) -> None:
    for suffix in (".csv", ".geojson"):
        path = tmp_path / f"fuzz{suffix}"
        path.write_bytes(raw)
        try:
            table_listings(read_table(path))
        except InputError as e:
            assert "\n" not in str(e)
