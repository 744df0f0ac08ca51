"""Argument checks and index plans shared by the compiled kernels and their numpy twins.

Both implementations call these, so they see the same arrays, the same bins and the same windows;
the kernels differ only in how fast they scan. Everything here is O(bins) or one numpy pass.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

# Below this many points per thread, starting threads costs more than it saves.
MIN_POINTS_PER_THREAD = 1 << 17


def cpu_threads() -> int:
    """Cores this process may run on (respects taskset/cgroup affinity)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def thread_count(n: int, threads: int | None) -> int:
    """Threads to use for `n` points: `threads` if given (>= 1), else all cores when it pays."""
    if threads is not None:
        if int(threads) < 1:
            raise ValueError(f"threads must be >= 1, not {threads}")
        return int(threads)
    return max(1, min(cpu_threads(), n // MIN_POINTS_PER_THREAD))


def as_y(y: Any) -> np.ndarray:
    arr = np.ascontiguousarray(y, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"y must be one-dimensional, got shape {arr.shape}")
    return arr


def as_x(x: Any, n: int) -> np.ndarray | None:
    """x as contiguous int64 (integers, datetime64 as ns) or float64; None stays None."""
    if x is None:
        return None
    arr = np.asarray(x)
    if arr.dtype.kind in "Mm":
        arr = arr.astype("datetime64[ns]" if arr.dtype.kind == "M" else "timedelta64[ns]").view(np.int64)
    if arr.dtype.kind in "iub":
        arr = np.ascontiguousarray(arr, dtype=np.int64)
    else:
        arr = np.ascontiguousarray(arr, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"x must be one-dimensional, got shape {arr.shape}")
    if len(arr) != n:
        raise ValueError(f"x and y differ in length ({len(arr)} != {n})")
    return arr


def check_n_out(n_out: Any, *, multiple: int = 1, minimum: int = 1) -> int:
    if isinstance(n_out, bool) or not isinstance(n_out, int | np.integer):
        raise TypeError(f"n_out must be an integer, not {type(n_out).__name__}")
    n_out = int(n_out)
    if n_out < minimum:
        raise ValueError(f"n_out must be >= {minimum}, not {n_out}")
    if n_out % multiple:
        raise ValueError(f"n_out must be a multiple of {multiple}, not {n_out}")
    return n_out


def check_ratio(ratio: Any) -> int:
    if isinstance(ratio, bool) or not isinstance(ratio, int | np.integer) or int(ratio) < 2:
        raise ValueError(f"ratio must be an integer >= 2, not {ratio!r}")
    return int(ratio)


def index_bins(n: int, nb: int) -> tuple[np.ndarray, np.ndarray]:
    """Bins over the implicit index 0..n-1 (tsdownsample's rule): bin i is [start_i, end_i)."""
    block = (n - 1) / nb
    ends = (block * np.arange(1, nb + 1, dtype=np.float64)).astype(np.int64) + 1
    starts = np.empty(nb, dtype=np.int64)
    starts[0] = 0
    starts[1:] = ends[:-1]
    return starts, ends


def x_bins(x: np.ndarray, nb: int) -> tuple[np.ndarray, np.ndarray]:
    """Equal-width bins over the values of sorted `x`; only non-empty bins are returned.

    Edges follow tsdownsample (step = x[-1]/nb - x[0]/nb, edge_i = x[0] + step*(i+1), cast to x's
    type, each bin ends after the last x <= its edge). One deliberate difference: the last bin always
    ends at len(x), so rounding of the last edge can never drop the newest point of a live chart.
    """
    n = len(x)
    x0, x1 = float(x[0]), float(x[-1])
    step = x1 / nb - x0 / nb
    edges = x0 + step * np.arange(1, nb + 1, dtype=np.float64)
    if x.dtype == np.int64:
        lo, hi = np.iinfo(np.int64).min, np.iinfo(np.int64).max
        edges = np.clip(edges, lo, hi).astype(np.int64)
    ends = np.searchsorted(x, edges, side="right").astype(np.int64)
    ends[-1] = n
    np.maximum.accumulate(ends, out=ends)  # unsorted x must never produce backwards bins
    starts = np.empty(nb, dtype=np.int64)
    starts[0] = 0
    starts[1:] = ends[:-1]
    keep = ends > starts
    return starts[keep], ends[keep]


def as_bins(starts: Any, ends: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Checked [start, end) bins over y of length n: int64, same length, 0 <= start < end <= n."""
    s = np.ascontiguousarray(starts, dtype=np.int64)
    e = np.ascontiguousarray(ends, dtype=np.int64)
    if s.ndim != 1 or s.shape != e.shape:
        raise ValueError("starts and ends must be one-dimensional and of equal length")
    if len(s) and (s.min() < 0 or e.max() > n or np.any(e <= s)):
        raise ValueError(f"bins must satisfy 0 <= start < end <= {n}")
    return s, e


def sorted_pair(imin: np.ndarray, imax: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.minimum(imin, imax), np.maximum(imin, imax)


def assemble_bins(starts: np.ndarray, ends: np.ndarray, columns: list[np.ndarray], limit: int) -> np.ndarray:
    """Output of x-binned MinMax/M4: the column indices per bin, or every index of a bin that holds
    no more than `limit` samples (tsdownsample's rule), in order."""
    small = (ends - starts) <= limit
    big = np.stack([c[~small] for c in columns], axis=1).ravel().astype(np.int64)
    if not small.any():
        return big
    s, lens = starts[small], (ends - starts)[small]
    every = np.repeat(s - (np.cumsum(lens) - lens), lens) + np.arange(int(lens.sum()), dtype=np.int64)
    out = np.concatenate([big, every.astype(np.int64)])
    out.sort(kind="stable")
    return out


def minmax_lttb(x: Any, y: Any, n_out: int, ratio: int, *, minmax, lttb) -> np.ndarray:
    """MinMaxLTTB: MinMax of y[1:-1] to n_out*ratio points (plus both ends), then LTTB over those,
    with the original positions (or x) as the LTTB x. `minmax(x, y, n_out)` and `lttb(x, y, n_out)`
    are the implementation's own kernels (checked arrays in, indices out)."""
    y = as_y(y)
    x = as_x(x, len(y))
    n_out = check_n_out(n_out, minimum=3)
    ratio = check_ratio(ratio)
    n = len(y)
    if n // n_out <= ratio:
        return lttb(x, y, n_out)
    inner = n_out * ratio // 2 * 2
    idx = minmax(None if x is None else x[1:-1], y[1:-1], inner) + 1
    idx = np.concatenate([np.zeros(1, np.int64), idx, np.full(1, n - 1, np.int64)])
    sel = lttb(idx if x is None else x[idx], y[idx], n_out)
    return idx[sel]


def window_starts(n: int, window: Any, t: Any, *, include_current: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per sample i, the half-open window [lo_i, hi_i) of samples that feed its statistic.

    Without `t`, `window` counts samples (the last `window`, the current one included unless
    `include_current` is False, in which case the `window` samples before it). With `t` (sorted int64
    ns or float), `window` is a duration: samples with t_j in (t_i - window, t_i], or (.., t_i) when the
    current sample is excluded.
    """
    idx = np.arange(n, dtype=np.int64)
    hi = idx + 1 if include_current else idx.copy()
    if t is None:
        if isinstance(window, bool) or not isinstance(window, int | np.integer) or int(window) < 1:
            raise ValueError(f"window must be a positive sample count, not {window!r}")
        lo = np.maximum(hi - int(window), 0)
        return lo, hi
    tt = as_x(t, n)
    if not (window > 0):
        raise ValueError(f"window must be a positive duration, not {window!r}")
    lo = np.searchsorted(tt, tt - (int(window) if tt.dtype == np.int64 else float(window)), side="right")
    lo = np.minimum(lo.astype(np.int64), hi)
    return lo, hi


LN2_NEG = -math.log(2.0)


def ewma_alpha(
    n: int, alpha: float | None, halflife: float | None, t: Any
) -> tuple[float, np.ndarray | None]:
    """Constant smoothing factor, or (with `t` and `halflife`) the per-step decay exp(-ln2*dt/halflife)."""
    if (alpha is None) == (halflife is None):
        raise ValueError("give exactly one of alpha or halflife")
    if alpha is not None:
        if not (0.0 < alpha <= 1.0):
            raise ValueError(f"alpha must be in (0, 1], not {alpha}")
        return float(alpha), None
    if not (halflife > 0):
        raise ValueError(f"halflife must be positive, not {halflife}")
    if t is None:
        return 1.0 - 0.5 ** (1.0 / float(halflife)), None
    tt = as_x(t, n)
    return 0.0, (tt - tt[0]).astype(np.float64) / float(halflife) if n else np.empty(0)


def finish_stats(
    mean: np.ndarray, m2: np.ndarray, cnt: np.ndarray, min_periods: int, ddof: int
) -> tuple[np.ndarray, np.ndarray]:
    """(mean, std) from running sums, NaN where fewer than `min_periods` finite samples."""
    if min_periods < 1:
        raise ValueError(f"min_periods must be >= 1, not {min_periods}")
    ok = cnt >= max(min_periods, 1)
    mean = np.where(ok, mean, np.nan)
    dof = cnt - ddof
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.where(ok & (dof > 0), np.maximum(m2, 0.0) / np.maximum(dof, 1), np.nan)
    return mean, np.sqrt(var)


# A perfectly flat baseline has std 0; floor it relative to the level so z stays finite and
# float noise around the level never reads as an anomaly.
Z_REL_FLOOR = 1e-9


def zscores(y: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    floor = Z_REL_FLOOR * np.maximum(np.abs(mean), 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (y - mean) / np.maximum(std, floor)
    z[~np.isfinite(y)] = np.nan
    return z


Stats = Any  # callable (y, lo, hi) -> (mean, m2, count), the implementation's window scan


def rolling_mean(y: Any, window: Any, t: Any, min_periods: int, stats: Stats) -> np.ndarray:
    y = as_y(y)
    lo, hi = window_starts(len(y), window, t, include_current=True)
    mean, m2, cnt = stats(y, lo, hi)
    return finish_stats(mean, m2, cnt, min_periods, 1)[0]


def rolling_std(y: Any, window: Any, t: Any, min_periods: int, ddof: int, stats: Stats) -> np.ndarray:
    y = as_y(y)
    lo, hi = window_starts(len(y), window, t, include_current=True)
    mean, m2, cnt = stats(y, lo, hi)
    return finish_stats(mean, m2, cnt, min_periods, ddof)[1]


def zscore(y: Any, window: Any, t: Any, min_periods: int, stats: Stats) -> np.ndarray:
    """z of each sample against the window *before* it (an outlier never dilutes its own score)."""
    y = as_y(y)
    lo, hi = window_starts(len(y), window, t, include_current=False)
    mean, m2, cnt = stats(y, lo, hi)
    mean, std = finish_stats(mean, m2, cnt, min_periods, 1)
    return zscores(y, mean, std)


def anomalies(z: np.ndarray, threshold: float) -> np.ndarray:
    if not (threshold > 0):
        raise ValueError(f"threshold must be positive, not {threshold!r}")
    with np.errstate(invalid="ignore"):
        return np.abs(z) > threshold
