"""Shared test setup: isolated config/data dirs, offscreen Qt, the real-world corpus beside the clone."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")


@pytest.fixture(scope="session", autouse=True)
def _isolated_dirs(tmp_path_factory):
    """Never touch the real ~/.config or ~/.local/share from tests."""
    base = tmp_path_factory.mktemp("rasad-home")
    os.environ["RASAD_CONFIG_DIR"] = str(base / "config")
    os.environ["RASAD_DATA_DIR"] = str(base / "data")
    yield base


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.fail(f"the shared corpus is missing: expected {CORPUS} (../shared beside the clone)")
    return CORPUS


@pytest.fixture
def python_exe() -> str:
    return sys.executable


@pytest.fixture(autouse=True)
def _reset_language():
    from console import i18n

    yield
    i18n.set_lang("fa")
