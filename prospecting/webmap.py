"""The map of a run: `output/<clinic>/map.html`, one self-contained page.

The clinic, its search radius, and each ranked prospect as a circle coloured by category and sized
by fit score, with a popup (name, category, score, why, contact, next step). Leaflet's script and
styles (from the `django-leaflet` package, never fetched from a CDN) are inlined, so markers and
popups work with no network; OpenStreetMap's tiles load underneath when online.

Listing text never becomes markup: the rows go into the page as JSON that cannot close its script
element, and the page's script builds every popup from text nodes. A Content-Security-Policy lets
only the page's own two scripts run, so even text that slipped through could not execute.
"""

from __future__ import annotations

import base64
import hashlib
import html
import importlib.util
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from prospecting.errors import ConfigError
from prospecting.export import atomic_write_text
from prospecting.models import Point

# ColorBrewer Dark2: three hues told apart by most colour-blind readers too; anything else is grey.
CATEGORY_COLOURS = {
    "fitness": "#1b9e77",
    "direct_primary_care": "#d95f02",
    "functional_medicine": "#7570b3",
}
OTHER_COLOUR = "#737373"
CATEGORY_LABELS = {
    "fitness": "Fitness",
    "direct_primary_care": "Direct primary care",
    "functional_medicine": "Functional medicine",
}
TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
TILE_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'

# The popup's fields, in order: (row key, label). Name, category and website are laid out apart.
_TEXT_FIELDS = (
    "prospect_id",
    "name",
    "category",
    "subcategory",
    "why",
    "address",
    "phone",
    "website",
    "email",
    "instagram",
    "next_step",
)

# U+2028/2029 end a line in older JavaScript; <, > and & could end the script element or start a comment.
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def leaflet_assets() -> tuple[str, str]:
    """Leaflet's script and stylesheet as text, from the installed `django-leaflet` package.

    Found without importing the package (its `__init__` reads Django's settings).
    """
    spec = importlib.util.find_spec("leaflet")
    folder = Path(spec.origin).parent / "static" / "leaflet" if spec and spec.origin else None
    if folder is None or not (folder / "leaflet.js").is_file() or not (folder / "leaflet.css").is_file():
        raise ConfigError(
            "Leaflet's files (leaflet/static/leaflet/leaflet.js and leaflet.css from django-leaflet) are missing: "
            "reinstall prospecting (pip install -e .) to get them back"
        )
    return (folder / "leaflet.js").read_text(encoding="utf-8"), (folder / "leaflet.css").read_text(encoding="utf-8")


def script_json(data: Any) -> str:
    """JSON safe inside a `<script>` element: no `<`, `>`, `&` or line separators, so nothing in it can
    close the element; `JSON.parse` reads it back unchanged."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return "".join(_JSON_ESCAPES.get(c, c) for c in text)


def _number(value: Any) -> float | None:
    """A finite number from a cell (a float, an int or numeric text), else None."""
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    return str(value)


def _marker(row: Mapping[str, Any]) -> dict[str, Any] | None:
    """What the page needs of one row, or None when the row has no usable position."""
    latitude, longitude = _number(row.get("latitude")), _number(row.get("longitude"))
    if latitude is None or longitude is None or not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    marker: dict[str, Any] = {key: _text(row.get(key)) for key in _TEXT_FIELDS}
    rank = _number(row.get("rank"))
    marker.update(
        rank=int(rank) if rank is not None else None,
        fit_score=_number(row.get("fit_score")),
        distance_mi=_number(row.get("distance_mi")),
        latitude=latitude,
        longitude=longitude,
    )
    return marker


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def map_html(clinic: str, centre: Point, radius_km: float, rows: Sequence[Mapping[str, Any]]) -> tuple[str, int]:
    """The page, and the number of prospect markers on it."""
    if not (math.isfinite(radius_km) and radius_km > 0):
        raise ValueError(f"radius_km must be a positive number, not {radius_km!r}")
    leaflet_js, leaflet_css = leaflet_assets()
    markers = [m for m in (_marker(row) for row in rows) if m is not None]
    data = {
        "clinic": clinic,
        "centre": [centre.latitude, centre.longitude],
        "radius_m": radius_km * 1000,
        "prospects": markers,
        "without_position": len(rows) - len(markers),
        "colours": CATEGORY_COLOURS,
        "labels": CATEGORY_LABELS,
        "other_colour": OTHER_COLOUR,
        "tiles": {"url": TILE_URL, "attribution": TILE_ATTRIBUTION},
    }
    leaflet_js = "\n" + leaflet_js.strip() + "\n"
    page_js = "\n" + _PAGE_JS.strip() + "\n"
    css = "\n" + leaflet_css.strip() + "\n" + _PAGE_CSS.strip() + "\n"
    policy = "; ".join(
        (
            "default-src 'none'",
            f"script-src {_sha256(leaflet_js)} {_sha256(page_js)}",
            f"style-src {_sha256(css)}",
            "img-src https://tile.openstreetmap.org data:",
            "base-uri 'none'",
            "form-action 'none'",
        )
    )
    title = html.escape(f"Prospects near {clinic}")
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{html.escape(policy)}">
<meta name="referrer" content="strict-origin-when-cross-origin">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
<div id="map" role="application" aria-label="{title}"></div>
<noscript>This map needs JavaScript; the same prospects are in the CSV beside it.</noscript>
<script type="application/json" id="prospects">{script_json(data)}</script>
<script>{leaflet_js}</script>
<script>{page_js}</script>
</body>
</html>
"""
    return page, len(markers)


def write_map(path: Path, clinic: str, centre: Point, radius_km: float, rows: Sequence[Mapping[str, Any]]) -> int:
    """Write the map page atomically; returns the number of prospect markers on it.

    `rows` are prospect CSV rows (`export.ranked_rows`): rank, prospect_id, name, category, subcategory,
    fit_score, why, distance_mi, address, phone, website, email, instagram, latitude, longitude and
    next_step; missing keys, None and "" are blank. Rows without a latitude and longitude are left off
    the map, and a note on it counts them.
    """
    page, count = map_html(clinic, centre, radius_km, rows)
    atomic_write_text(path, page)
    return count


_PAGE_CSS = """
html, body { height: 100%; margin: 0; }
#map { position: absolute; inset: 0; }
.prospect-legend { background: rgba(255, 255, 255, 0.92); padding: 6px 9px; border-radius: 5px;
  box-shadow: 0 1px 4px rgba(0, 0, 0, 0.3); font: 12px/1.5 system-ui, sans-serif; color: #222; max-width: 260px; }
.prospect-legend h2 { font-size: 13px; margin: 0 0 4px; overflow-wrap: anywhere; }
.prospect-legend .without-position { margin-top: 4px; font-style: italic; }
.prospect-legend .swatch { display: inline-block; width: 11px; height: 11px; border-radius: 50%; margin-right: 6px;
  vertical-align: -1px; border: 1px solid #fff; box-shadow: 0 0 0 1px rgba(0, 0, 0, 0.35); }
.prospect-legend .clinic-swatch { border-radius: 2px; background: #111; }
.prospect-popup { font: 12px/1.45 system-ui, sans-serif; max-width: 280px; }
.prospect-popup h3 { font-size: 14px; margin: 0 0 2px; overflow-wrap: anywhere; }
.prospect-popup .category { color: #555; margin: 0 0 6px; }
.prospect-popup dl { margin: 0; display: grid; grid-template-columns: auto 1fr; gap: 1px 8px; }
.prospect-popup dt { font-weight: 600; color: #444; }
.prospect-popup dd { margin: 0; overflow-wrap: anywhere; white-space: pre-line; }
"""

# Builds everything from the JSON block with text nodes: no listing text is ever parsed as HTML.
# `#open=<rank>` in the address opens that prospect's popup on load.
_PAGE_JS = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("prospects").textContent);

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function words(value) { return String(value || "").replace(/_/g, " "); }
  function colour(category) {
    return Object.prototype.hasOwnProperty.call(data.colours, category) ? data.colours[category] : data.other_colour;
  }
  function safeUrl(value) {  // an http(s) address as a URL, or null: never javascript:, data: or the like
    var text = String(value || "").trim();
    if (!/^https?:\/\//i.test(text)) { return null; }
    try {
      var url = new URL(text);
      return (url.protocol === "http:" || url.protocol === "https:") ? url.href : null;
    } catch (e) { return null; }
  }

  function popup(p) {
    var box = el("div", "prospect-popup");
    box.appendChild(el("h3", "name", p.name || "(no name)"));
    box.appendChild(el("p", "category", words(p.category) + (p.subcategory ? " / " + words(p.subcategory) : "")));
    var list = el("dl");
    function row(label, value) {
      if (value === undefined || value === null || value === "") { return; }
      list.appendChild(el("dt", null, label));
      var dd = el("dd", "field-" + label.toLowerCase().replace(/[^a-z]+/g, "-"));
      if (value instanceof Node) { dd.appendChild(value); } else { dd.textContent = String(value); }
      list.appendChild(dd);
    }
    row("Rank", p.rank);
    row("Fit score", p.fit_score === null ? "" : Math.round(p.fit_score * 10) / 10);
    row("Why", p.why);
    row("Distance", p.distance_mi === null ? "" : p.distance_mi.toFixed(1) + " mi");
    row("Address", p.address);
    row("Phone", p.phone);
    var href = safeUrl(p.website);
    if (href) {
      var link = el("a", "website", p.website);
      link.href = href;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      row("Website", link);
    } else {
      row("Website", p.website);
    }
    row("Email", p.email);
    row("Instagram", p.instagram);
    row("Next step", p.next_step);
    box.appendChild(list);
    return box;
  }

  var centre = L.latLng(data.centre[0], data.centre[1]);
  var map = L.map("map", {zoomSnap: 0.25});
  map.fitBounds(centre.toBounds(2 * data.radius_m));  // the radius circle's bounds
  L.tileLayer(data.tiles.url, {maxZoom: 19, attribution: data.tiles.attribution}).addTo(map);
  L.circle(centre, {radius: data.radius_m, color: "#333", weight: 1.5, dashArray: "6 5", fillOpacity: 0.03,
    interactive: false, className: "radius-circle"}).addTo(map);

  // largest first, so smaller circles stay clickable on top of them
  var prospects = data.prospects.slice().sort(function (a, b) { return (b.fit_score || 0) - (a.fit_score || 0); });
  var byRank = {};
  prospects.forEach(function (p) {
    var score = Math.max(0, Math.min(100, p.fit_score || 0));
    var category = Object.prototype.hasOwnProperty.call(data.colours, p.category) ? p.category : "other";
    var marker = L.circleMarker([p.latitude, p.longitude], {
      radius: 5 + score / 10, color: "#ffffff", weight: 1.5, fillColor: colour(p.category), fillOpacity: 0.9,
      className: "prospect-marker category-" + category
    }).addTo(map);
    marker.bindPopup(function () { return popup(p); }, {maxWidth: 300});
    var tip = el("span", null, p.name);
    marker.bindTooltip(tip, {direction: "top", offset: [0, -4]});
    var path = marker.getElement();
    if (path && p.rank !== null) { path.setAttribute("data-rank", String(p.rank)); }
    if (p.rank !== null) { byRank[p.rank] = marker; }
  });

  var clinic = L.circleMarker(centre, {radius: 9, color: "#ffffff", weight: 3, fillColor: "#111111", fillOpacity: 1,
    className: "clinic-marker"}).addTo(map);
  clinic.bindTooltip(el("strong", null, data.clinic), {permanent: true, direction: "top", offset: [0, -8],
    className: "clinic-label"});
  clinic.bindPopup(el("div", "prospect-popup", data.clinic));

  var legend = L.control({position: "bottomright"});
  legend.onAdd = function () {
    var box = el("div", "prospect-legend");
    box.appendChild(el("h2", null, data.clinic));
    var counts = {};
    data.prospects.forEach(function (p) { counts[p.category] = (counts[p.category] || 0) + 1; });
    var clinicRow = el("div");
    clinicRow.appendChild(el("span", "swatch clinic-swatch"));
    clinicRow.appendChild(document.createTextNode("Clinic, and the search radius"));
    box.appendChild(clinicRow);
    Object.keys(data.colours).forEach(function (category) {
      var line = el("div");
      var swatch = el("span", "swatch");
      swatch.style.background = data.colours[category];
      line.appendChild(swatch);
      var label = data.labels[category] || words(category);
      line.appendChild(document.createTextNode(label + " (" + (counts[category] || 0) + ")"));
      box.appendChild(line);
    });
    var others = data.prospects.length - Object.keys(data.colours).reduce(function (n, c) { return n + (counts[c] || 0); }, 0);
    if (others > 0) {
      var line = el("div");
      var swatch = el("span", "swatch");
      swatch.style.background = data.other_colour;
      line.appendChild(swatch);
      line.appendChild(document.createTextNode("Other (" + others + ")"));
      box.appendChild(line);
    }
    box.appendChild(el("div", null, "Larger circle: higher fit score"));
    if (data.without_position > 0) {
      var one = data.without_position === 1;
      box.appendChild(el("div", "without-position", data.without_position + (one ? " prospect without a position is" :
        " prospects without a position are") + " only in the CSV"));
    }
    L.DomEvent.disableClickPropagation(box);
    return box;
  };
  legend.addTo(map);

  var wanted = /^#open=(\d+)$/.exec(window.location.hash);
  if (wanted && byRank[wanted[1]]) { byRank[wanted[1]].openPopup(); }
  document.body.setAttribute("data-markers", String(prospects.length));
}());
"""
