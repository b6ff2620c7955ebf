"""A local server that plays a source's failure modes on cue.

`FaultServer(fallback)` is a `FixtureServer` (same request log: every request as a `Seen`, with its
arrival time) whose answer for a path comes from a script set with `cue(path, *plays)`: each request
to that path takes the next play and the last one repeats. A path without a script, and the play
`HEALTHY`, get the fallback stand-in's answer (`overpass_handler()`, `npi_handler(...)`).

A play is a `Reply`, sent as it is (429 with Retry-After, 5xx, an HTML error page with any status,
an Overpass answer with a remark), or one of the faults a `Reply` cannot express: `Stall` (answer
later than the client waits), `Truncated` (declare the whole body, send part of it, close),
`HalfBody` (a well-formed answer whose JSON stops half-way), `Reset` (close the connection without
answering, with a TCP reset) and `Drip` (the body a few bytes at a time, `every` seconds apart).

Delays are the server's: waits end early when the server stops, so no test waits for them.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import struct
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from prospecting.demo.server import FixtureServer, Handler, Reply, Seen, read_request
from prospecting.resources import demo_data_dir


@dataclass(frozen=True)
class Healthy:
    """Answer as the fallback stand-in does."""


@dataclass(frozen=True)
class Stall:
    """Say nothing for `seconds`, then answer with `then` (None: the stand-in's answer)."""

    seconds: float
    then: Reply | None = None


@dataclass(frozen=True)
class Truncated:
    """Headers that declare the whole body (status 200), `fraction` of the body, then the connection closes."""

    fraction: float = 0.5
    reply: Reply | None = None  # None: the stand-in's answer


@dataclass(frozen=True)
class HalfBody:
    """A complete HTTP answer whose body is the first `fraction` of the stand-in's JSON (Content-Length matches)."""

    fraction: float = 0.5


@dataclass(frozen=True)
class Reset:
    """Read the request, then close the connection without answering (SO_LINGER 0: a TCP reset)."""


@dataclass(frozen=True)
class Drip:
    """Headers at once, then the body `size` bytes at a time, `every` seconds apart (the stand-in's answer by default)."""

    every: float
    size: int = 16
    reply: Reply | None = None


HEALTHY = Healthy()
Play = Reply | Healthy | Stall | Truncated | HalfBody | Reset | Drip


def too_many_requests(retry_after: int | str | None = 1) -> Reply:
    """429, as Overpass and the registry send it when a client asks too often."""
    headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
    return Reply(429, "<html><body><p>Too Many Requests: rate limited, slow down.</p></body></html>", headers, "text/html")


def error_page(status: int, title: str = "") -> Reply:
    """An nginx-style HTML error page (a gateway's 502/503/504, or a captive portal's 200)."""
    title = title or {200: "Service notice", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}.get(
        status, "Error"
    )
    body = f"<html>\n<head><title>{status} {title}</title></head>\n<body>\n<center><h1>{status} {title}</h1></center>\n"
    body += "<hr><center>nginx/1.18.0</center>\n</body>\n</html>\n"
    return Reply(status, body, content_type="text/html")


def overpass_remark(elements: int = 5) -> Reply:
    """Overpass's answer to a query that ran out of time: a 200 with the first elements and a `remark`."""
    sample = json.loads((demo_data_dir() / "overpass.json").read_text(encoding="utf-8"))
    sample["elements"] = sample["elements"][:elements]
    sample["remark"] = 'runtime error: Query timed out in "query" at line 3 after 91 seconds.'
    return Reply(body=json.dumps(sample))


def demo_npi_records() -> list[dict[str, Any]]:
    return list(json.loads((demo_data_dir() / "npi.json").read_text(encoding="utf-8")))


@dataclass
class Played:
    """One request and the play it got."""

    seen: Seen
    play: Play = field(default=HEALTHY)


class FaultServer(FixtureServer):
    """`with FaultServer(overpass_handler()) as server: server.cue("/api/interpreter", Reply(503), HEALTHY)`."""

    def __init__(self, fallback: Handler) -> None:
        self.fallback = fallback
        self.played: list[Played] = []
        self._scripts: dict[str, list[Play]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        super().__init__(fallback)

    def cue(self, path: str, *plays: Play) -> FaultServer:
        """Script `path`: each request takes the next play, the last one repeats (no plays: the stand-in)."""
        with self._lock:
            self._scripts[path] = list(plays)
        return self

    def seen(self, path: str | None = None) -> list[Seen]:
        """The requests that arrived (for `path`), in order of arrival."""
        with self._lock:
            return [p.seen for p in self.played if path is None or p.seen.path == path]

    def gaps(self, path: str | None = None) -> list[float]:
        """Seconds between the arrivals of consecutive requests (for `path`)."""
        times = [s.at for s in self.seen(path)]
        return [round(b - a, 3) for a, b in itertools.pairwise(times)]

    def __enter__(self) -> FaultServer:
        super().__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()  # stalls and drips end now
        super().__exit__(*exc)

    def _next(self, seen: Seen) -> Play:
        with self._lock:
            self.requests.append(seen)
            script = self._scripts.get(seen.path)
            play: Play = (script.pop(0) if len(script) > 1 else script[0]) if script else HEALTHY
            self.played.append(Played(seen, play))
        return play

    def _request_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _Request(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def _answer(self) -> None:
                seen = read_request(self)
                play = server._next(seen)
                # the client may stop waiting first (its read timeout): that is what a stall or a drip is for
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._play(play, seen)
                self.close_connection = True

            def _play(self, play: Play, seen: Seen) -> None:
                if isinstance(play, Reply):
                    self._send(play, play.body)
                elif isinstance(play, Healthy):
                    reply = server.fallback(seen)
                    self._send(reply, reply.body)
                elif isinstance(play, Stall):
                    if not server._stop.wait(play.seconds):
                        reply = play.then or server.fallback(seen)
                        self._send(reply, reply.body)
                elif isinstance(play, Truncated):
                    reply = play.reply or server.fallback(seen)
                    payload = _bytes(reply.body)
                    self._send(reply, payload[: int(len(payload) * play.fraction)], declared=len(payload))
                elif isinstance(play, HalfBody):
                    reply = server.fallback(seen)
                    payload = _bytes(reply.body)
                    self._send(reply, payload[: int(len(payload) * play.fraction)])
                elif isinstance(play, Reset):
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                elif isinstance(play, Drip):
                    reply = play.reply or server.fallback(seen)
                    payload = _bytes(reply.body)
                    self._send(reply, b"", declared=len(payload))
                    for chunk in _chunks(payload, play.size):
                        self.wfile.write(chunk)
                        if server._stop.wait(play.every):
                            return

            def _send(self, reply: Reply, payload: str | bytes, declared: int | None = None) -> None:
                data = _bytes(payload)
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(data) if declared is None else declared))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = _answer  # noqa: N815 - the names http.server dispatches to
            do_POST = _answer  # noqa: N815

        return _Request


def _bytes(body: str | bytes) -> bytes:
    return body.encode() if isinstance(body, str) else body


def _chunks(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def attempts(server: FaultServer, path: str) -> Sequence[str]:
    """The plays the requests to `path` got, by name (`Reply` as its status): what the server saw, in order."""
    names: list[str] = []
    for p in server.played:
        if p.seen.path == path:
            names.append(str(p.play.status) if isinstance(p.play, Reply) else type(p.play).__name__)
    return names
