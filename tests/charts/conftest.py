"""Fixtures for the charts room: both kernel implementations, side by side."""

from __future__ import annotations

import importlib

import pytest

from tests.gui.conftest import make_core, window  # noqa: F401  (shared GUI fixtures)


@pytest.fixture(scope="session")
def compiled_decimate():
    try:
        return importlib.import_module("console.kernels._decimate")
    except ImportError as exc:  # a missing build is a failure, not a skip
        pytest.fail(f"compiled decimation kernel not built: {exc} (run `make venv`)")


@pytest.fixture(scope="session")
def twin_decimate():
    return importlib.import_module("console.kernels.decimate")


@pytest.fixture(scope="session")
def compiled_rolling():
    try:
        return importlib.import_module("console.kernels._rolling")
    except ImportError as exc:
        pytest.fail(f"compiled rolling kernel not built: {exc} (run `make venv`)")


@pytest.fixture(scope="session")
def twin_rolling():
    return importlib.import_module("console.kernels.rolling")


@pytest.fixture(params=[True, False], ids=["simd", "portable"])
def simd_mode(request, compiled_decimate):
    """Run a test with the AVX2 paths allowed and forbidden (the portable C path)."""
    compiled_decimate.set_simd(request.param)
    yield request.param
    compiled_decimate.set_simd(True)
