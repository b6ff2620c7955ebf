"""The interface every listing source implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar

from prospecting.http import HttpClient
from prospecting.models import Point, SourceResult

if TYPE_CHECKING:
    from prospecting.config import ClinicProfile


class Source(ABC):
    """A place listings come from: builds its requests, parses its answers into Listings.

    `name` is the id used in profiles and in `source:id` keys; `licence` and `attribution`
    travel with every listing and into the exports.
    """

    name: ClassVar[str]
    licence: ClassVar[str]
    attribution: ClassVar[str]
    summary: ClassVar[str]  # what it finds, for `prospect sources`
    needs: ClassVar[str] = "nothing (no key)"

    @classmethod
    @abstractmethod
    def from_profile(cls, profile: ClinicProfile, client: HttpClient) -> Source:
        """Build the source with the profile's settings for it."""

    @abstractmethod
    def listings_near(self, centre: Point, radius_m: float) -> SourceResult:
        """Every listing of this source within `radius_m` metres of `centre`, or raise SourceError."""
