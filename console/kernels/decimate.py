"""Decimation for charts, in numpy: the twin of `_decimate.pyx` (same results, index for index).

Every function returns sorted int64 indices into `y` (non-decreasing: a bin whose min and max are
the same sample repeats it, as tsdownsample does). `x` is optional (None = the implicit index
0..n-1); when given it must be sorted (int64 ns time, datetime64 or float) and bins are equal-width
in x. NaN values are ignored when choosing points; a bin that holds only NaN yields its first index
(a NaN), so a gap wider than a bin stays a gap on screen. `threads` is accepted for a uniform
signature and ignored here.

Algorithms (the same as tsdownsample's, so results can be checked against it):
- `minmax`: per bin the first argmin and first argmax; n_out/2 bins.
- `m4`: per bin first, argmin, argmax, last; n_out/4 bins.
- `lttb`: Largest-Triangle-Three-Buckets; always keeps the first and last point.
- `minmax_lttb`: MinMax down to n_out*ratio points, then LTTB (MinMaxLTTB, arXiv:2305.00332).
- `bin_minmax(y, starts, ends)`: the MinMax scan over caller-chosen bins (charts use pixel-aligned
  time bins, so a live chart only rescans the bins that received new samples).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from console.kernels import prep

# Work on at most this many samples at a time, so temporaries stay bounded for 1e8-point inputs.
_CHUNK = 1 << 22


def _bin_argminmax(y: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First NaN-ignoring argmin/argmax of each non-empty bin [starts_i, ends_i); all-NaN -> start.
    Bins may leave gaps between them; they are processed in groups of about _CHUNK samples."""
    imin = starts.copy()
    imax = starts.copy()
    nb = len(starts)
    b = 0
    while b < nb:
        lens_all = ends[b:] - starts[b:]
        e = b + max(1, int(np.searchsorted(np.cumsum(lens_all), _CHUNK, side="right")))
        s_, e_ = starts[b:e], ends[b:e]
        lens = e_ - s_
        offs = np.concatenate([[0], np.cumsum(lens)[:-1]])  # each bin's start in the packed samples
        pos = np.repeat(s_ - offs, lens) + np.arange(int(lens.sum()))
        packed = y[pos]
        for fn, out in ((np.fmin, imin), (np.fmax, imax)):
            ext = fn.reduceat(packed, offs)
            hits = np.flatnonzero(packed == np.repeat(ext, lens))  # NaN extremes (all-NaN bins) never hit
            if len(hits):
                cand = hits[np.minimum(np.searchsorted(hits, offs), len(hits) - 1)]
                found = (cand >= offs) & (cand < offs + lens)
                out[b:e] = np.where(found, pos[np.minimum(cand, len(pos) - 1)], s_)
        b = e
    return imin, imax


def bin_minmax(
    y: Any, starts: Any, ends: Any, *, threads: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per given bin [starts_i, ends_i): (first argmin, first argmax) in index order (lo <= hi)."""
    y = prep.as_y(y)
    starts, ends = prep.as_bins(starts, ends, len(y))
    if not len(starts):
        return starts.copy(), starts.copy()
    return prep.sorted_pair(*_bin_argminmax(y, starts, ends))


def _binned(x: Any, y: Any, n_out: int, per_bin: int) -> np.ndarray:
    """MinMax (per_bin=2: argmin, argmax) or M4 (per_bin=4: first, argmin, argmax, last) per bin."""
    y = prep.as_y(y)
    x = prep.as_x(x, len(y))
    n_out = prep.check_n_out(n_out, multiple=per_bin, minimum=per_bin)
    n = len(y)
    if n_out >= n:
        return np.arange(n, dtype=np.int64)
    nb = n_out // per_bin
    starts, ends = prep.index_bins(n, nb) if x is None else prep.x_bins(x, nb)
    lo, hi = prep.sorted_pair(*_bin_argminmax(y, starts, ends))
    columns = [lo, hi] if per_bin == 2 else [starts, lo, hi, ends - 1]
    if x is None:
        return np.stack(columns, axis=1).ravel()
    return prep.assemble_bins(starts, ends, columns, per_bin)


def minmax(x: Any, y: Any, n_out: int, *, threads: int | None = None) -> np.ndarray:
    return _binned(x, y, n_out, 2)


def m4(x: Any, y: Any, n_out: int, *, threads: int | None = None) -> np.ndarray:
    return _binned(x, y, n_out, 4)


def _nanmean(seg: np.ndarray) -> float:
    fin = seg[~np.isnan(seg)]
    return float(fin.sum()) / len(fin) if len(fin) else float("nan")


def _pick(area: np.ndarray) -> int:
    """First index of the largest |area| ignoring NaN; 0 when every area is NaN."""
    area = np.where(np.isnan(area), -1.0, area)
    return int(np.argmax(area))


def _lttb(x: np.ndarray | None, y: np.ndarray, n_out: int) -> np.ndarray:
    n = len(y)
    if n_out >= n:
        return np.arange(n, dtype=np.int64)
    every = (n - 2) / (n_out - 2)
    out = np.empty(n_out, dtype=np.int64)
    out[0] = 0
    out[-1] = n - 1
    xf = None if x is None else x  # translated lazily per bucket (see below)
    x0 = None if x is None else x[0]
    a = 0
    for i in range(n_out - 2):
        avg_start = int(every * (i + 1)) + 1
        avg_end = min(int(every * (i + 2)) + 1, n)
        range_offs = int(every * i) + 1
        range_to = avg_start
        avg_y = _nanmean(y[avg_start:avg_end])
        ay = float(y[a])
        if avg_y != avg_y:
            avg_y = ay
        if ay != ay:
            ay = avg_y
        ys = y[range_offs:range_to]
        if xf is None:
            avg_x = (avg_start + avg_end - 1) / 2.0
            ax = float(a)
            d1 = ax - avg_x
            d2 = avg_y - ay
            ax0 = ax - range_offs
            offset = d1 * ay
            axs = ax0 - np.arange(range_to - range_offs, dtype=np.float64)
            area = np.abs(d1 * ys - axs * d2 - offset)
        else:
            xa = float(xf[a] - x0)
            avg_x = (float(xf[avg_end - 1] - x0) + float(xf[avg_start] - x0)) / 2.0
            d1 = xa - avg_x
            d2 = avg_y - ay
            offset = d1 * ay + d2 * xa
            xs = (xf[range_offs:range_to] - x0).astype(np.float64)
            area = np.abs(d1 * ys + d2 * xs - offset)
        a = range_offs + _pick(area)
        out[i + 1] = a
    return out


def lttb(x: Any, y: Any, n_out: int, *, threads: int | None = None) -> np.ndarray:
    y = prep.as_y(y)
    x = prep.as_x(x, len(y))
    n_out = prep.check_n_out(n_out, minimum=3)
    return _lttb(x, y, n_out)


def minmax_lttb(x: Any, y: Any, n_out: int, ratio: int = 4, *, threads: int | None = None) -> np.ndarray:
    return prep.minmax_lttb(x, y, n_out, ratio, minmax=minmax, lttb=_lttb)
