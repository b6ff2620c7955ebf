"""Stable prospect ids: the bridge from source records keeps ids through re-runs, merges and splits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from prospecting.store import Store


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store(db_url) as opened:
        yield opened


def test_same_clusters_keep_their_ids_and_first_seen(store: Store) -> None:
    clusters = [["osm:node/1", "npi:location/a"], ["osm:way/2"]]
    first = store.identities(clusters, "2026-11-01")
    again = store.identities([["osm:way/2"], ["npi:location/a", "osm:node/1"]], "2026-11-08")
    assert [i.prospect_id for i in again] == [first[1].prospect_id, first[0].prospect_id]
    assert all(i.new for i in first) and not any(i.new for i in again)
    assert {i.first_seen for i in again} == {"2026-11-01"}
    assert first[0].prospect_id != first[1].prospect_id


def test_a_merge_keeps_the_older_id(store: Store) -> None:
    old = store.identities([["osm:node/1"]], "2026-11-01")[0].prospect_id
    newer = store.identities([["overture:x"]], "2026-11-08")[0].prospect_id
    merged = store.identities([["overture:x", "osm:node/1", "npi:location/a"]], "2026-11-15")[0]
    assert merged.prospect_id == old and merged.first_seen == "2026-11-01" and not merged.new
    assert store.lineage() == [(newer, old, "merged_into")]


def test_a_split_leaves_the_id_with_the_larger_part(store: Store) -> None:
    before = store.identities([["osm:node/1", "overture:a", "npi:location/b"]], "2026-11-01")[0].prospect_id
    kept, off = store.identities([["npi:location/b"], ["osm:node/1", "overture:a"]], "2026-11-08")
    assert off.prospect_id == before
    assert kept.prospect_id != before and kept.first_seen == "2026-11-01" and not kept.new
    assert store.lineage() == [(before, kept.prospect_id, "split_off")]
    # the split part keeps its new id on the next run
    assert store.identities([["npi:location/b"]], "2026-11-15")[0].prospect_id == kept.prospect_id


def test_many_records(store: Store) -> None:
    clusters = [[f"osm:node/{n}", f"overture:{n}"] for n in range(3000)]  # more keys than one IN (...) holds
    first = [i.prospect_id for i in store.identities(clusters, "2026-11-01")]
    assert len(set(first)) == 3000
    assert [i.prospect_id for i in store.identities(clusters, "2026-11-08")] == first


def test_a_version_1_file_is_backed_up_then_migrated(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "prospecting.db"
    with sqlite3.connect(path) as conn:  # the first store: the bridge and lineage, no version table
        conn.execute(
            "CREATE TABLE source_records (record_key VARCHAR(300) PRIMARY KEY, prospect_id VARCHAR(40) NOT NULL,"
            " first_seen VARCHAR(10) NOT NULL, last_seen VARCHAR(10) NOT NULL)"
        )
        conn.execute("INSERT INTO source_records VALUES ('osm:node/1', 'p-0123456789', '2026-10-01', '2026-10-01')")
    with Store(f"sqlite:///{path}") as store:
        assert store.identities([["osm:node/1"]], "2026-11-01")[0].prospect_id == "p-0123456789"
        assert store.integrity_problems() == []
    backups = list(tmp_path.glob("prospecting.db.v1-*.bak"))
    assert len(backups) == 1
    with sqlite3.connect(backups[0]) as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")] == ["source_records"]
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(2,)]
    Store(f"sqlite:///{path}").close()  # opening a current file again makes no new backup
    assert len(list(tmp_path.glob("prospecting.db.v1-*.bak"))) == 1


def test_workers_starting_together_on_new_sqlite_files(tmp_path: Path) -> None:
    # Turning a new file to WAL races with the others' first connection; SQLite answered "database
    # is locked" at once in about one start in ten. Many starts, so that a regression shows.
    import threading

    errors: list[BaseException] = []

    def open_one(url: str, start: threading.Barrier) -> None:
        start.wait()
        try:
            Store(url).close()
        except BaseException as e:
            errors.append(e)

    for trial in range(100):
        url, start = f"sqlite:///{tmp_path / f'{trial}.db'}", threading.Barrier(4)
        threads = [threading.Thread(target=open_one, args=(url, start)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []


def test_stores_opened_at_once_on_an_empty_database_take_turns(db_url: str) -> None:
    import threading

    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def open_one() -> None:
        start.wait()
        try:
            Store(db_url).close()
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with Store(db_url) as store:
        assert store.integrity_problems() == []
