"""Five weekly runs over a changing area: new, gone and returned; failed sources; outreach kept; sync."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import BASE_PROFILE, write_profile

from prospecting import discovery, outreach
from prospecting.config import ClinicProfile, load_profile
from prospecting.errors import InputError
from prospecting.models import Listing, Point
from prospecting.store import RunLocked, Store, database_url

CENTRE = Point(32.7790, -79.9370)
START = date(2026, 11, 2)


def place(source: str, key: str, name: str, north_m: float, *labels: str) -> Listing:
    return Listing(source, key, name, CENTRE.latitude + north_m / 111_320, CENTRE.longitude, categories=labels)


YOGA = place("osm", "node/1", "King Street Yoga House", 300, "leisure=fitness_centre", "sport=yoga")
CROSSFIT = place("osm", "node/2", "CrossFit Holy City", 600, "leisure=fitness_centre", "sport=crossfit")
RUNNING = place("osm", "node/3", "Lowcountry Running Company", 900, "shop=sports")
GYM = place("osm", "node/4", "Iron Palmetto Gym", 1200, "amenity=gym")
PILATES = place("osm", "node/5", "Pure Form Pilates", 1500, "leisure=fitness_centre", "sport=pilates")
DPC = place("npi", "1234567890", "Lowcountry Direct Primary Care", 1800, "amenity=doctors")
BARRE = place("osm", "node/6", "Barre Lowcountry", 2100, "leisure=fitness_centre")


@dataclass
class Week:
    n: int
    day: str
    folder: Path

    def rows(self, name: str) -> list[dict[str, str]]:
        with (self.folder / name).open(encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))

    def names(self, name: str = "prospects-latest.csv") -> set[str]:
        return {r["name"] for r in self.rows(name)}


def run_week(profile: ClinicProfile, n: int, seen: dict[str, list[Listing]], failed: tuple[str, ...] = ()) -> Week:
    """One weekly run through the library's stages, the sources' answers given (a failed one answers nothing)."""
    day = (START + timedelta(weeks=n - 1)).isoformat()
    run_id = discovery.begin_run(profile, "", day, {"week": n})
    listings = [x for source, found in seen.items() if source not in failed for x in found]
    prospects = discovery.match_listings(discovery.classify_listings(listings))
    ranked = discovery.rank_partners(prospects, profile, CENTRE)
    answered = set(seen) - set(failed)
    remembered = discovery.remember(profile, run_id, "", day, prospects, ranked, answered)
    summary = {
        "clinic": profile.name,
        "date": day,
        "status": "partial" if failed else "complete",
        "sources": {s: {"status": "failed", "error": "HTTP 503"} if s in failed else {"status": "ok"} for s in seen},
    }
    discovery.write_exports(profile, profile.output_dir / profile.slug, remembered, CENTRE, day, summary)
    discovery.finish_run(profile, run_id, summary)
    return Week(n, day, profile.output_dir / profile.slug)


@pytest.fixture
def profile(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> ClinicProfile:
    """A clinic whose store is SQLite or PostgreSQL (both, where PostgreSQL is available)."""
    monkeypatch.setenv("PROSPECTING_DB_URL", db_url)
    return load_profile(write_profile(tmp_path, BASE_PROFILE + f'output_dir = "{tmp_path / "out"}"\n'))


def open_store(profile: ClinicProfile) -> Store:
    return Store(database_url(profile.output_dir))


def ids(week: Week) -> dict[str, str]:
    return {r["name"]: r["prospect_id"] for r in week.rows("prospects-latest.csv")}


def test_five_weeks(profile: ClinicProfile) -> None:
    store = open_store(profile)
    slug = profile.slug

    # week 1: everything is new
    w1 = run_week(profile, 1, {"osm": [YOGA, CROSSFIT, RUNNING, GYM, PILATES], "npi": [DPC]})
    first = ids(w1)
    assert {r["status"] for r in w1.rows("prospects-latest.csv")} == {"new"}
    assert w1.names("new-this-week.csv") == w1.names() and len(first) == 6
    assert w1.rows("gone.csv") == []
    digest = (w1.folder / "digest.md").read_text()
    assert "## New this week (6)" in digest and "King Street Yoga House" in digest

    # the clinic works its list between runs
    outreach.mark(store, slug, first["King Street Yoga House"], "customer", date(2026, 11, 4), note="took a vinyasa class")
    outreach.mark(store, slug, first["Iron Palmetto Gym"], "do_not_contact", date(2026, 11, 4))
    outreach.mark(store, slug, first["Pure Form Pilates"], "not_a_fit", date(2026, 11, 4))

    # week 2: the running store is missing once (osm answered); a barre studio is new
    w2 = run_week(profile, 2, {"osm": [YOGA, CROSSFIT, GYM, PILATES, BARRE], "npi": [DPC]})
    assert ids(w2)["King Street Yoga House"] == first["King Street Yoga House"]
    rows = {r["name"]: r for r in w2.rows("prospects-latest.csv")}
    assert rows["Barre Lowcountry"]["status"] == "new" and rows["CrossFit Holy City"]["status"] == "active"
    standing = {r["name"]: r for r in store.prospect_rows(slug)}
    assert standing["Lowcountry Running Company"]["status"] == "active"  # missed once is not gone
    assert standing["Lowcountry Running Company"]["missed_runs"] == 1
    assert w2.names("new-this-week.csv") == {"Barre Lowcountry"}
    assert rows["King Street Yoga House"]["stage"] == "customer" and "vinyasa" in rows["King Street Yoga House"]["notes"]
    assert "Iron Palmetto Gym" not in w2.names()  # do_not_contact: out of the lists
    assert rows["Pure Form Pilates"]["stage"] == "not_a_fit"

    # the sheet round trip: stage and notes edited in a spreadsheet come back, nothing else does
    sheet = w2.folder / "edited.csv"
    edited = w2.rows("prospects-latest.csv")
    for row in edited:
        if row["name"] == "CrossFit Holy City":
            row.update(stage="rapport", notes="coach Sam: likes the screening idea", phone="999", name="Renamed")
    with sheet.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(edited[0]))
        writer.writeheader()
        writer.writerows(edited)
    report = outreach.sync(store, slug, outreach.read_sheet(sheet), sheet)
    assert report.applied == [first["CrossFit Holy City"]] and not report.conflicts
    assert store.outreach(slug)[first["CrossFit Holy City"]].stage == "rapport"
    # a second sync of the same sheet changes nothing; an edit made in the store since the export is a conflict
    assert outreach.sync(store, slug, outreach.read_sheet(sheet), sheet).applied == []
    outreach.mark(store, slug, first["Lowcountry Direct Primary Care"], "customer", date(2026, 11, 12))
    for row in edited:
        if row["name"] == "Lowcountry Direct Primary Care":
            row.update(stage="partner")
    with sheet.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(edited[0]))
        writer.writeheader()
        writer.writerows(edited)
    conflicted = outreach.sync(store, slug, outreach.read_sheet(sheet), sheet)
    assert len(conflicted.conflicts) == 1 and "changed in the store" in conflicted.conflicts[0]
    assert store.outreach(slug)[first["Lowcountry Direct Primary Care"]].stage == "customer"

    # week 3: the running store missing twice: gone. The registry fails: its DPC is not missing.
    w3 = run_week(profile, 3, {"osm": [YOGA, CROSSFIT, GYM, PILATES, BARRE], "npi": [DPC]}, failed=("npi",))
    assert [r["name"] for r in w3.rows("gone.csv")] == ["Lowcountry Running Company"]
    assert "Lowcountry Running Company" not in w3.names()
    assert "## Gone (1)" in (w3.folder / "digest.md").read_text()
    assert "npi: failed: HTTP 503" in (w3.folder / "digest.md").read_text()

    # week 4: the registry fails again: its DPC is still not gone. The running store is back.
    w4 = run_week(profile, 4, {"osm": [YOGA, CROSSFIT, RUNNING, GYM, PILATES, BARRE], "npi": [DPC]}, failed=("npi",))
    standing = {r["name"]: r["status"] for r in store.prospect_rows(slug)}
    assert standing["Lowcountry Direct Primary Care"] == "active"
    assert standing["Lowcountry Running Company"] == "active" and w4.rows("gone.csv") == []
    assert "Lowcountry Running Company" not in w4.names("new-this-week.csv")  # returned is not new
    assert ids(w4)["Lowcountry Running Company"] == first["Lowcountry Running Company"]

    # week 5: everything answers; nothing new; the clinic's notes and stages are all still there
    w5 = run_week(profile, 5, {"osm": [YOGA, CROSSFIT, RUNNING, GYM, PILATES, BARRE], "npi": [DPC]})
    rows = {r["name"]: r for r in w5.rows("prospects-latest.csv")}
    assert w5.rows("new-this-week.csv") == []
    assert rows["King Street Yoga House"]["notes"] == "2026-11-04: took a vinyasa class"
    assert rows["CrossFit Holy City"]["stage"] == "rapport" and rows["CrossFit Holy City"]["phone"] == ""
    assert rows["Lowcountry Direct Primary Care"]["status"] == "active"
    assert rows["King Street Yoga House"]["first_seen"] == w1.day and rows["King Street Yoga House"]["last_seen"] == w5.day
    for week in (w1, w2, w3, w4, w5):
        if week.n > 1:
            assert "Iron Palmetto Gym" not in week.names() | week.names("new-this-week.csv")
        assert "Iron Palmetto Gym" not in (week.folder / "digest.md").read_text() or week.n == 1
    assert len(store.runs(slug)) == 5 and {r["status"] for r in store.runs(slug)} == {"complete", "partial"}
    assert [h["field"] for h in store.history(slug, first["CrossFit Holy City"])] == ["stage", "notes"]
    assert store.integrity_problems() == []
    store.close()


def test_a_run_never_writes_outreach(profile: ClinicProfile) -> None:
    w1 = run_week(profile, 1, {"osm": [YOGA]})
    with open_store(profile) as store:
        assert store.outreach(profile.slug) == {}
        assert w1.rows("prospects-latest.csv")[0]["stage"] == "new"


def test_a_run_killed_before_it_finished_keeps_its_news(profile: ClinicProfile) -> None:
    day = START.isoformat()
    killed = discovery.begin_run(profile, "", day, {})
    prospects = discovery.match_listings(discovery.classify_listings([YOGA]))
    discovery.remember(profile, killed, "", day, prospects, discovery.rank_partners(prospects, profile, CENTRE), {"osm"})
    # no finish_run: the process died here; its lock is stale (same host, pid gone) only if the pid is dead,
    # so the re-run from this same live process is refused...
    with pytest.raises(RunLocked, match="has been running since"):
        discovery.begin_run(profile, "", day, {})
    # ...until the lock's holder is finished
    discovery.finish_run(profile, killed, {"status": "failed"})
    week = run_week(profile, 1, {"osm": [YOGA]})
    assert [r["status"] for r in week.rows("prospects-latest.csv")] == ["new"]
    assert week.names("new-this-week.csv") == {"King Street Yoga House"}


def test_mark_and_followups(profile: ClinicProfile) -> None:
    w1 = run_week(profile, 1, {"osm": [YOGA, CROSSFIT]})
    first = ids(w1)
    with open_store(profile) as store:
        slug = profile.slug
        partner = outreach.mark(store, slug, first["King Street Yoga House"], "partner", date(2026, 11, 2))
        assert partner.next_follow_up == "2027-02-01" and partner.last_contact == "2026-11-02"  # quarterly workshop
        outreach.mark(
            store, slug, first["CrossFit Holy City"], "asked_advice", date(2026, 11, 2), next_follow_up=date(2026, 11, 5)
        )
        assert [f.name for f in outreach.due(store, slug, date(2026, 11, 5))] == ["CrossFit Holy City"]
        assert [f.name for f in outreach.due(store, slug, date(2027, 2, 1))] == ["CrossFit Holy City", "King Street Yoga House"]
        with pytest.raises(InputError, match="stage 'friends' is unknown"):
            outreach.mark(store, slug, first["CrossFit Holy City"], "friends", date(2026, 11, 2))
        with pytest.raises(InputError, match="prospect 'p-nope' is unknown"):
            outreach.mark(store, slug, "p-nope", "customer", date(2026, 11, 2))


def test_sync_rejects_an_unknown_stage_with_its_line(profile: ClinicProfile, tmp_path: Path) -> None:
    w1 = run_week(profile, 1, {"osm": [YOGA, CROSSFIT]})
    rows = w1.rows("prospects-latest.csv")
    rows[1]["stage"] = "bestie"
    sheet = tmp_path / "sheet.csv"
    with sheet.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(InputError, match=r"sheet.csv: line 3: stage 'bestie' is unknown"):
        outreach.read_sheet(sheet)


def test_mark_followups_and_sync_commands(profile: ClinicProfile, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from prospecting.cli import cli

    week = run_week(profile, 1, {"osm": [YOGA, CROSSFIT]})
    first = ids(week)
    clinic = ["--clinic", profile.source_file]

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, [*args, *clinic])
        return result.exit_code, result.output

    code, out = run(
        "mark", first["King Street Yoga House"], "asked_advice", "--note", "asked about mobility", "--next", "2026-11-05"
    )
    assert code == 0 and "asked_advice, next follow-up 2026-11-05" in out
    assert run("followups", "--by", "2026-11-04") == (0, "No follow-ups due by 2026-11-04.\n")
    code, out = run("followups", "--by", "2026-11-05")
    assert code == 0 and f"2026-11-05  {first['King Street Yoga House']}  King Street Yoga House  [asked_advice]" in out
    code, out = run("mark", first["CrossFit Holy City"], "bff")
    assert code == 2 and "stage 'bff' is unknown" in out and "Traceback" not in out
    code, out = run("mark", first["CrossFit Holy City"], "customer", "--next", "someday")
    assert code == 2 and "--next 'someday' is not a date (expected YYYY-MM-DD)" in out
    week = run_week(profile, 2, {"osm": [YOGA, CROSSFIT]})
    code, out = run("sync", str(week.folder / "prospects-latest.csv"))
    assert code == 0 and "0 prospects updated, 2 unchanged, 0 conflicts." in out


def test_outreach_kit_and_top(profile: ClinicProfile) -> None:
    from click.testing import CliRunner

    from prospecting.cli import cli

    dpc = Listing(
        "osm", "node/9", "Lowcountry Direct Primary Care", CENTRE.latitude, CENTRE.longitude, categories=("amenity=doctors",)
    )
    week = run_week(profile, 1, {"osm": [YOGA, RUNNING, dpc]})
    rows = {r["name"]: r for r in week.rows("prospects-latest.csv")}
    yoga, store, doctor = (
        rows["King Street Yoga House"],
        rows["Lowcountry Running Company"],
        rows["Lowcountry Direct Primary Care"],
    )
    assert yoga["next_step"].startswith("Become a member") and "King Street Yoga House" in yoga["next_step"]
    assert store["next_step"] == "Buy your next pair of shoes at Lowcountry Running Company and join their group run."
    assert "free injury screen" in doctor["next_step"]
    for row in rows.values():  # in the ask-for-advice style, with the clinic's and the prospect's names only
        assert "advice" in row["conversation_starter"] or "your take" in row["conversation_starter"]
        assert profile.name in row["conversation_starter"] and row["name"] in row["conversation_starter"]
        assert row["workshop"]
    result = CliRunner().invoke(cli, ["top", "--clinic", profile.source_file, "--n", "2"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["#", "fit", "name"] and len([x for x in lines[1:] if x.strip()]) == 3  # 2 rows + path
    only = CliRunner().invoke(cli, ["top", "--clinic", profile.source_file, "--category", "direct_primary_care"])
    assert "Lowcountry Direct Primary Care" in only.output and "King Street Yoga" not in only.output


def test_hostile_names_are_inert_in_every_file(profile: ClinicProfile) -> None:
    formula = place("osm", "node/66", "=cmd|' /C calc'!A0 Yoga", 400, "leisure=fitness_centre", "sport=yoga")
    script = place("osm", "node/67", "<script>alert(1)</script> Pilates", 700, "leisure=fitness_centre", "sport=pilates")
    week = run_week(profile, 1, {"osm": [formula, script, YOGA]})
    raw = (week.folder / "prospects-latest.csv").read_text(encoding="utf-8")
    names = week.names()
    assert "'=cmd|' /C calc'!A0 Yoga" in names  # neutralised: a spreadsheet shows it as text
    assert not any(line.startswith("=") or ",=" in line for line in raw.splitlines())
    page = (week.folder / "map.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in page and "\\u003cscript\\u003ealert(1)" in page
    digest = (week.folder / "digest.md").read_text(encoding="utf-8")
    assert "<script>" not in digest and "&lt;script&gt;alert(1)&lt;/script&gt; Pilates" in digest
