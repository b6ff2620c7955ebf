"""What runs remember, and what the clinic writes about each relationship.

SQLAlchemy over SQLite at `<output_dir>/prospecting.db` by default, or any database named by
`PROSPECTING_DB_URL` (PostgreSQL for agencies). Tables:

- `source_records`: the bridge from every source record (`source:id`) to its prospect. When a
  run's clusters disagree with the last ones the older id survives: a merge keeps the oldest of
  the merged ids, a split leaves the id with the part holding most of its old records; both are
  recorded in `prospect_lineage`.
- `runs`: each run's parameters, the sources that answered or failed, counts and timings.
- `prospects`: per clinic and area (a `--near` run is its own area), each prospect's canonical
  fields, category, score, the sources that saw it, first and last seen, and status: `new` the
  first run it appears, `active` after, `gone` once it has been missing from every source that
  saw it, with those sources answering, two runs in a row (and `active` again if it returns).
- `outreach` and `outreach_history`: the relationship stage, owner, notes, contacts and
  follow-ups that the clinic writes (`prospect mark`, `prospect sync`), with every change kept.
  A run never writes these.
- `run_locks`: one run per clinic at a time.
- `schema_version`: migrations run on open; a SQLite file is copied aside before one.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import socket
import sqlite3
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    create_engine,
    delete,
    event,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import NullPool

from prospecting.errors import ProspectingError
from prospecting.models import Outreach

SCHEMA_VERSION = 2
metadata = MetaData()
schema_version = Table("schema_version", metadata, Column("version", Integer, nullable=False))
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
runs = Table(
    "runs",
    metadata,
    Column("run_id", Integer, primary_key=True, autoincrement=True),
    Column("clinic", String(120), nullable=False, index=True),
    Column("area", String(120), nullable=False),
    Column("date", String(10), nullable=False),
    Column("started_at", String(32), nullable=False),
    Column("finished_at", String(32)),
    Column("status", String(20), nullable=False),  # running | complete | partial | failed
    Column("parameters", Text, nullable=False),  # JSON
    Column("sources", Text, nullable=False, default="{}"),  # JSON: name -> {status, listings | error}
    Column("counts", Text, nullable=False, default="{}"),
    Column("timings", Text, nullable=False, default="{}"),
)
prospects = Table(
    "prospects",
    metadata,
    Column("clinic", String(120), primary_key=True),
    Column("area", String(120), primary_key=True),
    Column("prospect_id", String(40), primary_key=True),
    Column("name", Text, nullable=False),
    Column("category", String(40), nullable=False),
    Column("subcategory", String(80), nullable=False),
    Column("fit_score", Float),
    Column("address", Text, nullable=False, default=""),
    Column("phone", String(60), nullable=False, default=""),
    Column("website", Text, nullable=False, default=""),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("sources", Text, nullable=False),  # source names that saw it when last seen, ";"-separated
    Column("first_seen", String(10), nullable=False),
    Column("last_seen", String(10), nullable=False),
    Column("status", String(10), nullable=False),  # new | active | gone
    Column("missed_runs", Integer, nullable=False, default=0),
    Column("status_since", String(10), nullable=False),
    Column("first_run", Integer, nullable=False),  # the run that first saw it: new until that run has finished
)
outreach = Table(
    "outreach",
    metadata,
    Column("clinic", String(120), primary_key=True),
    Column("prospect_id", String(40), primary_key=True),
    Column("stage", String(20), nullable=False),
    Column("owner", String(120), nullable=False, default=""),
    Column("notes", Text, nullable=False, default=""),
    Column("last_contact", String(10), nullable=False, default=""),
    Column("next_follow_up", String(10), nullable=False, default=""),
    Column("referrals_received", Integer, nullable=False, default=0),
    Column("updated_at", String(32), nullable=False),
)
outreach_history = Table(
    "outreach_history",
    metadata,
    Column("change_id", Integer, primary_key=True, autoincrement=True),
    Column("clinic", String(120), nullable=False, index=True),
    Column("prospect_id", String(40), nullable=False),
    Column("field", String(40), nullable=False),
    Column("old", Text, nullable=False),
    Column("new", Text, nullable=False),
    Column("changed_at", String(32), nullable=False),
    Column("via", String(20), nullable=False),  # mark | sync | merge
)
run_locks = Table(
    "run_locks",
    metadata,
    Column("clinic", String(120), primary_key=True),
    Column("run_id", Integer, nullable=False),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("acquired_at", String(32), nullable=False),
)
_CHUNK = 500  # keys per IN (...) query, well under SQLite's variable limit
_KEY = ("clinic", "area", "prospect_id")
_MIGRATION_LOCK = 0x70726F73  # "pros": the advisory lock migrations take on PostgreSQL
# One statement for many rows (executemany): every column bound as b_<name>.
_UPDATE_PROSPECT = (
    update(prospects)
    .where(*(prospects.c[k] == bindparam(f"b_{k}") for k in _KEY))
    .values({c.name: bindparam(f"b_{c.name}") for c in prospects.columns if c.name not in _KEY})
)
_UPDATE_RECORD = (
    update(source_records)
    .where(source_records.c.record_key == bindparam("b_record_key"))
    .values(prospect_id=bindparam("b_prospect_id"), last_seen=bindparam("b_last_seen"))
)
OUTREACH_FIELDS = ("stage", "owner", "notes", "last_contact", "next_follow_up", "referrals_received")


class RunLocked(ProspectingError):
    """Another run of the same clinic is in progress."""


SQLITE_BUSY_TIMEOUT_S = 30.0  # how long a connection waits for another's write lock


def database_url(output_dir: Path) -> str:
    return os.environ.get("PROSPECTING_DB_URL") or f"sqlite:///{output_dir / 'prospecting.db'}"


@contextmanager
def temporary_schema(server_url: str, prefix: str) -> Iterator[str]:
    """A URL of `server_url` (PostgreSQL) whose connections work in a new schema of their own,
    dropped afterwards: a clean store per test or per trial on one shared server."""
    schema = f"{prefix}_{secrets.token_hex(6)}"
    admin = create_engine(server_url, poolclass=NullPool)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield make_url(server_url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '10s'"))  # a connection left in a transaction
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Identity:
    prospect_id: str
    first_seen: str
    new: bool  # no member record was known before this run


@dataclass(frozen=True)
class Sighting:
    """One prospect as a run saw it: what the `prospects` table keeps."""

    prospect_id: str
    name: str
    category: str
    subcategory: str
    sources: frozenset[str]
    fit_score: float | None = None
    address: str = ""
    phone: str = ""
    website: str = ""
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class Standing:
    """A prospect's standing after a run: status, since when known, last seen."""

    status: str
    first_seen: str
    last_seen: str


@dataclass(frozen=True)
class Change:
    prospect_id: str
    values: Mapping[str, Any]  # outreach field -> new value


@dataclass
class RunReport:
    """What a run changed in the store: who became new, gone or came back."""

    standings: dict[str, Standing] = field(default_factory=dict)
    gone: list[dict[str, Any]] = field(default_factory=list)  # prospects rows that went gone in this run
    returned: list[str] = field(default_factory=list)


def _new_id(keys: Sequence[str], taken: set[str]) -> str:
    base = min(keys)
    for n in range(1000):
        seed = base if n == 0 else f"{base}#{n}"
        candidate = "p-" + hashlib.sha1(seed.encode()).hexdigest()[:10]
        if candidate not in taken:
            return candidate
    raise RuntimeError("no free prospect id")  # 1000 collisions of a 40-bit hash: not in this universe


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Store:
    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = create_engine(url)
        self._migrate()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- schema -----------------------------------------------------------------------------------
    def _migrate(self) -> None:
        """Bring the schema to this version. Stores opened at once (workers starting together on
        an empty database) take turns: PostgreSQL through an advisory lock, SQLite through its
        write lock; whoever comes second finds the work done."""
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            elif conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            existing = set(inspect(conn).get_table_names())
            if "schema_version" in existing:
                version = conn.execute(select(schema_version.c.version)).scalar() or 0
            else:
                version = 1 if "source_records" in existing else 0  # version 1 had no version table
            if version > SCHEMA_VERSION:
                raise ProspectingError(
                    f"{self._where()}: schema version {version} is newer than this prospecting ({SCHEMA_VERSION}); upgrade it"
                )
            if version == SCHEMA_VERSION:
                return
            if version and self.url.startswith("sqlite:///"):
                path = Path(self.url.removeprefix("sqlite:///"))
                stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
                shutil.copy2(path, path.with_name(f"{path.name}.v{version}-{stamp}.bak"))
            # Version 1 -> 2 only adds tables; later migrations add their steps here, in order.
            metadata.create_all(conn)
            conn.execute(delete(schema_version))
            conn.execute(insert(schema_version).values(version=SCHEMA_VERSION))

    def _where(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def integrity_problems(self) -> list[str]:
        """SQLite's integrity check plus the store's own invariants; [] when all is well."""
        problems: list[str] = []
        with self.engine.connect() as conn:
            if self.engine.dialect.name == "sqlite":
                result = [r[0] for r in conn.execute(text("PRAGMA integrity_check"))]
                problems += [] if result == ["ok"] else result
            orphans = conn.execute(
                select(outreach.c.prospect_id).where(~outreach.c.prospect_id.in_(select(source_records.c.prospect_id).distinct()))
            ).all()
            problems += [f"outreach for unknown prospect {r.prospect_id}" for r in orphans]
        return problems

    # --- runs and the per-clinic lock -----------------------------------------------------------
    def begin_run(self, clinic: str, area: str, date: str, parameters: Mapping[str, Any]) -> int:
        """Record a run as started and take the clinic's lock; RunLocked when another run holds it.

        A lock whose holder is gone (killed, on this host) or older than a day is taken over.
        """
        host, pid = socket.gethostname(), os.getpid()
        with self.engine.begin() as conn:
            inserted = conn.execute(
                insert(runs).values(
                    clinic=clinic,
                    area=area,
                    date=date,
                    started_at=now(),
                    status="running",
                    parameters=json.dumps(parameters, sort_keys=True, default=str),
                    sources="{}",
                    counts="{}",
                    timings="{}",
                )
            )
            run_id = int(inserted.inserted_primary_key[0])  # type: ignore[index]
            holder = conn.execute(select(run_locks).where(run_locks.c.clinic == clinic)).first()
            if holder is not None:
                stale = (holder.host == host and not _pid_alive(holder.pid)) or (
                    datetime.now(UTC) - datetime.fromisoformat(holder.acquired_at)
                ).total_seconds() > 86_400
                if not stale:
                    raise RunLocked(
                        f"clinic {clinic!r}: run {holder.run_id} (pid {holder.pid} on {holder.host}) has been running "
                        f"since {holder.acquired_at[:19]}; wait for it to finish"
                    )
                conn.execute(update(runs).where(runs.c.run_id == holder.run_id).values(status="interrupted"))
                conn.execute(delete(run_locks).where(run_locks.c.clinic == clinic))
            try:
                conn.execute(insert(run_locks).values(clinic=clinic, run_id=run_id, host=host, pid=pid, acquired_at=now()))
            except IntegrityError as e:  # another run took it between our read and insert
                raise RunLocked(f"clinic {clinic!r}: another run has just started; wait for it to finish") from e
        return run_id

    def finish_run(
        self,
        run_id: int,
        status: str,
        sources: Mapping[str, Any] | None = None,
        counts: Mapping[str, Any] | None = None,
        timings: Mapping[str, Any] | None = None,
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(runs)
                .where(runs.c.run_id == run_id)
                .values(
                    status=status,
                    finished_at=now(),
                    sources=json.dumps(sources or {}, sort_keys=True, default=str),
                    counts=json.dumps(counts or {}, sort_keys=True, default=str),
                    timings=json.dumps(timings or {}, sort_keys=True, default=str),
                )
            )
            conn.execute(delete(run_locks).where(run_locks.c.run_id == run_id))

    def runs(self, clinic: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(runs).where(runs.c.clinic == clinic).order_by(runs.c.run_id)).mappings().all()
        return [dict(r) | {k: json.loads(r[k]) for k in ("parameters", "sources", "counts", "timings")} for r in rows]

    # --- identities: the bridge -----------------------------------------------------------------
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
                if row["kind"] == "merged_into":
                    self._merge_outreach(conn, row["old_id"], row["new_id"])
            return identities

    @staticmethod
    def _save(
        conn: Connection,
        clusters: Sequence[Sequence[str]],
        identities: Sequence[Identity],
        known: dict[str, tuple[str, str]],
        date: str,
    ) -> None:
        fresh, seen = [], []
        for cluster, identity in zip(clusters, identities, strict=True):
            for key in cluster:
                if key in known:
                    seen.append({"b_record_key": key, "b_prospect_id": identity.prospect_id, "b_last_seen": date})
                else:
                    fresh.append({"record_key": key, "prospect_id": identity.prospect_id, "first_seen": date, "last_seen": date})
        if seen:
            conn.execute(_UPDATE_RECORD, seen)
        if fresh:
            conn.execute(insert(source_records), fresh)

    @staticmethod
    def _merge_outreach(conn: Connection, old: str, new: str) -> None:
        """A merged prospect's relationship moves to the surviving id, unless that one has its own."""
        for row in conn.execute(select(outreach).where(outreach.c.prospect_id == old)).mappings().all():
            kept = conn.execute(
                select(outreach).where((outreach.c.clinic == row["clinic"]) & (outreach.c.prospect_id == new))
            ).first()
            if kept is None:
                conn.execute(
                    update(outreach)
                    .where((outreach.c.clinic == row["clinic"]) & (outreach.c.prospect_id == old))
                    .values(prospect_id=new)
                )
                conn.execute(
                    insert(outreach_history).values(
                        clinic=row["clinic"],
                        prospect_id=new,
                        field="prospect_id",
                        old=old,
                        new=new,
                        changed_at=now(),
                        via="merge",
                    )
                )
        conn.execute(delete(prospects).where(prospects.c.prospect_id == old))

    def lineage(self) -> list[tuple[str, str, str]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(prospect_lineage).order_by(prospect_lineage.c.date, prospect_lineage.c.old_id))
            return [(r.old_id, r.new_id, r.kind) for r in rows]

    # --- sightings: new, active, gone -----------------------------------------------------------
    def record_sightings(
        self, clinic: str, area: str, date: str, seen: Sequence[Sighting], answered: set[str], run_id: int
    ) -> RunReport:
        """Update the clinic's prospects from one run: those seen are new (first time) or active;
        one not seen counts a miss only when every source that saw it answered this run, and
        is gone after two misses in a row. A prospect stays new until a run that saw it has
        finished, so a run killed half-way loses no news."""
        report = RunReport()
        with self.engine.begin() as conn:
            finished = {
                r.run_id
                for r in conn.execute(
                    select(runs.c.run_id).where((runs.c.clinic == clinic) & runs.c.status.in_(("complete", "partial")))
                )
            }
            stored = {
                r["prospect_id"]: r
                for r in conn.execute(
                    select(prospects).where((prospects.c.clinic == clinic) & (prospects.c.area == area))
                ).mappings()
            }
            fresh: list[dict[str, Any]] = []
            changed: list[dict[str, Any]] = []  # every column of the row, as bound parameters
            for s in seen:
                values: dict[str, Any] = {
                    "name": s.name,
                    "category": s.category,
                    "subcategory": s.subcategory,
                    "fit_score": s.fit_score,
                    "address": s.address,
                    "phone": s.phone,
                    "website": s.website,
                    "latitude": s.latitude,
                    "longitude": s.longitude,
                    "sources": ";".join(sorted(s.sources)),
                    "last_seen": date,
                    "missed_runs": 0,
                }
                old = stored.get(s.prospect_id)
                if old is None:
                    fresh.append(
                        values
                        | {"clinic": clinic, "area": area, "prospect_id": s.prospect_id, "first_seen": date}
                        | {"status": "new", "status_since": date, "first_run": run_id}
                    )
                    report.standings[s.prospect_id] = Standing("new", date, date)
                    continue
                unreported = old["status"] == "new" and old["first_run"] not in finished
                status = "new" if unreported else "active"
                if old["status"] == "gone":
                    report.returned.append(s.prospect_id)
                changed.append(
                    dict(old)
                    | values
                    | {
                        "status": status,
                        "status_since": old["status_since"] if status == old["status"] else date,
                        "first_run": run_id if unreported else old["first_run"],
                    }
                )
                report.standings[s.prospect_id] = Standing(status, old["first_seen"], date)
            for pid, old in stored.items():
                if pid in report.standings or old["status"] == "gone" or old["last_seen"] == date:
                    continue
                if not set(old["sources"].split(";")) <= answered:
                    continue  # a source that saw it failed: its absence proves nothing
                missed = old["missed_runs"] + 1
                status = "gone" if missed >= 2 else "active" if old["first_run"] in finished else old["status"]
                since = date if status == "gone" else old["status_since"]
                changed.append(dict(old) | {"missed_runs": missed, "status": status, "status_since": since})
                if status == "gone":
                    report.gone.append(dict(old) | {"status": "gone", "status_since": date})
            if fresh:
                conn.execute(insert(prospects), fresh)
            if changed:
                conn.execute(_UPDATE_PROSPECT, [{f"b_{k}": v for k, v in row.items()} for row in changed])
        return report

    def prospect_rows(self, clinic: str, area: str | None = None) -> list[dict[str, Any]]:
        where = prospects.c.clinic == clinic
        if area is not None:
            where = where & (prospects.c.area == area)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(select(prospects).where(where).order_by(prospects.c.prospect_id)).mappings()]

    # --- outreach: what the clinic writes -------------------------------------------------------
    def outreach(self, clinic: str, prospect_ids: Sequence[str] | None = None) -> dict[str, Outreach]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(outreach).where(outreach.c.clinic == clinic)).mappings().all()
        wanted = None if prospect_ids is None else set(prospect_ids)
        return {
            r["prospect_id"]: Outreach(**{k: r[k] for k in (*OUTREACH_FIELDS, "updated_at")})
            for r in rows
            if wanted is None or r["prospect_id"] in wanted
        }

    def known_prospect(self, prospect_id: str) -> bool:
        with self.engine.connect() as conn:
            found = conn.execute(select(source_records.c.prospect_id).where(source_records.c.prospect_id == prospect_id)).first()
        return found is not None

    def change_outreach(self, clinic: str, changes: Sequence[Change], via: str) -> int:
        """Apply outreach changes in one transaction, each changed field kept in the history."""
        stamp = now()
        changed = 0
        with self.engine.begin() as conn:
            for change in changes:
                where = (outreach.c.clinic == clinic) & (outreach.c.prospect_id == change.prospect_id)
                row = conn.execute(select(outreach).where(where)).mappings().first()
                before = Outreach(**{k: row[k] for k in (*OUTREACH_FIELDS, "updated_at")}) if row else Outreach()
                diff = {k: v for k, v in change.values.items() if getattr(before, k) != v}
                if not diff:
                    continue
                if row is None:
                    conn.execute(
                        insert(outreach).values(
                            clinic=clinic,
                            prospect_id=change.prospect_id,
                            **{k: getattr(before, k) for k in OUTREACH_FIELDS},
                            updated_at=stamp,
                        )
                    )
                conn.execute(update(outreach).where(where).values(**diff, updated_at=stamp))
                conn.execute(
                    insert(outreach_history),
                    [
                        {
                            "clinic": clinic,
                            "prospect_id": change.prospect_id,
                            "field": k,
                            "old": str(getattr(before, k)),
                            "new": str(v),
                            "changed_at": stamp,
                            "via": via,
                        }
                        for k, v in diff.items()
                    ],
                )
                changed += 1
        return changed

    def history(self, clinic: str, prospect_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(outreach_history)
                .where((outreach_history.c.clinic == clinic) & (outreach_history.c.prospect_id == prospect_id))
                .order_by(outreach_history.c.change_id)
            ).mappings()
            return [dict(r) for r in rows]


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    """WAL: readers never block the writer, and a killed writer leaves the file consistent.

    Turning a new file to WAL needs it to itself, and SQLite answers "database is locked" at
    once, without waiting its busy timeout, when another connection opens it at that moment
    (workers starting together): so wait and try again, as long as the busy timeout would."""
    cursor = dbapi_connection.cursor()
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
