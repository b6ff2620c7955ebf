"""Export: formula cells neutralised, atomic writes that never leave half a file."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prospecting.export import PROSPECT_COLUMNS, neutralise, write_csv


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil.example")', '\'=HYPERLINK("http://evil.example")'),
        ("+1 843-555-0101", "'+1 843-555-0101"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("\rReturn", "'\rReturn"),
        ("-79.937", "-79.937"),
        (-79.937, "-79.937"),
        ("Plain Yoga", "Plain Yoga"),
        (None, ""),
        (float("nan"), ""),
    ],
)
def test_neutralise(value: object, cell: str) -> None:
    assert neutralise(value) == cell


def test_written_cells_are_inert(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    write_csv(path, ["name", "longitude"], [{"name": "=1+2", "longitude": -79.9}])
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert rows == [{"name": "'=1+2", "longitude": "-79.9"}]


def test_interrupted_write_leaves_previous_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "prospects-latest.csv"
    write_csv(path, PROSPECT_COLUMNS, [{"rank": 1, "name": "Old"}])
    before = path.read_bytes()

    def rows_then_crash():  # type: ignore[no-untyped-def]
        yield {"rank": 1, "name": "New"}
        raise KeyboardInterrupt  # a user's Ctrl-C halfway through

    with pytest.raises(KeyboardInterrupt):
        write_csv(path, PROSPECT_COLUMNS, rows_then_crash())
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["prospects-latest.csv"]  # no temporary file left


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("=+-@\t\r0123456789.eE ab|'!(")), max_size=12), min_size=1, max_size=20))
def test_the_column_neutraliser_agrees_with_the_cell_one(cells: list[str]) -> None:
    import pyarrow as pa

    from prospecting.export import neutralise, neutralise_column

    column = pa.chunked_array([pa.array(cells, pa.string())])
    assert neutralise_column(column).to_pylist() == [neutralise(c) for c in cells]
