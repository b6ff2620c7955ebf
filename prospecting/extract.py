"""What a web page says about a business, as facts with the page they came from.

Contacts (e-mails, including `name [at] domain [dot] com`; phones; social profiles), schema.org
JSON-LD types, the title and description, booking and practice platforms recognised by the
domains they link to, and text signals (regular expressions from `config/categories.toml`:
"direct primary care", "membership $79/month", "we accept most insurance", "root cause"...).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bs4 import BeautifulSoup

from prospecting.errors import ConfigError
from prospecting.models import Fact
from prospecting.resources import config_dir, config_table

SOCIAL_HOSTS = {
    "instagram.com": "instagram",
    "facebook.com": "facebook",
    "fb.com": "facebook",
    "linkedin.com": "linkedin",
    "tiktok.com": "tiktok",
    "youtube.com": "youtube",
    "youtu.be": "youtube",
}
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
_OBFUSCATED = re.compile(
    r"\b([A-Za-z0-9._%+-]+)\s*[\[(\{]\s*at\s*[\])\}]\s*([A-Za-z0-9-]+(?:\s*[\[(\{]\s*dot\s*[\])\}]\s*[A-Za-z0-9-]+)+)", re.I
)
_DOT = re.compile(r"\s*[\[(\{]\s*dot\s*[\])\}]\s*", re.I)
_PHONE = re.compile(r"(?<!\d)(?:\+?1[\s.-]?)?\(?([2-9]\d{2})\)?[\s.-]?(\d{3})[\s.-]?(\d{4})(?!\d)")
_IMAGE_EMAIL = re.compile(r"\.(png|jpe?g|gif|svg|webp)$", re.I)


@dataclass(frozen=True)
class Signal:
    id: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class Platform:
    id: str
    name: str
    domains: tuple[str, ...]


@dataclass(frozen=True)
class Vocabulary:
    """The signals and platforms to look for; data in config/categories.toml."""

    signals: tuple[Signal, ...]
    platforms: tuple[Platform, ...]
    terms: tuple[str, ...] = ()  # niche keywords of config/niches.toml, noted where a page uses them

    @classmethod
    def load(cls, table: Mapping[str, Any] | None = None) -> Vocabulary:
        table = config_table("categories") if table is None else table
        where = config_dir() / "categories.toml"
        signals = []
        for n, raw in enumerate(table.get("signal", [])):
            try:
                signals.append(Signal(str(raw["id"]), re.compile(str(raw["pattern"]), re.IGNORECASE)))
            except (KeyError, re.error) as e:
                raise ConfigError(f"{where}: signal[{n}]: {e} (expected id and a valid pattern)") from e
        platforms = [
            Platform(str(raw["id"]), str(raw.get("name", raw["id"])), tuple(raw.get("domains", [])))
            for raw in table.get("platform", [])
        ]
        niches = config_table("niches").get("niches", {})
        terms = sorted({str(k).lower() for niche in niches.values() for k in niche.get("keywords", [])})
        return cls(tuple(signals), tuple(platforms), tuple(terms))


def _quote(text: str, start: int, end: int, width: int = 40) -> str:
    """The matched text with a little context, on one line."""
    left = text.rfind(" ", 0, max(0, start - width)) + 1 if start > width else 0
    right = text.find(" ", min(len(text), end + width))
    excerpt = text[left : right if right != -1 else len(text)]
    return " ".join(excerpt.split())


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().removeprefix("www.").removeprefix("m.")


def _jsonld_nodes(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _jsonld_nodes(item)
    elif isinstance(data, dict):
        yield data
        yield from _jsonld_nodes(data.get("@graph", []))


def page_facts(html: str, path: str, vocabulary: Vocabulary) -> list[Fact]:
    """Every fact one HTML page states."""
    soup = BeautifulSoup(html, "html.parser")
    facts: list[Fact] = []
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    if title:
        facts.append(Fact("title", title[:200], path, title[:200]))
    meta = soup.find("meta", attrs={"name": re.compile("^description$", re.I)})
    description = str(meta.get("content") or "").strip() if meta else ""
    if description:
        facts.append(Fact("description", description[:300], path, description[:300]))

    for script in soup.find_all("script", attrs={"type": re.compile("ld\\+json", re.I)}):
        try:
            data = json.loads(script.string or "")
        except ValueError:
            continue
        for node in _jsonld_nodes(data):
            kinds = node.get("@type") or []
            for kind in kinds if isinstance(kinds, list) else [kinds]:
                facts.append(Fact("jsonld", str(kind), path, f"schema.org {kind}"))
            for key, kind in (("email", "email"), ("telephone", "phone")):
                if isinstance(node.get(key), str) and node[key].strip():
                    facts.append(Fact(kind, node[key].strip().removeprefix("mailto:"), path, f"schema.org {key}"))
        script.decompose()

    links = [str(a.get("href") or "") for a in soup.find_all("a")]
    sources = links + [str(tag.get("src") or "") for tag in soup.find_all(["script", "iframe", "img"])]
    for href in links:
        if href.lower().startswith("mailto:"):
            address = href[7:].split("?")[0].strip()
            if address:
                facts.append(Fact("email", address, path, "mailto link"))
        elif href.lower().startswith("tel:"):
            facts.append(Fact("phone", href[4:].strip(), path, "tel link"))
        elif (network := SOCIAL_HOSTS.get(_host(href))) and urlsplit(href).path.strip("/"):
            facts.append(Fact("social", network, path, href))
    for platform in vocabulary.platforms:
        hit = next((u for u in sources if any(_host(u) == d or _host(u).endswith("." + d) for d in platform.domains)), None)
        if hit:
            facts.append(Fact("platform", platform.id, path, f"{platform.name} link {hit[:80]}"))

    for tag in soup(["script", "style", "noscript"]):
        tag.decompose()
    text = " ".join(soup.get_text(" ").split())
    for m in _EMAIL.finditer(text):
        if not _IMAGE_EMAIL.search(m.group(0)):
            facts.append(Fact("email", m.group(0), path, "page text"))
    for m in _OBFUSCATED.finditer(text):
        facts.append(Fact("email", f"{m.group(1)}@{_DOT.sub('.', m.group(2))}".lower(), path, m.group(0)))
    for m in _PHONE.finditer(text):
        facts.append(Fact("phone", f"({m.group(1)}) {m.group(2)}-{m.group(3)}", path, m.group(0)))
    lowered = text.lower()
    for term in vocabulary.terms:
        found_at = re.search(rf"\b{re.escape(term)}\b", lowered)
        if found_at:
            facts.append(Fact("term", term, path, _quote(text, found_at.start(), found_at.end())))
    for signal in vocabulary.signals:
        found = signal.pattern.search(text)
        if found:
            facts.append(Fact("signal", signal.id, path, _quote(text, found.start(), found.end())))
    return _unique(facts)


def _unique(facts: Sequence[Fact]) -> list[Fact]:
    seen: set[tuple[str, str]] = set()
    kept = []
    for fact in facts:
        key = (fact.kind, fact.value.lower())
        if key not in seen:
            seen.add(key)
            kept.append(fact)
    return kept


def site_facts(pages: Sequence[tuple[str, str]], vocabulary: Vocabulary) -> tuple[Fact, ...]:
    """Facts of a whole site from (path, html) pages, each fact once, from the first page that says it."""
    return tuple(_unique([fact for path, html in pages for fact in page_facts(html, path, vocabulary)]))
