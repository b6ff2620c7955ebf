"""The bad-input corpus (tests/bad_inputs/): each entry gives one clear line or a counted skip, never a traceback.

`manifest.toml` says, for every entry, the command to run, the exit status, and the line expected on
stderr (or, for inputs that are read, the warnings, the rows written and what the output holds). Every
entry runs in process (click's runner); those marked `process` run again as a real `python -m
prospecting.cli`, where an escaping exception would print a traceback. A file in the corpus that no
entry names fails the walk, so the corpus cannot grow untested.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from prospecting import discovery, outreach
from prospecting.cli import cli
from prospecting.config import load_profile
from prospecting.listings_io import MAX_FILE_BYTES
from prospecting.models import Listing, Point
from prospecting.store import Store, database_url

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
ENTRIES: list[dict[str, Any]] = tomllib.loads((CORPUS / "manifest.toml").read_text(encoding="utf-8"))["entry"]
NOT_INPUTS = {"manifest.toml", "README.md", ".gitattributes"}
MADE = {"oversized", "huge_field", "huge_field_exact", "huge_notes", "huge_truth", "folder", "missing"}
STATUSES = {0, 2, 3, 4}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")

# the store `prospect sync` entries run against: two prospects, one with a stage and two dated notes
CLINIC = (
    'name = "Bad Inputs Clinic"\nlatitude = 32.7790\nlongitude = -79.9370\nradius = "5mi"\ncontact_email = "t@clinic.example"\n'
)
CENTRE = Point(32.7790, -79.9370)
YOGA, CROSSFIT = "p-16cfd29b96", "p-b8ee047d81"
STORE_NOTES = "2026-11-02: took a class\n2026-11-09: met the owner"


def _entry_id(entry: dict[str, Any]) -> str:
    return str(entry["id"])


def test_the_manifest_covers_every_corpus_file_and_is_well_formed() -> None:
    ids = [e["id"] for e in ENTRIES]
    assert len(ids) == len(set(ids)), "entry ids repeat"
    assert len(ENTRIES) >= 40
    named: set[str] = set()
    for e in ENTRIES:
        assert ("file" in e) != ("make" in e), f"{e['id']}: give either file or make"
        assert e.get("make", "folder") in MADE, f"{e['id']}: unknown make {e.get('make')!r}"
        assert e["status"] in STATUSES, f"{e['id']}: status {e['status']}"
        assert ("error" in e) == (e["status"] in (2, 3)), f"{e['id']}: an error line goes with status 2 or 3"
        if e["status"] == 0 and "{out}" in e["args"]:
            assert "rows" in e, f"{e['id']}: a command that writes {{out}} and succeeds needs rows"
        if "file" in e:
            named.add(e["file"])
        named.update(m for a in e["args"] for m in re.findall(r"\{corpus\}/([^\s]+)", a))
    on_disk = {str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*") if p.is_file() and p.name not in NOT_INPUTS}
    assert sorted(on_disk - named) == [], "corpus files no manifest entry runs"
    assert sorted(named - on_disk) == [], "manifest entries naming files that are not in the corpus"


def test_the_readme_lists_the_groups_and_exit_statuses() -> None:
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    for folder in ("profiles/", "listings/", "sheets/", "matching/"):
        assert folder in readme
    for status in STATUSES:
        assert f"`{status}`" in readme


@pytest.fixture(scope="module")
def store_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An output folder whose store knows two prospects (ids from osm node/1 and node/2); copied per entry."""
    folder = tmp_path_factory.mktemp("sync-store")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("PROSPECTING_DB_URL", raising=False)
        patch.chdir(folder)
        profile = load_profile(_write_clinic(folder))
        listings = [
            Listing("osm", "node/1", "King Street Yoga House", 32.7817, -79.9370, categories=("sport=yoga",)),
            Listing("osm", "node/2", "CrossFit Holy City", 32.7844, -79.9370, categories=("sport=crossfit",)),
        ]
        prospects = discovery.match_listings(discovery.classify_listings(listings))
        ranked = discovery.rank_partners(prospects, profile, CENTRE)
        run_id = discovery.begin_run(profile, "", "2026-11-02", {})
        discovery.remember(profile, run_id, "", "2026-11-02", prospects, ranked, {"osm"})
        discovery.finish_run(profile, run_id, {"status": "complete", "sources": {"osm": {"status": "ok"}}})
        with Store(database_url(profile.output_dir)) as store:
            assert {r["prospect_id"] for r in store.prospect_rows(profile.slug)} == {YOGA, CROSSFIT}
            outreach.mark(store, profile.slug, YOGA, "customer", date(2026, 11, 2), note="took a class")
            outreach.mark(store, profile.slug, YOGA, "rapport", date(2026, 11, 9), note="met the owner")
            assert store.outreach(profile.slug)[YOGA].notes == STORE_NOTES
    yield folder / "out"


def _write_clinic(folder: Path) -> Path:
    path = folder / "clinic.toml"
    path.write_text(CLINIC + f'output_dir = "{(folder / "out").as_posix()}"\n', encoding="utf-8")
    return path


def _make(kind: str, folder: Path) -> Path:
    """An input made at run time: too large to keep in the repository, or not a file at all."""
    if kind == "oversized":
        path = folder / "oversized.csv"
        with path.open("wb") as f:
            f.write(b"id,name\n1,King Street Yoga House\n")
            f.truncate(MAX_FILE_BYTES + 1)  # sparse: no disk is used, the size check comes first
    elif kind in ("huge_field", "huge_field_exact"):
        path = folder / f"{kind}.csv"
        blank = "\n" if kind == "huge_field_exact" else ""  # a blank line sends the file to the exact parser
        path.write_text(
            "id,name,latitude,longitude\n"
            f"1,King Street Yoga House {'Y' * 1_000_000},32.7801,-79.9365\n{blank}"
            "2,CrossFit Holy City,32.7845,-79.9412\n",
            encoding="utf-8",
        )
    elif kind == "huge_notes":
        path = folder / "huge_notes.csv"
        path.write_text(
            f"rank,prospect_id,name,stage,notes,stage_updated\n2,{CROSSFIT},CrossFit Holy City,customer,{'n' * 200_000},\n",
            encoding="utf-8",
        )
    elif kind == "huge_truth":
        path = folder / "huge_truth.csv"
        path.write_text(f"source,id,entity\nosm,1,{'y' * 200_000}\nosm,2,b\nosm,3,c\n", encoding="utf-8")
    elif kind == "folder":
        path = folder / "folder"
        path.mkdir()
    else:
        path = folder / "missing.csv"
    return path


def _prepare(entry: dict[str, Any], folder: Path, store: Path | None) -> list[str]:
    """The entry's command line, its input and output folder made in `folder`."""
    source = CORPUS / entry["file"] if "file" in entry else _make(entry["make"], folder)
    clinic = ""
    if store is not None:  # the clinic's output folder, with a copy of the store: a sync changes only its own
        shutil.copytree(store, folder / "out")
        clinic = str(_write_clinic(folder))
    else:
        (folder / "out").mkdir()
    values = {"file": str(source), "out": str(folder / "out" / "out.csv"), "corpus": str(CORPUS), "clinic": clinic}
    return [re.sub(r"\{(file|out|corpus|clinic)\}", lambda m: values[m.group(1)], a) for a in entry["args"]]


def _uses_store(entry: dict[str, Any]) -> bool:
    return any("{clinic}" in a for a in entry["args"])


def _check(entry: dict[str, Any], code: int, stdout: str, stderr: str, folder: Path) -> None:
    where = f"{entry['id']}: exit {code}\n--- stdout\n{stdout[:2000]}\n--- stderr\n{stderr[:2000]}"
    assert "Traceback" not in stdout + stderr, where
    assert "internal error" not in stderr, where
    assert code == entry["status"], where
    lines = stderr.splitlines()
    if entry.get("usage"):  # click's own check of an option: its usage block, one `Error:` line
        errors = [line for line in lines if line.startswith("Error: ")]
        assert len(errors) == 1 and entry["error"] in errors[0], where
    elif "error" in entry:
        assert len(lines) == 1 and lines[0].startswith("prospect: ") and entry["error"] in lines[0], where
        assert stdout == "", where
    else:
        assert all(line.startswith(("warning: ", "conflict: ")) for line in lines), where
        for expected in entry.get("warnings", []):
            assert any(expected in line for line in lines), f"{where}\nexpected warning: {expected}"
        if not entry.get("warnings"):
            assert stderr == "", where
    if "stdout" in entry:
        assert entry["stdout"] in stdout, where
    if not _uses_store(entry) and "{out}" in entry["args"]:
        _check_output(entry, folder / "out", where)
    if "store_notes" in entry:
        with Store(database_url(folder / "out")) as store:
            notes = {pid: o.notes for pid, o in store.outreach("bad-inputs-clinic").items()}
        for pid, expected in entry["store_notes"].items():
            assert notes.get(pid, "") == expected, where


def _check_output(entry: dict[str, Any], out: Path, where: str) -> None:
    """A failed command leaves nothing (no half-written file, no temporary one); a finished one a whole CSV."""
    written = sorted(p.name for p in out.iterdir())
    if entry["status"] != 0:
        assert written == [], f"{where}\nleft behind: {written}"
        return
    assert written == ["out.csv"], f"{where}\nwritten: {written}"
    text = (out / "out.csv").read_text(encoding="utf-8")
    limit = csv.field_size_limit(len(text) + 1)  # the 1 MB cell entries
    try:
        rows = list(csv.DictReader(io.StringIO(text, newline=""), strict=True))
    finally:
        csv.field_size_limit(limit)
    assert len(rows) == entry["rows"], where
    for row in rows:
        assert None not in row and None not in row.values(), f"{where}\nragged output row: {row}"
        for cell in row.values():
            assert not cell.startswith(FORMULA_START) or NUMBER.match(cell), f"{where}\na formula cell: {cell[:80]!r}"
    for expected in entry.get("out_contains", []):
        assert expected in text, f"{where}\nnot in the output: {expected!r}"
    for unexpected in entry.get("out_lacks", []):
        assert unexpected not in text, f"{where}\nin the output: {unexpected!r}"


@pytest.mark.parametrize("entry", ENTRIES, ids=_entry_id)
def test_entry(entry: dict[str, Any], tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROSPECTING_DB_URL", raising=False)
    store = request.getfixturevalue("store_folder") if _uses_store(entry) else None
    args = _prepare(entry, tmp_path, store)
    result = CliRunner().invoke(cli, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), f"{entry['id']}: {result.exception!r}"
    _check(entry, result.exit_code, result.stdout, result.stderr, tmp_path)


PROCESS = [e for e in ENTRIES if e.get("process")]


@pytest.fixture(scope="module")
def processes(tmp_path_factory: pytest.TempPathFactory, store_folder: Path) -> dict[str, tuple[Path, int, str, str]]:
    """Every `process` entry run as `python -m prospecting.cli`, several at once (each start imports numpy,
    pyarrow...): entry id -> (its folder, exit status, stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if k != "PROSPECTING_DB_URL"}

    def run(entry: dict[str, Any]) -> tuple[Path, int, str, str]:
        folder = tmp_path_factory.mktemp(entry["id"])
        args = _prepare(entry, folder, store_folder if _uses_store(entry) else None)
        done = subprocess.run(
            [sys.executable, "-m", "prospecting.cli", *args],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=300,
            check=False,
        )
        return folder, done.returncode, done.stdout, done.stderr

    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        return dict(zip((e["id"] for e in PROCESS), pool.map(run, PROCESS), strict=True))


@pytest.mark.parametrize("entry", PROCESS, ids=_entry_id)
def test_entry_as_a_process(entry: dict[str, Any], processes: dict[str, tuple[Path, int, str, str]]) -> None:
    folder, code, stdout, stderr = processes[entry["id"]]
    _check(entry, code, stdout, stderr, folder)
