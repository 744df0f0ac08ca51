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


@pytest.fixture(scope="session")
def qapp():
    """The one offscreen QApplication of the whole run (WebEngine-ready, rasad: scheme registered,
    themed like the real console). One for every folder: creating or theming the application again
    late in a run re-polishes every widget earlier tests left alive (minutes, not seconds)."""
    from console.settings import Settings
    from widgets.app import create_app, prepare_environment
    from widgets.map_scheme import is_registered

    prepare_environment(offscreen=True)
    app = create_app(Settings())
    if not is_registered():
        pytest.fail("the rasad: URL scheme was not registered before the QApplication was created")
    return app


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Delete what a test closed. pytest-qt closes the widgets a test registered and calls
    deleteLater, but Qt deletes such objects only from an event loop, and none runs between tests:
    without this ~5,000 widgets (16 live web views among them) piled up by the end of a run."""
    result = yield
    if "PySide6.QtWidgets" in sys.modules:
        from PySide6.QtCore import QEvent
        from PySide6.QtWidgets import QApplication

        if QApplication.instance() is not None:
            QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return result


@pytest.fixture(autouse=True)
def _reset_language():
    """Every test starts in Persian, right to left (the application is shared by the whole run)."""
    from console import i18n

    yield
    i18n.set_lang("fa")
    if "PySide6.QtWidgets" in sys.modules:
        from PySide6.QtWidgets import QApplication

        if QApplication.instance() is not None:
            from widgets.theme import apply_direction

            apply_direction("fa")
