"""A small HTTP server on 127.0.0.1 that answers like a public service, from local data.

The demo uses it to play Overpass and Nominatim with the bundled sample area, so the demo goes
through the real HTTP client and source adapters with no network. Tests use it to play those
services' failure modes. Every request it sees is recorded in `requests`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from prospecting.resources import demo_data_dir


@dataclass(frozen=True)
class Seen:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]
    headers: dict[str, str]
    at: float


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: str | bytes = ""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


Handler = Callable[[Seen], Reply]


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # many clients at once (the crawler runs 8 threads): no refused connections
    daemon_threads = True


def read_request(request: BaseHTTPRequestHandler) -> Seen:
    """What a server saw of one request: method, path, query, form body, headers, arrival time."""
    parts = urlsplit(request.path)
    length = int(request.headers.get("Content-Length") or 0)
    body = request.rfile.read(length).decode("utf-8", "replace") if length else ""
    return Seen(
        method=request.command,
        path=parts.path,
        query=parse_qs(parts.query),
        form=parse_qs(body),
        headers=dict(request.headers.items()),
        at=time.monotonic(),
    )


class FixtureServer:
    """`with FixtureServer(handler) as server: server.url` -> "http://127.0.0.1:PORT"."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[Seen] = []
        self._httpd = _Server(("127.0.0.1", 0), self._request_class())
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FixtureServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _request_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _Request(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def _answer(self) -> None:
                seen = read_request(self)
                server.requests.append(seen)
                reply = server.handler(seen)
                payload = reply.body.encode() if isinstance(reply.body, str) else reply.body
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(payload)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = _answer  # noqa: N815 - the names http.server dispatches to
            do_POST = _answer  # noqa: N815

        return _Request


OVERPASS_SYNTAX_ERROR = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n<html><head><title>OSM3S Response</title></head>'
    '<body><p><strong style="color:#FF0000">Error</strong>: line 1: parse error: Unknown type "nwrx" </p></body></html>'
)


NOT_FOUND = Reply(404, "<html><body>Not found</body></html>", content_type="text/html")


def overpass_handler(data_dir: Path | None = None) -> Handler:
    """Overpass as it answers for the demo area (Charleston, SC): any radius query gets the sample."""
    answer = ((data_dir or demo_data_dir()) / "overpass.json").read_text(encoding="utf-8")

    def handle(seen: Seen) -> Reply:
        if not seen.path.endswith("/api/interpreter"):
            return NOT_FOUND
        query = (seen.form.get("data") or seen.query.get("data") or [""])[0]
        if "[out:json]" in query and "around:" in query:
            return Reply(body=answer)
        return Reply(400, OVERPASS_SYNTAX_ERROR, content_type="text/html; charset=utf-8")

    return handle


def nominatim_handler(data_dir: Path | None = None) -> Handler:
    """Nominatim's /search for the demo area: only the demo clinic's address is known."""
    answer = json.loads(((data_dir or demo_data_dir()) / "nominatim_search.json").read_text(encoding="utf-8"))

    def handle(seen: Seen) -> Reply:
        if not seen.path.endswith("/search"):
            return NOT_FOUND
        found = "145 king street" in (seen.query.get("q") or [""])[0].lower()
        return Reply(body=json.dumps(answer if found else []))

    return handle


def demo_handler(data_dir: Path | None = None) -> Handler:
    """Overpass and Nominatim on one server (the tests' stand-in for the map services)."""
    overpass, nominatim = overpass_handler(data_dir), nominatim_handler(data_dir)
    return lambda seen: nominatim(seen) if seen.path.endswith("/search") else overpass(seen)


NPI_NO_CRITERIA = {"Errors": [{"description": "No valid search criteria provided", "field": "generic", "number": "04"}]}
NPI_TYPE_ALONE = {
    "Errors": [{"description": "enumeration_type requires additional search criteria", "field": "generic", "number": "09"}]
}
_NPI_CRITERIA = ("number", "postal_code", "taxonomy_description", "first_name", "last_name", "organization_name", "city")


def npi_handler(records: list[dict[str, Any]]) -> Handler:
    """The NPPES API v2.1 over a list of registry records: its filters, paging and error payloads."""

    def matches(record: dict[str, Any], postal: str, taxonomy: str, purpose: str) -> bool:
        addresses = [a for a in record.get("addresses", []) if not purpose or a.get("address_purpose") == purpose]
        if postal and not any(str(a.get("postal_code", "")).startswith(postal.rstrip("*")) for a in addresses):
            return False
        if taxonomy:
            wanted = taxonomy.lower()
            descs = [str(t.get("desc", "")).lower() for t in record.get("taxonomies", [])]
            if wanted.endswith("*"):
                return any(d.startswith(wanted[:-1]) for d in descs)
            return wanted in descs
        return True

    def handle(seen: Seen) -> Reply:
        q = {k: v[0] for k, v in seen.query.items()}
        if not any(q.get(k) for k in _NPI_CRITERIA):
            return Reply(body=json.dumps(NPI_TYPE_ALONE if q.get("enumeration_type") else NPI_NO_CRITERIA))
        limit, skip = int(q.get("limit", "10")), int(q.get("skip", "0"))
        if limit > 200 or skip > 1000:
            return Reply(
                body=json.dumps({"Errors": [{"description": "Field limit/skip out of range", "field": "limit", "number": "06"}]})
            )
        found = [
            r
            for r in records
            if matches(r, q.get("postal_code", ""), q.get("taxonomy_description", ""), q.get("address_purpose", ""))
        ]
        page = found[skip : skip + limit]
        return Reply(body=json.dumps({"result_count": len(page), "results": page}))

    return handle


def site_handler(root: Path) -> Handler:
    """Websites from `root/<host>/<path>`, chosen by the Host header: `/about` is `about.html`,
    a path ending in `/` is that folder's `index.html`, `/robots.txt` is `robots.txt`."""

    def handle(seen: Seen) -> Reply:
        host = (seen.headers.get("Host") or "").split(":")[0].lower()
        folder = (root / host).resolve()
        relative = seen.path.lstrip("/")
        candidates = (
            [folder / relative / "index.html"] if seen.path.endswith("/") else [folder / relative, folder / f"{relative}.html"]
        )
        for candidate in candidates:
            if candidate.is_file() and folder in candidate.resolve().parents:
                kind = "text/plain" if candidate.suffix == ".txt" else "text/html; charset=utf-8"
                return Reply(body=candidate.read_bytes(), content_type=kind)
        return NOT_FOUND

    return handle
