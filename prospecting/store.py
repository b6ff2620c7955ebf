"""What runs remember: which source records make which prospect, so a prospect keeps its id.

SQLAlchemy over SQLite at `<output_dir>/prospecting.db` by default, or any database named by
`PROSPECTING_DB_URL` (PostgreSQL for agencies). The bridge table maps every source record
(`source:id`) to its prospect. When this run's clusters disagree with the last ones, the older id
survives: a merge keeps the oldest of the merged ids, a split leaves the id with the part that
holds most of its old records and gives the other part a new one; both are recorded in
`prospect_lineage`.
"""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Column, Connection, Engine, MetaData, String, Table, create_engine, insert, select, update

metadata = MetaData()
source_records = Table(
    "source_records",
    metadata,
    Column("record_key", String(300), primary_key=True),  # source:id
    Column("prospect_id", String(40), nullable=False, index=True),
    Column("first_seen", String(10), nullable=False),
    Column("last_seen", String(10), nullable=False),
)
prospect_lineage = Table(
    "prospect_lineage",
    metadata,
    Column("old_id", String(40), primary_key=True),
    Column("new_id", String(40), primary_key=True),
    Column("kind", String(20), nullable=False),  # merged_into | split_off
    Column("date", String(10), nullable=False),
)
_CHUNK = 500  # keys per IN (...) query, well under SQLite's variable limit


def database_url(output_dir: Path) -> str:
    return os.environ.get("PROSPECTING_DB_URL") or f"sqlite:///{output_dir / 'prospecting.db'}"


@dataclass(frozen=True)
class Identity:
    prospect_id: str
    first_seen: str
    new: bool  # no member record was known before this run


def _new_id(keys: Sequence[str], taken: set[str]) -> str:
    base = min(keys)
    for n in range(1000):
        seed = base if n == 0 else f"{base}#{n}"
        candidate = "p-" + hashlib.sha1(seed.encode()).hexdigest()[:10]
        if candidate not in taken:
            return candidate
    raise RuntimeError("no free prospect id")  # 1000 collisions of a 40-bit hash: not in this universe


class Store:
    def __init__(self, url: str) -> None:
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url)
        metadata.create_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def identities(self, clusters: Sequence[Sequence[str]], date: str) -> list[Identity]:
        """The prospect id of each cluster of record keys, kept from earlier runs where possible."""
        with self.engine.begin() as conn:
            keys = [k for cluster in clusters for k in cluster]
            known: dict[str, tuple[str, str]] = {}  # record key -> (prospect id, first seen)
            for start in range(0, len(keys), _CHUNK):
                chunk = keys[start : start + _CHUNK]
                rows = conn.execute(select(source_records).where(source_records.c.record_key.in_(chunk)))
                known.update({r.record_key: (r.prospect_id, r.first_seen) for r in rows})
            born: dict[str, str] = {}
            for pid, first in known.values():
                born[pid] = min(first, born.get(pid, first))

            # Each old id goes to the cluster holding most of its old records (ties: the earlier cluster).
            holders: dict[str, list[tuple[int, int]]] = defaultdict(list)
            for n, cluster in enumerate(clusters):
                counts: dict[str, int] = defaultdict(int)
                for key in cluster:
                    if key in known:
                        counts[known[key][0]] += 1
                for pid, count in counts.items():
                    holders[pid].append((-count, n))
            winner = {pid: min(claims)[1] for pid, claims in holders.items()}

            taken = set(born)
            identities: list[Identity] = []
            lineage: list[dict[str, str]] = []
            for n, cluster in enumerate(clusters):
                won = sorted((born[pid], pid) for pid, w in winner.items() if w == n and pid in born)
                had = {known[k][0] for k in cluster if k in known}
                if won:
                    first, pid = won[0]
                    lineage += [{"old_id": old, "new_id": pid, "kind": "merged_into", "date": date} for _, old in won[1:]]
                else:
                    pid = _new_id(cluster, taken)
                    first = min((born[p] for p in had), default=date)
                    lineage += [{"old_id": old, "new_id": pid, "kind": "split_off", "date": date} for old in sorted(had)]
                taken.add(pid)
                identities.append(Identity(pid, first, new=not had))
            self._save(conn, clusters, identities, known, date)
            for row in lineage:
                exists = conn.execute(
                    select(prospect_lineage).where(
                        (prospect_lineage.c.old_id == row["old_id"]) & (prospect_lineage.c.new_id == row["new_id"])
                    )
                ).first()
                if exists is None:
                    conn.execute(insert(prospect_lineage).values(**row))
            return identities

    @staticmethod
    def _save(
        conn: Connection,
        clusters: Sequence[Sequence[str]],
        identities: Sequence[Identity],
        known: dict[str, tuple[str, str]],
        date: str,
    ) -> None:
        fresh = []
        for cluster, identity in zip(clusters, identities, strict=True):
            for key in cluster:
                if key in known:
                    conn.execute(
                        update(source_records)
                        .where(source_records.c.record_key == key)
                        .values(prospect_id=identity.prospect_id, last_seen=date)
                    )
                else:
                    fresh.append({"record_key": key, "prospect_id": identity.prospect_id, "first_seen": date, "last_seen": date})
        if fresh:
            conn.execute(insert(source_records), fresh)

    def lineage(self) -> list[tuple[str, str, str]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(prospect_lineage).order_by(prospect_lineage.c.date, prospect_lineage.c.old_id))
            return [(r.old_id, r.new_id, r.kind) for r in rows]
