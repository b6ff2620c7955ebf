"""The exceptions of prospecting: one root, a few kinds the command line maps to exit statuses."""

from __future__ import annotations


class ProspectingError(Exception):
    """Root of every error this library raises on purpose."""


class ConfigError(ProspectingError):
    """A clinic profile, a config file or a command-line value is wrong: the user can fix it."""


class InputError(ProspectingError):
    """An input file (CSV or GeoJSON import) cannot be read as listings."""


class GeocodeError(ProspectingError):
    """A place could not be turned into coordinates."""


class SourceError(ProspectingError):
    """A remote service did not give a usable answer."""


class RateLimited(SourceError):
    """The service asked us to slow down; `retry_after` is in seconds when it said so."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(SourceError):
    """The service could not be reached, timed out or answered 5xx until retries ran out.

    `transient` is False when waiting will not help within a run (the host name does not resolve).
    """

    def __init__(self, message: str, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient


class BadResponse(SourceError):
    """The service answered, but not with something we can use (4xx, HTML, a partial answer)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class NotAllowed(SourceError):
    """We decline to fetch this: a private address, robots.txt, not HTML, too large, not http(s)."""


class OfflineMiss(SourceError):
    """Offline mode, and the cache holds no answer for this request."""
