"""The enrich stage: read each listing's website and attach what it says as facts.

E-mail, Instagram and Facebook found on the site fill the listing's empty contact fields; every
fact stays attached for classification and evidence. A site that could not be read leaves its
reason in `website_error`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from urllib.parse import urlsplit

from prospecting.crawl import Crawler, Site
from prospecting.extract import Vocabulary, site_facts
from prospecting.models import Fact, Listing


def _email(facts: Sequence[Fact], website: str) -> str:
    """The site's own address first (info@its-domain), then any."""
    domain = (urlsplit(website if "://" in website else f"https://{website}").hostname or "").removeprefix("www.")
    emails = [f.value for f in facts if f.kind == "email"]
    return next((e for e in emails if domain and e.lower().endswith("@" + domain)), emails[0] if emails else "")


def _social(facts: Sequence[Fact], network: str) -> str:
    return next((f.quote for f in facts if f.kind == "social" and f.value == network), "")


def with_site(listing: Listing, site: Site | None, vocabulary: Vocabulary) -> Listing:
    if site is None:
        return listing
    facts = site_facts([(page.path, page.html) for page in site.pages], vocabulary)
    return replace(
        listing,
        facts=facts,
        website_error=site.error,
        email=listing.email or _email(facts, listing.website),
        instagram=listing.instagram or _social(facts, "instagram"),
        facebook=listing.facebook or _social(facts, "facebook"),
    )


def enrich_listings(listings: Sequence[Listing], crawler: Crawler, vocabulary: Vocabulary | None = None) -> list[Listing]:
    vocabulary = vocabulary or Vocabulary.load()
    sites = crawler.crawl(x.website for x in listings if x.website)
    return [with_site(x, sites.get(x.website), vocabulary) for x in listings]
