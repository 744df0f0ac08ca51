"""The map kernels: compiled Cython against the numpy twin, and both against first principles."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from console import kernels


@pytest.fixture(params=["cython", "python"])
def impl(request, monkeypatch):
    def get(name):
        if request.param == "python":
            monkeypatch.setenv("RASAD_PURE_PYTHON", "1")
        mod, which = kernels.load(name)
        assert which == request.param, "the compiled kernel must be built (make venv)"
        return mod

    return get


def test_cluster_twins_agree():
    rng = np.random.default_rng(5)
    n = 20_000
    px = rng.uniform(-100, 5000, n)
    py = rng.uniform(-100, 3000, n)
    px[:50] = np.nan
    group = rng.integers(-1, 3, n).astype(np.int32)
    args = (px, py, group, 3, 2, 64.0, 60, 40, 3)
    a = importlib.import_module("console.kernels._cluster").grid_cluster(*args)
    b = importlib.import_module("console.kernels.cluster").grid_cluster(*args)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_allclose(x, y)


def test_cluster_counts_from_first_principles(impl):
    mod = impl("cluster")
    px = np.array([10.0, 20.0, 70.0, 130.0, 130.0, 1e9])
    py = np.array([10.0, 60.0, 10.0, 10.0, 10.0, 0.0])
    group = np.array([0, 1, 2, 0, -1, 0], np.int32)
    cell_of, count, sx, sy, mix = mod.grid_cluster(px, py, group, 0, 0, 64.0, 3, 2, 3)
    assert cell_of.tolist() == [0, 0, 1, 2, -1, -1]
    assert count.tolist() == [2, 1, 1, 0, 0, 0]
    assert sx[0] == 30.0 and sy[0] == 70.0
    assert mix[0].tolist() == [1, 1, 0] and mix[2].tolist() == [1, 0, 0]


def test_heat_idw_twins_agree():
    rng = np.random.default_rng(9)
    sx, sy = rng.uniform(0, 10_000, 40), rng.uniform(0, 10_000, 40)
    sv = rng.uniform(10, 300, 40)
    gx, gy = np.linspace(-500, 10_500, 97), np.linspace(-500, 10_500, 83)
    sx[0], sy[0] = gx[10], gy[20]  # a station exactly on a cell centre
    a = importlib.import_module("console.kernels._heat").idw(sx, sy, sv, gx, gy, 2.0)
    b = importlib.import_module("console.kernels.heat").idw(sx, sy, sv, gx, gy, 2.0)
    np.testing.assert_allclose(a[0], b[0], rtol=1e-5)
    np.testing.assert_allclose(a[1], b[1], rtol=1e-5)
    assert a[0][20, 10] == pytest.approx(sv[0], rel=1e-6)
    d1 = importlib.import_module("console.kernels._heat").density(sx, sy, sv, gx, gy, 700.0)
    d2 = importlib.import_module("console.kernels.heat").density(sx, sy, sv, gx, gy, 700.0)
    np.testing.assert_allclose(d1, d2, rtol=1e-5)


def test_idw_properties(impl):
    mod = impl("heat")
    sx, sy, sv = np.array([0.0, 1000.0]), np.array([0.0, 0.0]), np.array([100.0, 200.0])
    gx, gy = np.array([0.0, 500.0, 1000.0, 5000.0]), np.array([0.0])
    v, near = mod.idw(sx, sy, sv, gx, gy, 2.0)
    assert v[0, 0] == 100.0 and v[0, 2] == 200.0
    assert v[0, 1] == pytest.approx(150.0)  # equidistant: the mean
    assert 100.0 <= v[0, 3] <= 200.0  # never outside the measured range
    assert near[0].tolist() == pytest.approx([0.0, 500.0, 0.0, 4000.0])
    empty_v, empty_n = mod.idw([], [], [], gx, gy)
    assert np.isnan(empty_v).all() and np.isinf(empty_n).all()


def test_density_peaks_at_points(impl):
    mod = impl("heat")
    d = mod.density([500.0], [500.0], [2.0], np.linspace(0, 1000, 11), np.linspace(0, 1000, 11), 100.0)
    assert d.argmax() == 5 * 11 + 5 and d.max() == pytest.approx(2.0)
