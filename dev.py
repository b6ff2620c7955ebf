#!/usr/bin/env python3
"""Set up `.venv/` and run the demo or the checks. Needs only Python 3.11+ and the package index.

python3 dev.py demo     set up, then run the offline demo (prints where the ranked CSV is)
python3 dev.py test     set up, then run ruff, mypy and the test suite (pytest arguments may follow)
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def _setup() -> Path:
    """Create .venv and install the project (editable, with dev tools) when pyproject.toml changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs on whatever python3 the user has
        sys.exit(f"dev.py: Python {sys.version.split()[0]} is too old (expected 3.11 or newer)")
    python = BIN / "python"
    if not python.exists():
        print("Creating .venv ...", flush=True)
        venv.create(VENV, with_pip=True)
    stamp = VENV / ".prospecting-installed"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text() != digest:
        print("Installing prospecting and its dependencies into .venv ...", flush=True)
        install = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", ".[dev]"]
        if subprocess.run(install, cwd=ROOT, check=False).returncode != 0:
            sys.exit("dev.py: installing into .venv failed (see pip's message above; is the package index reachable?)")
        stamp.write_text(digest)
    return python


def _run(args: list[str]) -> int:
    return subprocess.run(args, cwd=ROOT, check=False).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test"}:
        print(__doc__)
        return 2
    python = _setup()
    if argv[0] == "demo":
        return _run([str(BIN / "prospect"), "demo", *argv[1:]])
    for check in ([str(python), "-m", "ruff", "check", "."], [str(python), "-m", "mypy"]):
        print("$", " ".join(Path(check[0]).name if i == 0 else a for i, a in enumerate(check)), flush=True)
        if _run(check) != 0:
            return 1
    return _run([str(python), "-m", "pytest", *argv[1:]])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
