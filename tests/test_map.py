"""The map page: hostile listing text stays text, and the page really draws in a browser.

The browser tests run Debian's `chromium` headless on the written file, with every host name
unresolvable (no network: the tiles just fail), and read back a screenshot and the DOM after the
page's scripts ran. Without `chromium` on PATH they are skipped, unless CI_REQUIRE_CHROMIUM=1
(`.ci/run` sets it), when they fail.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag

from prospecting import webmap
from prospecting.errors import ConfigError
from prospecting.models import Point
from prospecting.webmap import CATEGORY_COLOURS, script_json, write_map

CENTRE = Point(32.7765, -79.9311)
RADIUS_KM = 8.0
SCRIPT_NAME = "<script>alert(1)</script>"
FORMULA_NAME = "=cmd|' /C calc'!A0"
IMG_NAME = "<img src=x onerror=\"document.body.setAttribute('data-pwned', '1')\">"
BREAKOUT_WHY = "</script><script>document.body.setAttribute('data-pwned', '1')</script><!--"
CATEGORIES = ("fitness", "direct_primary_care", "functional_medicine")


def _rows() -> list[dict[str, Any]]:
    """12 prospects on a ring around the centre, the hostile ones ranked first, and 2 without a position."""
    names = [SCRIPT_NAME, FORMULA_NAME, IMG_NAME] + [f"Prospect {i} & Sons" for i in range(4, 13)]
    rows: list[dict[str, Any]] = []
    for i, name in enumerate(names):
        ring = 0.025 if i % 2 else 0.045  # degrees: well inside the 8 km radius
        angle = i * 30
        rows.append(
            {
                "rank": i + 1,
                "prospect_id": f"p{i + 1}",
                "name": name,
                "category": CATEGORIES[i % 3],
                "subcategory": "crossfit_box" if i % 3 == 0 else "",
                "fit_score": 95.0 - 6 * i,
                "why": BREAKOUT_WHY if i == 0 else f"{i} km away; member programme",
                "distance_mi": 1.5 + i / 10,
                "address": "1 King St <b>bold</b>",
                "phone": "+1 843-555-0101",
                "website": "javascript:alert(1)" if i == 0 else ("https://example.com/a?b=1&c=<2>" if i == 1 else ""),
                "email": "hi@example.com" if i == 1 else None,
                "instagram": "",
                "latitude": CENTRE.latitude + ring * math.cos(math.radians(angle)),
                "longitude": CENTRE.longitude + ring * math.sin(math.radians(angle)),
                "next_step": "Call & ask for the owner",
            }
        )
    rows.append({"rank": 13, "name": "No place", "category": "fitness", "fit_score": 40.0, "latitude": None, "longitude": None})
    rows.append({"rank": 14, "name": "Blank place", "category": "fitness", "fit_score": 30.0, "latitude": "", "longitude": ""})
    return rows


def _located(rows: Sequence[Mapping[str, Any]]) -> int:
    return sum(1 for r in rows if r.get("latitude") not in (None, "") and r.get("longitude") not in (None, ""))


def _data(page: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="prospects">(.*?)</script>', page, re.S)
    assert match, "no JSON block"
    data: dict[str, Any] = json.loads(match.group(1))
    return data


# --- the page as text ----------------------------------------------------------------------------


def test_hostile_text_is_inert_in_the_page(tmp_path: Path) -> None:
    rows = _rows()
    path = tmp_path / "map.html"
    assert write_map(path, 'Clinic <b>"One"</b> & Co', CENTRE, RADIUS_KM, rows) == _located(rows) == 12
    page = path.read_text(encoding="utf-8")

    assert SCRIPT_NAME not in page
    assert "<img" not in page
    assert BREAKOUT_WHY not in page
    assert page.count("<script") == 3  # the JSON block, Leaflet, the page's own script
    assert page.count("</script>") == 3
    assert "<title>Prospects near Clinic &lt;b&gt;&quot;One&quot;&lt;/b&gt; &amp; Co</title>" in page

    data = _data(page)
    assert [p["name"] for p in data["prospects"]] == [r["name"] for r in rows[:12]]
    assert data["prospects"][0]["why"] == BREAKOUT_WHY
    assert data["prospects"][1]["name"] == FORMULA_NAME  # text as it is: it is never a spreadsheet cell here
    assert data["prospects"][0]["website"] == "javascript:alert(1)"  # kept as text; the page links http(s) only
    assert data["clinic"] == 'Clinic <b>"One"</b> & Co'
    assert data["without_position"] == 2


def test_the_page_script_never_parses_data_as_html() -> None:
    js = webmap._PAGE_JS
    assert "innerHTML" not in js
    assert "insertAdjacentHTML" not in js
    assert "document.write" not in js
    assert "textContent" in js
    # links come only from safeUrl, which accepts http(s) addresses only
    assert js.count(".href =") == 1
    assert "link.href = href;" in js
    assert "var href = safeUrl(p.website);" in js
    assert r"if (!/^https?:\/\//i.test(text)) { return null; }" in js
    assert 'url.protocol === "http:" || url.protocol === "https:"' in js


@pytest.mark.parametrize(
    "value",
    ["</script><script>x</script>", "<!-- -->", "a & b", "\u2028\u2029", "<\u2028>&", {"k": ["</SCRIPT>", 1.5]}],
)
def test_script_json_cannot_close_its_element(value: Any) -> None:
    text = script_json(value)
    assert not set(text) & {"<", ">", "&", "\u2028", "\u2029"}
    assert json.loads(text) == value


def test_offline_assets_and_tiles(tmp_path: Path) -> None:
    path = tmp_path / "map.html"
    write_map(path, "Clinic", CENTRE, RADIUS_KM, _rows())
    page = path.read_text(encoding="utf-8")
    assert "Leaflet 1.9" in page.split("<script>", 1)[1][:200]  # the licence comment, at the top of the script
    assert ".leaflet-container" in page  # the styles, inlined
    assert not re.search(r"<(script|link)[^>]*\b(src|href)=", page)  # nothing fetched for the map to work
    data = _data(page)
    assert data["tiles"]["url"] == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert "OpenStreetMap</a> contributors" in data["tiles"]["attribution"]
    assert data["radius_m"] == RADIUS_KM * 1000
    assert data["centre"] == [CENTRE.latitude, CENTRE.longitude]


def test_rows_without_a_usable_position_are_counted_not_drawn(tmp_path: Path) -> None:
    rows: list[dict[str, Any]] = [
        {"name": "ok", "latitude": 32.8, "longitude": -79.9, "fit_score": 50.0},
        {"name": "text ok", "latitude": "32.8", "longitude": "-79.9", "fit_score": ""},
        {"name": "nan", "latitude": float("nan"), "longitude": -79.9},
        {"name": "words", "latitude": "north", "longitude": "west"},
        {"name": "off the earth", "latitude": 95.0, "longitude": -79.9},
        {"name": "no keys"},
    ]
    path = tmp_path / "out" / "clinic" / "map.html"
    assert write_map(path, "Clinic", CENTRE, RADIUS_KM, rows) == 2
    data = _data(path.read_text(encoding="utf-8"))
    assert [p["name"] for p in data["prospects"]] == ["ok", "text ok"]
    assert data["prospects"][1]["fit_score"] is None
    assert data["without_position"] == 4
    assert [p.name for p in path.parent.iterdir()] == ["map.html"]  # written whole, no temporary file left


def test_missing_leaflet_is_a_config_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(webmap.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ConfigError, match="reinstall"):
        write_map(tmp_path / "map.html", "Clinic", CENTRE, RADIUS_KM, [])
    assert not (tmp_path / "map.html").exists()


def test_a_radius_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="radius_km"):
        write_map(tmp_path / "map.html", "Clinic", CENTRE, 0.0, [])


# --- the page in a browser -----------------------------------------------------------------------


@pytest.fixture
def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        if os.environ.get("CI_REQUIRE_CHROMIUM") == "1":
            pytest.fail("chromium is not on PATH but CI_REQUIRE_CHROMIUM=1: the map's browser test is required")
        pytest.skip("chromium is not on PATH (Debian: apt-get install chromium; .ci/run installs it)")
    return found


def _run_chromium(chromium: str, tmp_path: Path, url: str, *action: str) -> subprocess.CompletedProcess[str]:
    """One headless Chromium run on `url`; `action` is --screenshot=... or --dump-dom.

    --virtual-time-budget lets the page's scripts and timers run to completion before the
    screenshot or the dump, without waiting in real time; the host resolver rule makes every
    network request fail at once, so nothing leaves the machine (the tiles simply do not load).
    """
    command = [
        chromium,
        "--headless",
        "--no-sandbox",  # root in CI containers
        "--disable-gpu",
        "--disable-dev-shm-usage",  # small /dev/shm in containers
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--window-size=1000,800",
        "--hide-scrollbars",
        "--virtual-time-budget=5000",
        *action,
        url,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, f"chromium exited {result.returncode}: {result.stderr[-2000:]}"
    return result


def _dom(chromium: str, tmp_path: Path, path: Path, fragment: str = "") -> BeautifulSoup:
    result = _run_chromium(chromium, tmp_path, path.as_uri() + fragment, "--dump-dom")
    return BeautifulSoup(result.stdout, "html.parser")


def _blended(colour: str, opacity: float = 0.9, background: int = 0xD8) -> tuple[int, int, int]:
    """A marker's fill as drawn over the map's grey (Leaflet's #ddd under the radius circle's faint fill)."""
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    r, g, b = (round(opacity * c + (1 - opacity) * background) for c in rgb)
    return r, g, b


def test_map_draws_in_headless_chromium(chromium: str, tmp_path: Path) -> None:
    from PIL import Image

    rows = _rows()
    path = tmp_path / "out" / "map.html"
    markers = write_map(path, "Clinic <b>One</b>", CENTRE, RADIUS_KM, rows)
    assert markers == 12

    screenshot = tmp_path / "map.png"
    _run_chromium(chromium, tmp_path, path.as_uri(), f"--screenshot={screenshot}")
    assert screenshot.is_file()
    with Image.open(screenshot) as image:
        assert image.size == (1000, 800)
        pixels = image.convert("RGB")
        colours = pixels.getcolors(maxcolors=1_000_000)
    assert colours is not None
    assert len(colours) > 50, f"the screenshot looks blank: {len(colours)} colours"
    counts = {rgb: n for n, rgb in colours}
    for category, colour in CATEGORY_COLOURS.items():
        want = _blended(colour)
        near = sum(n for rgb, n in counts.items() if max(abs(a - b) for a, b in zip(rgb, want, strict=True)) <= 12)
        assert near > 100, f"no {category} marker ({colour}, drawn as about {want}) in the screenshot"
    dark = sum(n for rgb, n in counts.items() if max(rgb) < 40)
    assert dark > 100, "no clinic marker (black) in the screenshot"

    dom = _dom(chromium, tmp_path, path)
    body = dom.body
    assert isinstance(body, Tag)
    assert body.get("data-markers") == "12", "the page's script did not run to its end"
    drawn = dom.select("path.prospect-marker.leaflet-interactive")
    assert len(drawn) == _located(rows) == 12
    assert sorted(int(str(p["data-rank"])) for p in drawn) == list(range(1, 13))
    for category in CATEGORIES:
        assert len(dom.select(f"path.prospect-marker.category-{category}")) == 4
    assert len(dom.select("path.clinic-marker")) == 1
    assert len(dom.select("path.radius-circle")) == 1
    assert dom.select_one(".clinic-label") is not None
    assert dom.select_one(".clinic-label").get_text() == "Clinic <b>One</b>"  # type: ignore[union-attr]
    legend = dom.select_one(".prospect-legend")
    assert legend is not None
    assert "2 prospects without a position are only in the CSV" in legend.get_text()
    assert "Fitness (4)" in legend.get_text()
    attribution = dom.select_one(".leaflet-control-attribution")
    assert attribution is not None
    assert "© OpenStreetMap contributors" in attribution.get_text()
    assert attribution.select_one('a[href="https://www.openstreetmap.org/copyright"]') is not None

    # nothing hostile ran or became markup
    assert body.get("data-pwned") is None
    assert len(dom.find_all("script")) == 3
    assert [img for img in dom.find_all("img") if "leaflet-tile" not in (img.get("class") or [])] == []
    assert not any(str(a.get("href", "")).lower().startswith("javascript:") for a in dom.find_all("a"))


def test_popups_show_listing_text_as_text(chromium: str, tmp_path: Path) -> None:
    rows = _rows()
    path = tmp_path / "map.html"
    write_map(path, "Clinic", CENTRE, RADIUS_KM, rows)

    # the best prospect: a script tag for a name, a javascript: website, a why that tries to close the script
    dom = _dom(chromium, tmp_path, path, "#open=1")
    popup = dom.select_one(".leaflet-popup-content .prospect-popup")
    assert popup is not None, "the popup did not open"
    assert popup.select_one("h3.name").get_text() == SCRIPT_NAME  # type: ignore[union-attr]
    assert popup.select_one(".field-why").get_text() == BREAKOUT_WHY  # type: ignore[union-attr]
    assert popup.select_one(".field-website").get_text() == "javascript:alert(1)"  # type: ignore[union-attr]
    assert popup.find("a") is None, "a javascript: website became a link"
    assert popup.select_one(".field-fit-score").get_text() == "95"  # type: ignore[union-attr]
    assert popup.select_one(".field-next-step").get_text() == "Call & ask for the owner"  # type: ignore[union-attr]
    assert popup.select_one(".category").get_text() == "fitness / crossfit box"  # type: ignore[union-attr]
    assert popup.find("script") is None and popup.find("b") is None
    body = dom.body
    assert isinstance(body, Tag)
    assert body.get("data-pwned") is None
    assert len(dom.find_all("script")) == 3

    # the formula name stays text; an https website is a link that opens apart from the map
    dom = _dom(chromium, tmp_path, path, "#open=2")
    popup = dom.select_one(".leaflet-popup-content .prospect-popup")
    assert popup is not None
    assert popup.select_one("h3.name").get_text() == FORMULA_NAME  # type: ignore[union-attr]
    links = popup.find_all("a")
    assert len(links) == 1
    assert links[0]["href"] == "https://example.com/a?b=1&c=%3C2%3E"
    assert links[0].get_text() == "https://example.com/a?b=1&c=<2>"
    assert links[0]["rel"] == ["noopener", "noreferrer"]
    assert popup.select_one(".field-email").get_text() == "hi@example.com"  # type: ignore[union-attr]

    dom = _dom(chromium, tmp_path, path, "#open=3")
    popup = dom.select_one(".leaflet-popup-content .prospect-popup")
    assert popup is not None
    assert popup.select_one("h3.name").get_text() == IMG_NAME  # type: ignore[union-attr]
    assert popup.find("img") is None
    assert dom.body.get("data-pwned") is None  # type: ignore[union-attr]


def test_the_pages_policy_runs_only_its_own_scripts(chromium: str, tmp_path: Path) -> None:
    """Defence in depth: a script that is not one of the page's own (say, text that escaped) is refused."""
    path = tmp_path / "map.html"
    write_map(path, "Clinic", CENTRE, RADIUS_KM, _rows())
    page = path.read_text(encoding="utf-8")
    foreign = "<script>document.body.setAttribute('data-pwned', '1')</script>\n</body>"
    path.write_text(page.replace("</body>", foreign, 1), encoding="utf-8")
    body = _dom(chromium, tmp_path, path).body
    assert isinstance(body, Tag)
    assert body.get("data-markers") == "12"  # the page's own scripts ran
    assert body.get("data-pwned") is None  # the stranger did not
