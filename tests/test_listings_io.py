"""Reading listing files: the Arrow parser and the exact parser agree, and odd files take the exact one."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from prospecting.listings_io import _arrow_csv, _csv_rows, read_table, table_listings

CELL = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(CELL, CELL, CELL), min_size=1, max_size=8))
def test_arrow_and_exact_parsers_agree(rows: list[tuple[str, str, str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["name", "address", "phone"])
    writer.writerows(rows)
    text = buffer.getvalue()
    fast = _arrow_csv(text.encode())
    columns, exact_rows, _ = _csv_rows(Path("x.csv"), text)
    if fast is None:  # declined (e.g. a blank-looking row): the exact parser reads it, nothing is lost
        return
    assert fast.column_names == columns
    assert [list(r) for r in zip(*(c.to_pylist() for c in fast.columns), strict=True)] == exact_rows


def test_ragged_rows_and_cells_over_lines_take_the_exact_parser(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        'name,address,phone\nA Yoga,"12 King St\nSuite 2",843-555-0101\nB Gym,5 Meeting St\nC Pilates,1 Broad St,1,extra\n'
    )
    table = read_table(path)
    assert list(table.lines) == [2, 4, 5]  # the second row starts on line 4: the first spans two
    listings = table_listings(table)
    assert [x.name for x in listings] == ["A Yoga", "B Gym", "C Pilates"]
    assert listings[0].address == "12 King St\nSuite 2" and listings[1].phone == "" and listings[2].phone == "1"


def test_a_plain_file_reads_through_arrow_with_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_bytes("\ufeffName,Lat,Lng\nCafé Barre,32.78,-79.93\nZed Gym,north,-79.9\n".encode())
    assert _arrow_csv(path.read_bytes()) is not None
    table = read_table(path)
    assert list(table.lines) == [2, 3]
    listings = table_listings(table)
    assert listings[0].name == "Café Barre" and listings[0].latitude == 32.78
    assert listings[1].latitude is None and table.skipped == {"unreadable coordinates (kept without)": 1}
