"""The relationship with each prospect: stages from the playbook, follow-ups, spreadsheet round trips.

Stages and follow-up cadences are data in `config/outreach.toml`. `mark` moves one prospect;
`due` lists what needs a follow-up; `read_sheet` and `sync` bring back the `stage` and `notes`
a user edited in the exported CSV (Excel, Google Sheets), refusing unknown stages and ids with
their line, and reporting rather than overwriting what changed in the store since the export.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from prospecting.errors import ConfigError, InputError
from prospecting.models import Outreach
from prospecting.resources import config_table
from prospecting.store import Change, Store


@dataclass(frozen=True)
class Playbook:
    stages: tuple[str, ...]
    suppressed: frozenset[str]  # never listed as new again
    hidden: frozenset[str]  # left out of the prospect CSV and the digest
    follow_up_days: Mapping[str, int]

    @property
    def all_stages(self) -> tuple[str, ...]:
        return self.stages + tuple(sorted(self.suppressed - set(self.stages)))

    @classmethod
    def load(cls, table: Mapping[str, Any] | None = None) -> Playbook:
        table = config_table("outreach") if table is None else table
        try:
            playbook = cls(
                stages=tuple(table["stages"]),
                suppressed=frozenset(table["suppressed"]),
                hidden=frozenset(table.get("hidden", [])),
                follow_up_days={str(k): int(v) for k, v in table.get("follow_up_days", {}).items()},
            )
        except (KeyError, TypeError, ValueError) as e:
            raise ConfigError(f"config/outreach.toml: {e} (expected stages, suppressed and [follow_up_days])") from e
        unknown = sorted(set(playbook.follow_up_days) - set(playbook.all_stages))
        if unknown:
            raise ConfigError(f"config/outreach.toml: [follow_up_days] {unknown[0]!r} is not a stage")
        return playbook

    def check_stage(self, stage: str) -> str:
        if stage not in self.all_stages:
            raise InputError(f"stage {stage!r} is unknown (expected one of {', '.join(self.all_stages)})")
        return stage


_PLACES = ("name", "clinic", "niche", "kind")
_KIT_FIELDS = ("next_step", "conversation_starter", "workshop")


@dataclass(frozen=True)
class Kit:
    """The outreach kit's templates: per category, and per subcategory where given."""

    templates: Mapping[str, Mapping[str, Any]]

    @classmethod
    def load(cls, table: Mapping[str, Any] | None = None) -> Kit:
        table = config_table("outreach") if table is None else table
        kit = table.get("kit", {})
        for category, entry in kit.items():
            for key, text in _texts(entry):
                try:
                    text.format_map(dict.fromkeys(_PLACES, ""))
                except (KeyError, ValueError, IndexError) as e:
                    raise ConfigError(
                        f"config/outreach.toml: kit.{category}: {key}: {e} (expected only {{{'}, {'.join(_PLACES)}}})"
                    ) from e
        return cls(kit)

    def for_prospect(self, name: str, category: str, subcategory: str, clinic: str, niche: str) -> dict[str, str]:
        """next_step, conversation_starter and workshop for one prospect (blank where no template)."""
        general = self.templates.get(category, {})
        specific = general.get(subcategory, {}) if isinstance(general.get(subcategory), dict) else {}
        kind = str(specific.get("kind") or general.get("kind") or subcategory.replace("_", " "))
        values = {"name": name, "clinic": clinic, "niche": niche, "kind": kind}
        return {f: str(specific.get(f) or general.get(f) or "").format_map(values) for f in _KIT_FIELDS}


def _texts(entry: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for key, value in entry.items():
        if isinstance(value, dict):
            found += _texts(value, f"{prefix}{key}.")
        elif isinstance(value, str):
            found.append((f"{prefix}{key}", value))
    return found


def mark(
    store: Store,
    clinic: str,
    prospect_id: str,
    stage: str,
    today: date,
    note: str = "",
    next_follow_up: date | None = None,
    owner: str | None = None,
    playbook: Playbook | None = None,
) -> Outreach:
    """Move a prospect to a stage: a note is added under today's date, the next follow-up is the
    date given or the stage's cadence, and any stage after `new` counts as a contact today."""
    playbook = playbook or Playbook.load()
    playbook.check_stage(stage)
    if not store.known_prospect(prospect_id):
        raise InputError(f"prospect {prospect_id!r} is unknown (expected an id from the prospect CSV)")
    current = store.outreach(clinic, [prospect_id]).get(prospect_id, Outreach())
    values: dict[str, Any] = {"stage": stage}
    if note:
        line = f"{today.isoformat()}: {note.strip()}"
        values["notes"] = f"{current.notes}\n{line}" if current.notes else line
    if stage != "new" and stage not in playbook.suppressed:
        values["last_contact"] = today.isoformat()
    days = playbook.follow_up_days.get(stage)
    if next_follow_up is not None:
        values["next_follow_up"] = next_follow_up.isoformat()
    elif stage in playbook.suppressed:
        values["next_follow_up"] = ""
    elif days is not None:
        values["next_follow_up"] = (today + timedelta(days=days)).isoformat()
    if owner is not None:
        values["owner"] = owner
    store.change_outreach(clinic, [Change(prospect_id, values)], via="mark")
    return store.outreach(clinic, [prospect_id])[prospect_id]


@dataclass(frozen=True)
class FollowUp:
    prospect_id: str
    name: str
    stage: str
    due: str
    phone: str
    website: str
    notes: str


def due(store: Store, clinic: str, today: date, playbook: Playbook | None = None) -> list[FollowUp]:
    """Follow-ups due by today, oldest first. A partner with no date set is due a quarter after
    the last contact (the workshop cadence)."""
    playbook = playbook or Playbook.load()
    known = {r["prospect_id"]: r for r in store.prospect_rows(clinic)}
    found = []
    for pid, o in store.outreach(clinic).items():
        if o.stage in playbook.suppressed:
            continue
        when = o.next_follow_up
        cadence = playbook.follow_up_days.get(o.stage)
        if not when and o.last_contact and cadence is not None:
            when = (date.fromisoformat(o.last_contact) + timedelta(days=cadence)).isoformat()
        if when and when <= today.isoformat():
            row = known.get(pid, {})
            found.append(FollowUp(pid, row.get("name", ""), o.stage, when, row.get("phone", ""), row.get("website", ""), o.notes))
    return sorted(found, key=lambda f: (f.due, f.name))


@dataclass(frozen=True)
class SheetRow:
    line: int
    prospect_id: str
    stage: str
    notes: str
    stage_updated: str  # the store's outreach timestamp when the CSV was exported


@dataclass
class SyncReport:
    applied: list[str] = field(default_factory=list)
    unchanged: int = 0
    conflicts: list[str] = field(default_factory=list)  # one line each, nothing applied for them


def read_sheet(path: Path, playbook: Playbook | None = None) -> list[SheetRow]:
    """The stage and notes of each row of an exported, edited prospect CSV; InputError naming the
    line of an unknown stage or a missing id."""
    playbook = playbook or Playbook.load()
    try:
        raw = path.read_bytes()
    except FileNotFoundError as e:
        raise InputError(f"{path}: file not found") from e
    except IsADirectoryError as e:
        raise InputError(f"{path}: is a folder (expected the prospect CSV)") from e
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = raw.decode("utf-16")  # Excel's "Unicode text"
    elif b"\x00" in raw[:4096]:
        raise InputError(f"{path}: binary data, not text (expected the prospect CSV)")
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")  # Excel on Windows saves CSV as ANSI
    if not text.strip():
        raise InputError(f"{path}: empty (expected the prospect CSV with its header row)")
    # newline="": a line break inside a quoted cell (notes of several dated lines) stays in the cell
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows = []
    try:
        header = next(reader, [])
        columns = {c.strip().lower(): n for n, c in enumerate(header)}
        missing = [c for c in ("prospect_id", "stage", "notes", "stage_updated") if c not in columns]
        if missing:
            separator = next((s for s in (";", "\t") if len(header) == 1 and s in header[0]), None)
            if separator is not None:
                raise InputError(
                    f"{path}: the header is separated by {separator!r}, not commas (expected comma-separated values)"
                )
            raise InputError(f"{path}: no {missing[0]} column (expected the columns of an exported prospect CSV)")
        line = reader.line_num + 1
        for values in reader:
            if values:  # blank lines are skipped
                row = {name: values[n] if n < len(values) else "" for name, n in columns.items()}
                rows.append(_sheet_row(path, line, row, playbook))
            line = reader.line_num + 1
    except csv.Error as e:
        raise InputError(f"{path}: line {reader.line_num}: malformed CSV: {e} (expected the prospect CSV)") from e
    return rows


def _sheet_row(path: Path, line: int, row: Mapping[str, str], playbook: Playbook) -> SheetRow:
    pid = row["prospect_id"].strip().lstrip("'")
    if not pid:
        raise InputError(f"{path}: line {line}: no prospect_id (expected the id from the export)")
    stage = row["stage"].strip().lower()
    if stage and stage not in playbook.all_stages:
        raise InputError(f"{path}: line {line}: stage {stage!r} is unknown (expected one of {', '.join(playbook.all_stages)})")
    notes = row["notes"].replace("\r\n", "\n")
    return SheetRow(line, pid, stage, notes.removeprefix("'"), row["stage_updated"].strip())


def sync(store: Store, clinic: str, rows: Sequence[SheetRow], path: Path) -> SyncReport:
    """Bring the sheet's stage and notes into the store, all or nothing; a row whose store values
    changed after the export, and differ from the sheet, is a conflict and left as the store has it."""
    report = SyncReport()
    current = store.outreach(clinic)
    changes = []
    for row in rows:
        if not store.known_prospect(row.prospect_id):
            raise InputError(f"{path}: line {row.line}: prospect {row.prospect_id!r} is unknown (expected an id from the export)")
        now = current.get(row.prospect_id, Outreach())
        wanted = {"stage": row.stage or now.stage, "notes": row.notes}
        if wanted == {"stage": now.stage, "notes": now.notes}:
            report.unchanged += 1
            continue
        if now.updated_at and now.updated_at > row.stage_updated:
            report.conflicts.append(
                f"{path}: line {row.line}: {row.prospect_id} changed in the store at {now.updated_at[:19]} after this export "
                f"(store: {now.stage!r}; sheet: {wanted['stage']!r}); kept the store's"
            )
            continue
        changes.append(Change(row.prospect_id, wanted))
        report.applied.append(row.prospect_id)
    store.change_outreach(clinic, changes, via="sync")
    return report
