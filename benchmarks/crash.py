"""Crash safety: kill the demo run with SIGKILL at random points, run it again, check what it left.

    .venv/bin/python benchmarks/crash.py [--trials 10] [--seed 11] [--target STAGE] [--keep]

One Prefect server is started for all trials (`prefect server start` on a free port, its own
PREFECT_HOME in a temporary folder), so no run starts a temporary one. One output folder serves
every trial, so later kills land on a folder holding earlier files, database rows and outreach:

1. a complete `prospect demo --output DIR` run, timed: its wall time D bounds the kill delays
   (its log also dates each stage, for `--target`);
2. `prospect mark ID partner --note ...` on its best prospect (the demo's profile,
   config/clinic.example.toml, run from the folder holding DIR: its `output_dir` is "output");
3. each trial: `prospect demo` again, killed (SIGKILL, its whole process group) after a delay drawn
   uniformly from [0, D) (with `--target export`: once the run's log shows the stage before it
   finished, after a delay drawn over that stage's length in step 1); the CSVs and
   the database are read as the kill left them (each CSV must be whole: the old file or a new one);
   then `prospect demo` runs to completion and is checked:

   - exit    exit status 0, run.json says complete;
   - db      `Store.integrity_problems() == []` (PRAGMA integrity_check and the store's invariants);
   - runs    the killed run (if it had begun) is `interrupted` (or `complete` when killed after it
             had finished with the store), the re-run `complete`, no run left `running`, no lock left;
   - ids     no duplicate prospect id in the store or in any CSV; as many prospects as the first run;
   - csv     every CSV parses whole with the csv module: the expected header, every row as wide,
             a final newline; prospects-latest.csv has as many rows as the run ranked partners and
             equals the dated copy; excluded-latest.csv as many as it set apart;
   - tmp     no `.*.tmp` file left anywhere in the output folder;
   - outreach the mark made in step 2 is in the store and in prospects-latest.csv.

Prints one line per trial (the stage the run was in when killed is read from its Prefect log) and
`N of N recoveries`; exits 1 if any trial failed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from prospecting import export
from prospecting.resources import config_dir
from prospecting.store import Store, run_locks

SLUG = "harbor-movement-physical-therapy"
PROFILE = config_dir() / "clinic.example.toml"
NOTE = "crash benchmark: keep me"
STAGE = "partner"
CSV_COLUMNS = {
    "prospects-latest.csv": export.PROSPECT_COLUMNS,
    "new-this-week.csv": export.PROSPECT_COLUMNS,
    "excluded-latest.csv": export.PROSPECT_COLUMNS,
    "gone.csv": export.GONE_COLUMNS,
}
RUN_TIMEOUT_S = 300
HEADER = f"{'trial':>5} {'kill after':>10}  {'stage at kill':<34} {'CSVs after kill':<21} {'re-run':>7}  {'recovered':<9}  checks"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def stop(process: subprocess.Popen[bytes], grace: float = 30.0) -> None:
    """Stop a process this script started, and its children (it leads its own process group)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextmanager
def prefect_server(
    home: Path, timeout_s: float = 120, env: dict[str, str] | None = None, logs: Path | None = None
) -> Iterator[str]:
    """`prefect server start` on a free port with its own PREFECT_HOME; yields its PREFECT_API_URL
    once /api/health answers. `env` replaces this process's environment; the log goes to `logs`
    (default: `home`)."""
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    if env is None:
        env = os.environ | {"PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
        env.pop("PREFECT_API_URL", None)
    log_path = (logs or home) / "server.log"
    url = f"http://127.0.0.1:{port}/api"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                if server.poll() is not None:
                    raise RuntimeError(f"prefect server exited with status {server.returncode}; see {log_path}")
                try:
                    with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                        if answer.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"prefect server not healthy after {timeout_s:.0f} s; see {log_path}")
                time.sleep(0.25)
            yield url
        finally:
            stop(server)


def demo_command(output: Path) -> list[str]:
    return [sys.executable, "-m", "prospecting.cli", "demo", "--output", str(output)]


def start_demo(output: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as f:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            demo_command(output), cwd=output.parent, env=env, stdout=f, stderr=subprocess.STDOUT, start_new_session=True
        )


STAGES = ("start-up", "locate", "fetch", "read-websites", "classify", "match", "rank", "remember", "export", "after export")


def stage_ends(text: str) -> dict[str, datetime]:
    """When each stage of a run ended, from the Prefect log lines it wrote (console times, today)."""
    ends: dict[str, datetime] = {}
    fetches = 0
    today = datetime.now().date()
    for line in text.splitlines():
        try:
            at = datetime.combine(today, datetime.strptime(line[:12], "%H:%M:%S.%f").time())
        except ValueError:
            continue
        if "Beginning flow run" in line:
            ends["start-up"] = at
        elif "Task run '" in line and "Finished in state" in line:
            name = line.split("Task run '", 1)[1].split("'", 1)[0]
            fetches += name.startswith("fetch-")
            stage = "fetch" if name.startswith("fetch-") else next((s for s in STAGES if name.startswith(s)), "")
            if stage and (stage != "fetch" or fetches == 3):
                ends[stage] = at
        elif "Flow run '" in line and "Finished in state" in line:
            ends["after export"] = at
    return ends


def stage_from_log(text: str) -> str:
    """The stage a run was in when killed: the first one its log does not show finished."""
    ends = stage_ends(text)
    stage = next((s for s in STAGES if s not in ends), "exiting")
    if stage == "fetch":
        fetched = sum(1 for line in text.splitlines() if "Task run 'fetch-" in line and "Finished in state" in line)
        return f"fetch ({fetched} of 3 done)"
    return stage


def stage_windows(text: str, started: datetime, seconds: float) -> dict[str, tuple[float, float]]:
    """Each stage's span in seconds from the process start, from a complete run's log."""
    ends = stage_ends(text)
    windows: dict[str, tuple[float, float]] = {}
    begin = 0.0
    for stage in STAGES:
        end = (ends[stage] - started).total_seconds() if stage in ends else seconds
        windows[stage] = (begin, max(begin, end))
        begin = max(begin, end)
    return windows


@dataclass
class CsvState:
    ok: bool
    rows: list[dict[str, str]] = field(default_factory=list)
    problem: str = ""


def read_csv(path: Path, columns: tuple[str, ...] | list[str]) -> CsvState:
    """A CSV read whole: the expected header, every row as wide, a final newline."""
    data = path.read_bytes()
    if not data.endswith(b"\n"):
        return CsvState(False, problem=f"{path.name}: no final newline (cut short?)")
    try:
        with path.open(encoding="utf-8", newline="") as f:
            table = list(csv.reader(f, strict=True))
    except (csv.Error, UnicodeDecodeError) as e:
        return CsvState(False, problem=f"{path.name}: {e}")
    if not table or table[0] != list(columns):
        return CsvState(False, problem=f"{path.name}: unexpected header")
    narrow = [n for n, row in enumerate(table[1:], start=2) if len(row) != len(columns)]
    if narrow:
        return CsvState(False, problem=f"{path.name}: line {narrow[0]} has the wrong number of cells")
    return CsvState(True, [dict(zip(table[0], row, strict=True)) for row in table[1:]])


def csv_files(folder: Path) -> dict[str, Path]:
    return {p.name: p for p in sorted(folder.glob("*.csv"))}


def columns_of(name: str) -> tuple[str, ...] | list[str]:
    return CSV_COLUMNS.get(name, export.PROSPECT_COLUMNS)  # prospects-YYYY-MM-DD.csv


def snapshot(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Each CSV's inode and content: a file replaced by a rename has a new inode."""
    return {name: (path.stat().st_ino, path.read_bytes()) for name, path in csv_files(folder).items()}


def after_kill(folder: Path, before: dict[str, tuple[int, bytes]]) -> tuple[str, list[str]]:
    """How the kill left the CSVs and the database: each CSV the old file untouched (same inode, same
    bytes) or a new one (renamed in) read whole; the database's integrity check."""
    old = new = 0
    problems = []
    for name, path in csv_files(folder).items():
        state = read_csv(path, columns_of(name))
        inode, content = before.get(name, (-1, b""))
        if not state.ok:
            problems.append(f"after kill: {state.problem}")
        elif path.stat().st_ino != inode:
            new += 1
        elif path.read_bytes() == content:
            old += 1
        else:
            problems.append(f"after kill: {name} changed in place")
    missing = [name for name in before if not (folder / name).exists()]
    problems += [f"after kill: {name} missing" for name in missing]
    with Store(f"sqlite:///{folder.parent / 'prospecting.db'}") as store:  # as the kill left it
        problems += [f"after kill: db: {p}" for p in store.integrity_problems()]
    temps = len(list(folder.glob(".*.tmp")))
    return f"{old} old, {new} new" + (f", {temps} tmp" if temps else ""), problems


@dataclass
class Baseline:
    prospects: int
    marked: str


def check(output: Path, baseline: Baseline, killed_run: int | None, rerun_status: int) -> list[str]:
    """Everything a re-run must leave right; the names of the checks that failed (with why)."""
    failed: list[str] = []
    folder = output / SLUG
    summary_path = folder / "run.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.exists() else {}
    if rerun_status != 0 or summary.get("status") != "complete":
        failed.append(f"exit: status {rerun_status}, run.json {summary.get('status')!r}")
    with Store(f"sqlite:///{output / 'prospecting.db'}") as store:
        problems = store.integrity_problems()
        if problems:
            failed.append(f"db: {'; '.join(problems[:3])}")
        runs = store.runs(SLUG)
        with store.engine.connect() as conn:
            locks = conn.execute(select(run_locks)).all()
        stored = store.prospect_rows(SLUG)
        outreach = store.outreach(SLUG)
    statuses = {r["run_id"]: r["status"] for r in runs}
    if (
        runs[-1]["status"] != "complete"
        # killed before its end: interrupted (its lock taken over); killed after it finished its store work: complete
        or (killed_run is not None and statuses.get(killed_run) not in ("interrupted", "complete"))
        or "running" in statuses.values()
        or locks
    ):
        failed.append(f"runs: killed {statuses.get(killed_run or -1)}, last {runs[-1]['status']}, locks {len(locks)}")
    ids = [r["prospect_id"] for r in stored]
    if len(ids) != len(set(ids)) or len(ids) != baseline.prospects:
        failed.append(f"ids: {len(ids)} prospects stored ({len(set(ids))} distinct), first run had {baseline.prospects}")
    tables: dict[str, list[dict[str, str]]] = {}
    for name, path in csv_files(folder).items():
        state = read_csv(path, columns_of(name))
        if not state.ok:
            failed.append(f"csv: {state.problem}")
            continue
        tables[name] = state.rows
        pids = [r["prospect_id"] for r in state.rows]
        if len(pids) != len(set(pids)):
            failed.append(f"ids: duplicate prospect ids in {name}")
    counts = summary.get("counts", {})
    latest = tables.get("prospects-latest.csv", [])
    dated = Path(summary.get("files", {}).get("dated", folder / "none"))
    if (
        not latest
        or len(latest) != counts.get("partners")
        or len(tables.get("excluded-latest.csv", [])) != counts.get("excluded")
    ):
        failed.append(f"csv: {len(latest)} rows in prospects-latest.csv, {counts.get('partners')} partners ranked")
    elif not dated.exists() or dated.read_bytes() != (folder / "prospects-latest.csv").read_bytes():
        failed.append(f"csv: {dated.name} differs from prospects-latest.csv")
    temps = [p.relative_to(output) for p in output.rglob(".*.tmp")]
    if temps:
        failed.append(f"tmp: {', '.join(map(str, temps))}")
    mark = outreach.get(baseline.marked)
    row = next((r for r in latest if r["prospect_id"] == baseline.marked), None)
    if mark is None or mark.stage != STAGE or NOTE not in mark.notes or row is None or row["stage"] != STAGE:
        failed.append(
            f"outreach: {baseline.marked} is {mark.stage if mark else 'unmarked'} in the store, in the CSV {row and row['stage']}"
        )
    return failed


def latest_run_id(output: Path) -> int:
    with Store(f"sqlite:///{output / 'prospecting.db'}") as store:
        runs = store.runs(SLUG)
    return int(runs[-1]["run_id"]) if runs else 0


def complete_run(output: Path, env: dict[str, str], log: Path) -> tuple[int, float]:
    """Run the demo to its end: exit status and wall seconds."""
    start = time.perf_counter()
    run = start_demo(output, env, log)
    try:
        status = run.wait(timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(run.pid, signal.SIGKILL)
        status = run.wait()
    return status, time.perf_counter() - start


WRITES = "csv-write"  # a --target beside the stages: the moment a CSV is being written


def _kill(run: subprocess.Popen[bytes]) -> None:
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()


def kill_at(
    run: subprocess.Popen[bytes], log: Path, folder: Path, rng: random.Random, target: str | None, low: float, high: float
) -> tuple[float, int | None, str]:
    """SIGKILL the run's process group after a random delay drawn from [low, high); with a target
    stage, once its log shows the stage before it finished, after a delay drawn from [0, high - low)
    (that stage's length); with `csv-write`, the moment the k-th CSV's temporary file is seen (k
    drawn from 1-5). Returns the delay from the start, None or the exit status of a run that ended
    first, and what it was writing ("" when not known from here)."""
    start = time.perf_counter()
    if target == WRITES:
        wanted = rng.randrange(len(CSV_COLUMNS) + 1)  # the dated copy, then the four of CSV_COLUMNS
        seen: list[str] = []
        while len(seen) <= wanted:
            if run.poll() is not None:
                return time.perf_counter() - start, run.returncode, ""
            if folder.exists():
                for entry in os.scandir(folder):
                    if entry.name.endswith(".tmp") and ".csv." in entry.name and entry.name not in seen:
                        seen.append(entry.name)
            time.sleep(0.0002)
        _kill(run)
        return time.perf_counter() - start, None, "writing " + seen[-1].lstrip(".").split(".csv.")[0] + ".csv"
    if target and target != STAGES[0]:
        previous = STAGES[STAGES.index(target) - 1]
        while previous not in stage_ends(log.read_text(encoding="utf-8", errors="replace")):
            if run.poll() is not None:
                return time.perf_counter() - start, run.returncode, ""
            time.sleep(0.002)
        wait = rng.uniform(0, high - low)
    else:
        wait = rng.uniform(low, high) - (time.perf_counter() - start)
    try:
        ended = run.wait(timeout=max(wait, 0))
    except subprocess.TimeoutExpired:
        _kill(run)
        return time.perf_counter() - start, None, ""
    return time.perf_counter() - start, ended, ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--keep", action="store_true", help="keep the work folder (output, logs, Prefect home)")
    parser.add_argument(
        "--target",
        choices=(*STAGES, WRITES),
        help="kill in this stage (its length measured in the first run) instead of anywhere in the run; "
        f"{WRITES}: while a CSV is being written",
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="crash-bench-"))
    output = work / "output"
    logs = work / "logs"
    logs.mkdir()
    env = os.environ | {"PREFECT_HOME": str(work / "prefect-client"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    recovered = 0
    try:
        with prefect_server(work / "prefect-server") as api_url:
            env["PREFECT_API_URL"] = api_url
            started = datetime.now()
            status, full = complete_run(output, env, logs / "first.log")
            if status != 0:
                sys.exit(f"the first, complete run failed with status {status}: see {logs / 'first.log'}")
            with (output / SLUG / "prospects-latest.csv").open(encoding="utf-8", newline="") as f:
                marked = next(csv.DictReader(f))["prospect_id"]
            subprocess.run(
                [sys.executable, "-m", "prospecting.cli", "mark", marked, STAGE, "--note", NOTE, "--clinic", str(PROFILE)],
                cwd=work,
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            with Store(f"sqlite:///{output / 'prospecting.db'}") as store:
                baseline = Baseline(len(store.prospect_rows(SLUG)), marked)
            print(f"Prefect server: {api_url} (one for all trials); work folder: {work}")
            print(f"first complete run: {full:.2f} s, {baseline.prospects} prospects; {marked} marked {STAGE!r}")
            windows = stage_windows((logs / "first.log").read_text(encoding="utf-8"), started, full)
            low, high = windows.get(args.target or "", (0.0, full))
            print("first run's stages (s from start): " + ", ".join(f"{k} {a:.2f}-{b:.2f}" for k, (a, b) in windows.items()))
            if args.target == WRITES:
                print("kills while a CSV is written: the moment the temporary file of the k-th CSV (k random) appears")
            elif args.target:
                print(
                    f"kills in {args.target!r}: once the log shows the stage before it done, after [0, {high - low:.2f}) s more"
                )
            else:
                print(f"kill delays drawn uniformly from [0, {full:.2f}) s, seed {args.seed}")
            print(HEADER)
            for trial in range(1, args.trials + 1):
                before = snapshot(output / SLUG)
                runs_before = latest_run_id(output)
                log = logs / f"trial-{trial}-killed.log"
                run = start_demo(output, env, log)
                delay, ended, writing = kill_at(run, log, output / SLUG, rng, args.target, low, high)
                if ended is None:
                    stage = writing or stage_from_log(log.read_text(encoding="utf-8", errors="replace"))
                    killed_run = latest_run_id(output)
                    killed = killed_run if killed_run > runs_before else None  # None: killed before its run began
                else:
                    stage, killed = f"ended first ({ended})", None
                files, problems = after_kill(output / SLUG, before)
                status, seconds = complete_run(output, env, logs / f"trial-{trial}-rerun.log")
                problems += check(output, baseline, killed, status)
                ok = not problems
                recovered += ok
                verdict = "all passed" if ok else "; ".join(problems)
                print(
                    f"{trial:>5} {delay:>9.2f}s  {stage:<34} {files:<21} {seconds:>6.2f}s  {'yes' if ok else 'NO':<9}  {verdict}",
                    flush=True,
                )
    finally:
        if args.keep:
            print(f"kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{recovered} of {args.trials} recoveries")
    sys.exit(0 if recovered == args.trials else 1)


if __name__ == "__main__":
    main()
