"""Decimation kernels: compiled vs numpy twin (Hypothesis, adversarial arrays), vs tsdownsample
(same algorithms), and the properties charts rely on."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from console import kernels

tsd = pytest.importorskip("tsdownsample", reason="tsdownsample is the bench peer (pip install '.[bench]')")

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@st.composite
def series(draw, *, exact: bool = False, max_n: int = 400):
    """Float64 arrays built from adversarial pieces: random values, NaN runs, constant runs, ±inf,
    repeated extremes. `exact` keeps values on a coarse dyadic grid so any summation order gives
    the same mean (LTTB compares bucket means; only then are both implementations bit-identical)."""
    n = draw(st.integers(0, max_n))
    if exact:
        values = st.integers(-2000, 2000).map(lambda k: k / 8.0)
    else:
        values = st.floats(allow_nan=False, allow_infinity=False, width=64, min_value=-1e300, max_value=1e300)
    y = draw(hnp.arrays(np.float64, n, elements=values)).copy()
    for _ in range(draw(st.integers(0, 4))):
        if n == 0:
            break
        a = draw(st.integers(0, n - 1))
        b = draw(st.integers(a, min(n, a + draw(st.integers(1, 80)))))
        kind = draw(st.sampled_from(["nan", "const", "inf", "-inf"] if not exact else ["nan", "const"]))
        y[a:b] = {"nan": np.nan, "const": y[a], "inf": np.inf, "-inf": -np.inf}[kind]
    return y


@st.composite
def with_x(draw, y):
    if draw(st.booleans()):
        return None
    steps = draw(hnp.arrays(np.int64, len(y), elements=st.integers(0, 5_000)))
    x = np.cumsum(steps)  # sorted, with repeats (step 0) and gaps
    if draw(st.booleans()):
        x = x + 1_700_000_000_000_000_000  # epoch ns
    return x


def _check_indices(idx: np.ndarray, n: int, n_out: int) -> None:
    assert idx.dtype == np.int64
    assert len(idx) <= max(n_out, 0) or len(idx) == n
    if len(idx):
        assert idx[0] >= 0 and idx[-1] < n
        assert np.all(np.diff(idx) >= 0), "indices must be sorted"


@pytest.mark.parametrize("algo,multiple", [("minmax", 2), ("m4", 4)])
@SETTINGS
@given(data=st.data())
def test_binned_compiled_equals_twin(compiled_decimate, twin_decimate, simd_mode, algo, multiple, data):
    y = data.draw(series())
    x = data.draw(with_x(y))
    n_out = multiple * data.draw(st.integers(1, 60))
    threads = data.draw(st.sampled_from([None, 1, 2, 3]))
    ours = getattr(compiled_decimate, algo)(x, y, n_out, threads=threads)
    twin = getattr(twin_decimate, algo)(x, y, n_out)
    np.testing.assert_array_equal(ours, twin)
    _check_indices(ours, len(y), n_out)


@pytest.mark.parametrize("algo", ["lttb", "minmax_lttb"])
@SETTINGS
@given(data=st.data())
def test_lttb_compiled_equals_twin(compiled_decimate, twin_decimate, simd_mode, algo, data):
    y = data.draw(series(exact=True))
    x = data.draw(with_x(y))
    n_out = data.draw(st.integers(3, 80))
    kw = {"ratio": data.draw(st.integers(2, 6))} if algo == "minmax_lttb" else {}
    ours = getattr(compiled_decimate, algo)(x, y, n_out, **kw)
    twin = getattr(twin_decimate, algo)(x, y, n_out, **kw)
    np.testing.assert_array_equal(ours, twin)
    _check_indices(ours, len(y), n_out)
    if len(y) > n_out:
        assert ours[0] == 0 and ours[-1] == len(y) - 1
        # x-binning of repeated timestamps can leave fewer candidates than n_out, never more
        assert len(ours) == n_out if x is None else len(ours) <= n_out


def _peer(algo: str):
    return {
        "minmax": tsd.MinMaxDownsampler(),
        "m4": tsd.M4Downsampler(),
        "lttb": tsd.LTTBDownsampler(),
        "minmax_lttb": tsd.MinMaxLTTBDownsampler(),
    }[algo]


@pytest.mark.parametrize("impl", ["compiled", "twin"])
@pytest.mark.parametrize("algo", ["minmax", "m4", "lttb", "minmax_lttb"])
@pytest.mark.parametrize("n", [10, 101, 2_000, 20_003, 250_000])
@pytest.mark.parametrize("use_x", [False, True])
def test_same_indices_as_tsdownsample(request, impl, algo, n, use_x):
    mod = request.getfixturevalue(f"{impl}_decimate")
    rng = np.random.default_rng(n)
    y = np.cumsum(rng.standard_normal(n))
    x = np.cumsum(rng.integers(1, 50, n)).astype(np.int64) - 1 if use_x else None
    x = x - x[0] if x is not None else None  # tsdownsample works in raw x; ours translates by x[0]
    for n_out in (8, 100, 2_000):
        args = (y,) if x is None else (x, y)
        ours = getattr(mod, algo)(x, y, n_out, threads=2)
        peer = _peer(algo).downsample(*args, n_out=n_out).astype(np.int64)
        np.testing.assert_array_equal(ours, peer, err_msg=f"{algo} n={n} n_out={n_out} x={use_x}")


@pytest.mark.parametrize("impl", ["compiled", "twin"])
def test_nan_ignored_like_tsdownsample(request, impl):
    mod = request.getfixturevalue(f"{impl}_decimate")
    rng = np.random.default_rng(7)
    y = rng.standard_normal(50_000)
    y[rng.random(len(y)) < 0.2] = np.nan
    y[10_000:13_000] = np.nan  # whole bins of NaN
    for algo in ("minmax", "m4"):
        ours = getattr(mod, algo)(None, y, 400)
        peer = _peer(algo).downsample(y, n_out=400).astype(np.int64)
        np.testing.assert_array_equal(ours, peer)


@pytest.mark.parametrize("algo", ["minmax", "m4", "lttb", "minmax_lttb"])
def test_thread_count_never_changes_the_result(compiled_decimate, algo):
    rng = np.random.default_rng(3)
    y = rng.standard_normal(600_000)
    y[::97] = np.nan
    x = np.cumsum(rng.integers(0, 1_000, len(y))).astype(np.int64)
    fn = getattr(compiled_decimate, algo)
    for xx in (None, x):
        ref = fn(xx, y, 1_000, threads=1)
        for threads in (2, 3, 8, None):
            np.testing.assert_array_equal(fn(xx, y, 1_000, threads=threads), ref)


@pytest.mark.parametrize("impl", ["compiled", "twin"])
def test_minmax_keeps_extremes_and_gaps(request, impl):
    """What a chart needs: the global min and max survive, and a gap wider than a bin stays NaN."""
    mod = request.getfixturevalue(f"{impl}_decimate")
    t = np.arange(100_000, dtype=np.int64) * 1_000_000_000
    y = np.sin(np.arange(100_000) / 500.0)
    y[31_337] = 9.0
    y[77_777] = -9.0
    y[50_000:60_000] = np.nan
    idx = mod.minmax(t, y, 200)
    assert 31_337 in idx and 77_777 in idx
    assert np.isnan(y[idx]).any(), "an all-NaN bin must yield a NaN sample (a break in the line)"


@pytest.mark.parametrize("impl", ["compiled", "twin"])
def test_edges(request, impl):
    mod = request.getfixturevalue(f"{impl}_decimate")
    empty = np.array([], dtype=np.float64)
    for algo, n_out in (("minmax", 2), ("m4", 4), ("lttb", 3), ("minmax_lttb", 3)):
        fn = getattr(mod, algo)
        assert fn(None, empty, n_out).tolist() == []
        assert fn(None, [1.0], n_out).tolist() == [0]
        assert fn(None, [1.0, 2.0], n_out).tolist() == [0, 1]
        assert fn(None, np.arange(7.0), 400).tolist() == list(range(7))  # n_out >= n: everything
        assert fn(np.arange(5), np.full(5, np.nan), n_out).dtype == np.int64
    # x all equal (one instant): one bin, never an empty result
    assert len(mod.minmax(np.zeros(50, np.int64), np.arange(50.0), 10)) == 2
    with pytest.raises(ValueError):
        mod.minmax(None, np.arange(10.0), 3)
    with pytest.raises(ValueError):
        mod.m4(None, np.arange(10.0), 6)
    with pytest.raises(ValueError):
        mod.lttb(None, np.arange(10.0), 2)
    with pytest.raises(ValueError):
        mod.minmax_lttb(None, np.arange(10.0), 4, ratio=1)
    with pytest.raises(ValueError):
        mod.minmax(np.arange(9), np.arange(10.0), 4)
    with pytest.raises(ValueError):
        mod.minmax(None, np.zeros((3, 3)), 4)
    with pytest.raises(TypeError):
        mod.minmax(None, np.arange(10.0), 4.0)
    # other dtypes are accepted: float32/int y, datetime64 x
    t = np.arange(100).astype("datetime64[s]")
    np.testing.assert_array_equal(
        mod.minmax(t, np.arange(100, dtype=np.float32), 10),
        mod.minmax(t.astype(np.int64) * 10**9, np.arange(100.0), 10),
    )


def test_public_api_dispatches():
    assert kernels.IMPLEMENTATION in ("cython", "python")
    y = np.random.default_rng(1).standard_normal(10_000)
    for name in ("minmax", "m4", "lttb", "minmax_lttb"):
        assert len(getattr(kernels, name)(None, y, 100)) == 100


def test_pure_python_switch():
    code = "import console.kernels as k; print(k.IMPLEMENTATION, k.minmax.__module__)"
    env = {**os.environ, "RASAD_PURE_PYTHON": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["python", "console.kernels.decimate"], out.stderr
    env["RASAD_PURE_PYTHON"] = "0"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.split()[0] == "cython", out.stderr


@SETTINGS
@given(data=st.data())
def test_bin_minmax_compiled_equals_twin(compiled_decimate, twin_decimate, simd_mode, data):
    y = data.draw(series())
    if not len(y):
        return
    cuts = sorted({*data.draw(st.lists(st.integers(0, len(y)), max_size=40)), 0, len(y)})
    pairs = [(a, b) for a, b in itertools.pairwise(cuts) if b > a]
    pairs = [p for p in pairs if data.draw(st.booleans())] or pairs  # bins may leave gaps
    starts = np.array([a for a, _ in pairs], dtype=np.int64)
    ends = np.array([b for _, b in pairs], dtype=np.int64)
    lo, hi = compiled_decimate.bin_minmax(y, starts, ends, threads=data.draw(st.sampled_from([1, 2])))
    tlo, thi = twin_decimate.bin_minmax(y, starts, ends)
    np.testing.assert_array_equal(lo, tlo)
    np.testing.assert_array_equal(hi, thi)
    assert np.all((lo >= starts) & (hi < ends) & (lo <= hi))


@pytest.mark.parametrize("impl", ["compiled", "twin"])
def test_bin_minmax_rejects_bad_bins(request, impl):
    mod = request.getfixturevalue(f"{impl}_decimate")
    with pytest.raises(ValueError):
        mod.bin_minmax(np.arange(10.0), [0, 5], [5, 11])
    with pytest.raises(ValueError):
        mod.bin_minmax(np.arange(10.0), [3], [3])
    assert mod.bin_minmax(np.arange(10.0), [], [])[0].size == 0
