"""benchmarks/public_sets.py reads each public benchmark's own format (tiny files written here in
those formats: the benchmarks themselves are not in the repository) and scores `prospect dedupe`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import public_sets


def test_fodors_zagat_rows_are_numbered_as_the_gold_file_numbers_them(tmp_path: Path) -> None:
    (tmp_path / "restaurant.csv").write_text(
        '"name","addr","city","phone","type","class"\n'
        '"arnie morton\'s of chicago","435 s. la cienega blv.","los angeles","310/246-1501","american"," \'0\'"\n'
        '"arnie morton\'s of chicago","435 s. la cienega blvd.","los angeles","310-246-1501","steakhouses"," \'0\'"\n'
        '"art\'s delicatessen","12224 ventura blvd.","studio city","818/762-1221","american"," \'1\'"\n'
        '"campanile","624 s. la brea ave.","los angeles","213/938-1447",," \'2\'"\n',
        encoding="utf-8",
    )
    # the gold file is as published: quoted header, then unquoted rows with spaces
    (tmp_path / "restaurant_gold.csv").write_text('"class","id_1","id_2"\n\'0\', 1, 2\n', encoding="utf-8")
    name, counts = public_sets.fodors_zagat(tmp_path, show_mistakes=False)
    assert (name, counts.true, counts.found, counts.both) == ("fodors_zagat", 1, 1, 1)


def test_foursquare_locu_scores_cross_source_pairs(tmp_path: Path) -> None:
    def venue(key: str, name: str, lat: float, phone: str = "") -> dict[str, object]:
        return {"id": key, "latitude": lat, "longitude": -73.985, "name": name, "phone": phone,
                "postal_code": "10010", "street_address": "", "website": ""}  # fmt: skip

    locu = [venue("l1", "chipotle mexican grill", 40.7398, "2126736904"), venue("l2", "tonalli cafe bar", 40.7450)]
    four = [venue("f1", "Chipotle Mexican Grill", 40.7399, "(212) 673-6904"), venue("f2", "Joe's Pizza", 40.7500)]
    (tmp_path / "lc_clean.json").write_text(json.dumps(locu), encoding="utf-8")
    (tmp_path / "fs_clean.json").write_text(json.dumps(four), encoding="utf-8")
    (tmp_path / "matches_train.csv").write_text("locu_id,foursquare_id\nl1,f1\nl2,f2\n", encoding="utf-8")
    _, counts = public_sets.foursquare_locu(tmp_path, show_mistakes=False)
    assert (counts.true, counts.found, counts.both) == (2, 1, 1)  # l2/f2 are labelled one venue but share nothing


def test_geoer_lines_become_two_sources_and_the_street_number_goes_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def side(name: str, lat: float, address: str = "", postcode: str = "") -> str:
        fields = {"name": name, "latitude": lat, "longitude": -79.942, "address": f"{address} ", "postalCode": postcode}
        return "".join(f"COL {key} VAL {value} " for key, value in fields.items())

    medexpress = side("MedExpress", 40.45598, "Baum Boulevard, 5201", "15224")
    assert public_sets.geoer_record(medexpress)["address"] == "5201 Baum Boulevard"
    lines = [
        f"{medexpress}\t{side('MedExpress Urgent Care', 40.45618, '5201 Baum Blvd.', '15224')}\t1",
        f"{medexpress}\t{side('Meineke Car Care Center', 40.47017, 'Washington Blvd', '15208.0')}\t0",
        f"{side('Panther Hall', 40.44498)}\t{side('Panther Hollow Lot', 40.44040, '8 Boundary Street', '15260')}\t0",
    ]
    path = tmp_path / "osm_fsq" / "pit" / "test.txt"
    path.parent.mkdir(parents=True)
    path.write_bytes("\r\n".join(lines).encode() + b"\r\n")  # as published: CRLF line ends
    name, counts = public_sets.geoer(path, show_mistakes=False)
    assert (name, counts.true, counts.found, counts.both) == ("geoer_osm_fsq_pit", 1, 1, 1)
    # the thresholds fitted to the file's labelled pairs, then used by dedupe
    fitted = tmp_path / "fitted.toml"
    public_sets.fit_geoer([path], fitted)
    assert fitted.read_text().startswith("[link]\nnear_m = ")
    assert public_sets.geoer(path, show_mistakes=False, matching=fitted)[1] == counts
    # as the defaults were made: pooled with the stand-in sets
    public_sets.fit_geoer([path], fitted, stand_ins=True)
    assert "and 3 stand-in sets" in capsys.readouterr().out
