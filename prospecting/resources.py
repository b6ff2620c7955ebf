"""Where the tunable data files (`config/*.toml`) and the bundled demo data are found."""

from __future__ import annotations

import os
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from prospecting.errors import ConfigError

_PACKAGE = Path(__file__).resolve().parent


def config_dir() -> Path:
    """The folder of categories.toml, niches.toml and matching.toml.

    `PROSPECTING_CONFIG_DIR` wins; then the repository's `config/` (an editable install);
    then the copy bundled into an installed wheel.
    """
    override = os.environ.get("PROSPECTING_CONFIG_DIR")
    if override:
        return Path(override)
    repo = _PACKAGE.parent / "config"
    if (repo / "categories.toml").exists():
        return repo
    return _PACKAGE / "_config"


def demo_data_dir() -> Path:
    return _PACKAGE / "demo" / "data"


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file, or raise ConfigError naming the file and the parser's complaint."""
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError as e:
        raise ConfigError(f"{path}: file not found") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: malformed TOML: {e} (expected valid TOML)") from e
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text (expected a UTF-8 TOML file)") from e
    except IsADirectoryError as e:
        raise ConfigError(f"{path}: is a folder (expected a TOML file)") from e


@cache
def config_table(name: str) -> dict[str, Any]:
    """One of the tunable config files by stem, e.g. `config_table("niches")`."""
    return read_toml(config_dir() / f"{name}.toml")
