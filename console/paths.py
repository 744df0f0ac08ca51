"""Where Rasad keeps its files: platform config/data dirs (overridable by env) and shipped resources."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from console import APP_NAME

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RESOURCES = PROJECT_ROOT / "resources"
IN_TREE_PLUGINS = PROJECT_ROOT / "plugins"


def config_dir() -> Path:
    """Settings and saved layouts. `RASAD_CONFIG_DIR` overrides (tests, portable installs)."""
    env = os.environ.get("RASAD_CONFIG_DIR")
    return Path(env) if env else Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    """Databases, recordings, quarantine. `RASAD_DATA_DIR` overrides."""
    env = os.environ.get("RASAD_DATA_DIR")
    return Path(env) if env else Path(platformdirs.user_data_dir(APP_NAME))


def resource(*parts: str) -> Path:
    return RESOURCES.joinpath(*parts)
