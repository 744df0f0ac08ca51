"""Rolling statistics for the alarm engine, in numpy: the twin of `_rolling.pyx`.

Windows are trailing: a sample count, or (with `t`, sorted int64 ns or float) a duration in t's
units. Non-finite samples (NaN, ±inf) are skipped, never poison a window; a statistic over fewer
than `min_periods` finite samples is NaN.

- `rolling_mean(y, window, *, t=None, min_periods=1)`
- `rolling_std(y, window, *, t=None, min_periods=2, ddof=1)`
- `ewma(y, *, alpha=None, halflife=None, t=None)`: exponentially weighted mean; with `t` the
  half-life is a duration and irregular sampling decays by the real gap. A non-finite sample leaves
  the state unchanged (the output carries the last level).
- `zscore(y, window, *, t=None, min_periods=5)`: z of each sample against the window before it.
- `anomalies(y, window, threshold=3.0, *, t=None, min_periods=5)`: |z| > threshold.

The twin sums every window exactly (two passes, O(n * window)); the compiled kernel runs Welford's
add/remove recurrence in O(n). They agree to rounding (tests bound the difference).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from console.kernels import prep

# rows x window-length elements gathered at once; bounds the temporaries for long windows
_CHUNK = 1 << 20


def window_stats(y: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean, M2 = sum of squared deviations, count) of the finite samples in each [lo_i, hi_i).

    Exact corrected two-pass sums per window (O(n * longest window), gathered in chunks): the
    reference the compiled Welford recurrence is checked against.
    """
    n = len(y)
    mean, m2, cnt = np.zeros(n), np.zeros(n), np.zeros(n, dtype=np.int64)
    width = int((hi - lo).max()) if n else 0
    if width == 0:
        return mean, m2, cnt
    fin = np.isfinite(y)
    padded = np.concatenate([np.zeros(width), np.where(fin, y, 0.0)])
    ok_padded = np.concatenate([np.zeros(width, dtype=bool), fin])
    cols = np.arange(width, dtype=np.int64)
    rows = max(1, _CHUNK // width)
    for a in range(0, n, rows):
        b = min(n, a + rows)
        idx = hi[a:b, None] + cols[None, :]  # padded[hi_i + k] is y[hi_i - width + k]
        ok = ok_padded[idx] & (idx - width >= lo[a:b, None])
        vals = np.where(ok, padded[idx], 0.0)
        c = ok.sum(axis=1)
        m = vals.sum(axis=1) / np.maximum(c, 1)
        dev = np.where(ok, vals - m[:, None], 0.0)
        # corrected two-pass: the deviations' own sum moves the mean to where rounding of the first
        # sum left it off (the compiled kernel sums in another order; both land on the same mean)
        dsum = dev.sum(axis=1)
        m = m + dsum / np.maximum(c, 1)
        m2[a:b] = (dev * dev).sum(axis=1) - dsum * dsum / np.maximum(c, 1)
        mean[a:b], cnt[a:b] = np.where(c > 0, m, 0.0), c
    return mean, m2, cnt


def rolling_mean(y: Any, window: Any, *, t: Any = None, min_periods: int = 1) -> np.ndarray:
    return prep.rolling_mean(y, window, t, min_periods, window_stats)


def rolling_std(y: Any, window: Any, *, t: Any = None, min_periods: int = 2, ddof: int = 1) -> np.ndarray:
    return prep.rolling_std(y, window, t, min_periods, ddof, window_stats)


def zscore(y: Any, window: Any, *, t: Any = None, min_periods: int = 5) -> np.ndarray:
    return prep.zscore(y, window, t, min_periods, window_stats)


def anomalies(
    y: Any, window: Any, threshold: float = 3.0, *, t: Any = None, min_periods: int = 5
) -> np.ndarray:
    return prep.anomalies(zscore(y, window, t=t, min_periods=min_periods), threshold)


def ewma(y: Any, *, alpha: float | None = None, halflife: float | None = None, t: Any = None) -> np.ndarray:
    y = prep.as_y(y)
    a, tt = prep.ewma_alpha(len(y), alpha, halflife, t)
    out = np.empty(len(y))
    s = math.nan
    last = 0.0
    for i, v in enumerate(y.tolist()):
        if math.isfinite(v):
            if s != s:
                s = v
            else:
                k = a if tt is None else -math.expm1(prep.LN2_NEG * (tt[i] - last))
                s = s + k * (v - s)
            if tt is not None:
                last = tt[i]
        out[i] = s
    return out
